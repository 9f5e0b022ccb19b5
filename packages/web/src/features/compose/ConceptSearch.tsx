import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { TerminologyKind } from '../../domain';
import { t } from '../../strings/en-GB';
import { terminologyText as s } from '../../strings/terminology.en-GB';
import { matchesOf, isSearchable, searchConcepts, type Concept, type MatchTotal } from './terminology';

type Search =
  | { status: 'idle' }
  | { status: 'searching' }
  | { status: 'done'; results: Concept[]; total: MatchTotal | undefined }
  | { status: 'failed' };

const DEBOUNCE_MS = 300;

/**
 * Search-as-you-type over a value set: a labelled search box (Enter or the Search button searches
 * at once; typing searches after a pause), a live count of matches, and the matches as toggle
 * buttons. Plain buttons rather than a combobox, so it works the same by keyboard and with every
 * screen reader. Only the latest search's answer is shown.
 */
export function ConceptSearch(props: {
  id: string;
  kind: TerminologyKind;
  label: string;
  hint?: string;
  chosen: Concept | undefined;
  onChoose: (concept: Concept) => void;
  /** Codes already picked elsewhere on the form, left out of the matches. */
  exclude?: readonly string[];
  error?: string | undefined;
}) {
  const { kind } = props;
  const [text, setText] = useState('');
  const [search, setSearch] = useState<Search>({ status: 'idle' });
  const latest = useRef(0);
  const exclude = (props.exclude ?? []).join(' ');

  const run = useCallback(
    (filter: string) => {
      const ticket = ++latest.current;
      if (!isSearchable(filter)) {
        setSearch({ status: 'idle' });
        return;
      }
      setSearch({ status: 'searching' });
      searchConcepts(kind, filter).then(
        (valueSet) => {
          if (ticket === latest.current)
            setSearch({ status: 'done', ...matchesOf(valueSet, exclude.split(' ')) });
        },
        () => {
          if (ticket === latest.current) setSearch({ status: 'failed' });
        },
      );
    },
    [kind, exclude],
  );

  useEffect(() => {
    const timer = setTimeout(() => run(text), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, run]);

  const searchNow = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter') return;
    event.preventDefault(); // never submit the surrounding form from the search box
    run(text);
  };
  const describedBy = [`${props.id}-hint`, props.error === undefined ? undefined : `${props.id}-error`]
    .filter((value) => value !== undefined)
    .join(' ');
  const results = search.status === 'done' ? search.results : [];
  return (
    <div className={`nhsuk-form-group${props.error === undefined ? '' : ' nhsuk-form-group--error'}`}>
      <label className="nhsuk-label" htmlFor={props.id}>
        {props.label}
      </label>
      <div className="nhsuk-hint" id={`${props.id}-hint`}>
        {s.hint(props.hint)}
      </div>
      {props.error !== undefined && (
        <span className="nhsuk-error-message" id={`${props.id}-error`}>
          <span className="nhsuk-u-visually-hidden">{t.common.errorPrefix} </span>
          {props.error}
        </span>
      )}
      <div className="cb-inline-form cb-search">
        <input
          className={`nhsuk-input nhsuk-input--width-20${props.error === undefined ? '' : ' nhsuk-input--error'}`}
          id={props.id}
          name={props.id}
          type="search"
          value={text}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={describedBy}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={searchNow}
        />
        <button
          className="nhsuk-button nhsuk-button--secondary nhsuk-button--small"
          type="button"
          onClick={() => run(text)}
        >
          {s.search}
          <span className="nhsuk-u-visually-hidden"> {s.searchWhat[kind]}</span>
        </button>
      </div>
      <p className="nhsuk-body-s" role="status">
        {search.status === 'searching'
          ? s.searching
          : search.status === 'failed'
            ? s.failed
            : search.status === 'done'
              ? s.matches(results.length, search.total)
              : ''}
      </p>
      {results.length > 0 && (
        <ul className="nhsuk-list cb-matches" aria-label={s.matchesLabel(props.label)}>
          {results.map((concept) => (
            <li key={`${concept.system}|${concept.code}`}>
              <button
                className="cb-link-button"
                type="button"
                aria-pressed={props.chosen?.code === concept.code && props.chosen.system === concept.system}
                onClick={() => props.onChoose(concept)}
              >
                {concept.display}
              </button>
            </li>
          ))}
        </ul>
      )}
      {props.chosen !== undefined && (
        <p className="nhsuk-body">
          {s.chosen} <strong>{props.chosen.display}</strong>
        </p>
      )}
    </div>
  );
}
