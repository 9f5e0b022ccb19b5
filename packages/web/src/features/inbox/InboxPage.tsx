import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { Checkboxes, Radios } from '../../components/fields';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { StateTag, Table, Tag, WarningCallout } from '../../components/ui';
import type { InboxEntry } from '../../fhir/exchange';
import { displayName, formatDateTime, formatNhsNumber, nhsNumberOf } from '../../fhir/format';
import { t } from '../../strings/en-GB';
import { filtersFrom, loadInbox, searchFrom, type InboxFilters, type InboxView } from './inbox-data';

const STATE_FILTERS = ['delivered', 'opened', 'filed', 'rejected'] as const;

export function InboxPage() {
  const user = useSignedInUser();
  const [search] = useSearchParams();
  const filters = filtersFrom(search);
  const [load] = useLoad(() => loadInbox(filters), search.toString());
  return (
    <Page title={t.inbox.title} caption={t.inbox.caption(user.odsCode ?? '')} wide>
      <FilterForm filters={filters} />
      <Loaded load={load}>{(view) => <InboxResults view={view} filters={filters} />}</Loaded>
    </Page>
  );
}

function FilterForm({ filters }: { filters: InboxFilters }) {
  const navigate = useNavigate();
  const [states, setStates] = useState<string[]>(filters.states);
  const [delayed, setDelayed] = useState<string>(filters.delayed);
  const [group, setGroup] = useState<string[]>(filters.groupByPatient ? ['patient'] : []);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = searchFrom({
      states,
      delayed: delayed as InboxFilters['delayed'],
      groupByPatient: group.length > 0,
    });
    navigate({ search: next.toString() });
  };
  return (
    <details
      className="nhsuk-details"
      open={filters.states.length > 0 || filters.delayed !== '' || filters.groupByPatient}
    >
      <summary className="nhsuk-details__summary">
        <span className="nhsuk-details__summary-text">{t.inbox.filterTitle}</span>
      </summary>
      <div className="nhsuk-details__text">
        <form onSubmit={apply} noValidate>
          <Checkboxes
            id="state"
            label={t.inbox.stateLegend}
            small
            values={states}
            onChange={setStates}
            options={STATE_FILTERS.map((state) => ({ value: state, label: t.states[state] }))}
          />
          <Radios
            id="delayed"
            label={t.inbox.delayedLegend}
            small
            value={delayed}
            onChange={setDelayed}
            options={[
              { value: '', label: t.inbox.delayedAny },
              { value: 'true', label: t.inbox.delayedOnly },
              { value: 'false', label: t.inbox.onTimeOnly },
            ]}
          />
          <Checkboxes
            id="group"
            label={t.inbox.groupByPatient}
            small
            values={group}
            onChange={setGroup}
            options={[{ value: 'patient', label: t.inbox.groupByPatient }]}
          />
          <button className="nhsuk-button nhsuk-button--secondary" type="submit">
            {t.inbox.apply}
          </button>
        </form>
      </div>
    </details>
  );
}

function InboxResults({ view, filters }: { view: InboxView; filters: InboxFilters }) {
  const rowsFor = (entries: InboxEntry[]) =>
    entries.map((entry) => {
      const patient = entry.patient === undefined ? undefined : view.patients.get(entry.patient);
      return {
        key: entry.document,
        cells: [
          patient ? (
            <>
              <Link to={`/patients/${patient.id ?? ''}`}>{displayName(patient.name)}</Link>
              <br />
              <span className="nhsuk-body-s">{formatNhsNumber(nhsNumberOf(patient))}</span>
            </>
          ) : (
            t.inbox.unknownPatient
          ),
          <>
            <Link to={`/inbox/${encodeURIComponent(entry.document)}`}>{entry.title}</Link>
            <div className="cb-tags">
              {entry.delayedDays > 0 && <Tag colour="orange">{t.inbox.delayed(entry.delayedDays)}</Tag>}
              {entry.hasMedicationChanges && <Tag colour="blue">{t.inbox.medicationChanges}</Tag>}
              {entry.hasActions && <Tag colour="purple">{t.inbox.actions}</Tag>}
              {view.alarmed.has(entry.document) && <Tag colour="red">{t.inbox.alarm}</Tag>}
            </div>
          </>,
          view.senders.get(entry.documentReference ?? '') ?? '',
          formatDateTime(entry.delivered),
          <StateTag state={entry.state} />,
        ],
      };
    });
  const groups = filters.groupByPatient ? groupByPatient(view.entries) : [['', view.entries] as const];
  return (
    <>
      {view.alarmCount > 0 && (
        <WarningCallout heading={t.inbox.alarmsHeading(view.alarmCount)}>
          <p>{t.inbox.alarmsBody}</p>
        </WarningCallout>
      )}
      {view.entries.length === 0 ? (
        <p className="nhsuk-body">{t.inbox.none}</p>
      ) : (
        groups.map(([patientRef, entries]) => {
          const patient = view.patients.get(patientRef);
          const caption = filters.groupByPatient
            ? t.inbox.patientGroup(
                patient ? displayName(patient.name) : t.inbox.unknownPatient,
                entries.length,
              )
            : t.inbox.tableCaption;
          return (
            <Table
              key={patientRef || 'all'}
              caption={caption}
              captionSize={filters.groupByPatient ? 's' : 'm'}
              head={t.inbox.columns}
              rows={rowsFor(entries)}
            />
          );
        })
      )}
      <Pager next={view.next} filters={filters} />
    </>
  );
}

function groupByPatient(entries: InboxEntry[]): Array<readonly [string, InboxEntry[]]> {
  const groups = new Map<string, InboxEntry[]>();
  for (const entry of entries) {
    const key = entry.patient ?? '';
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.entries()];
}

function Pager({ next, filters }: { next: string | undefined; filters: InboxFilters }) {
  if (next === undefined && filters.cursor === undefined) return null;
  const { cursor: _cursor, ...rest } = filters;
  return (
    <nav className="nhsuk-pagination" role="navigation" aria-label={t.common.pagination}>
      <ul className="nhsuk-list nhsuk-pagination__list">
        {filters.cursor !== undefined && (
          <li className="nhsuk-pagination-item--previous">
            <Link
              className="nhsuk-pagination__link nhsuk-pagination__link--prev"
              to={{ search: searchFrom(rest).toString() }}
            >
              <span className="nhsuk-pagination__title">{t.common.firstPage}</span>
            </Link>
          </li>
        )}
        {next !== undefined && (
          <li className="nhsuk-pagination-item--next">
            <Link
              className="nhsuk-pagination__link nhsuk-pagination__link--next"
              to={{ search: searchFrom({ ...rest, cursor: next }).toString() }}
            >
              <span className="nhsuk-pagination__title">{t.common.nextPage}</span>
            </Link>
          </li>
        )}
      </ul>
    </nav>
  );
}
