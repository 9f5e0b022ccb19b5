import { DMD_SYSTEM, SNOMED_CT_SYSTEM } from '../../domain';
import { displayName, formatDate, formatDateTime, formatNhsNumber, nhsNumberOf } from '../../fhir/format';
import { t } from '../../strings/en-GB';
import { SummaryList, Tag } from '../../components/ui';
import type { CodedEntry, LetterDocument } from './document-model';
import { Narrative } from './Narrative';

/** A letter as the recipient reads it: patient banner, then every PRSB heading in the sender's order. */
export function LetterView({ letter, sender }: { letter: LetterDocument; sender?: string | undefined }) {
  return (
    <>
      <SummaryList
        rows={[
          [t.letter.patientBanner, displayName(letter.patient?.name)],
          [t.letter.nhsNumber, formatNhsNumber(nhsNumberOf(letter.patient))],
          [t.letter.dateOfBirth, formatDate(letter.patient?.birthDate)],
          [t.letter.from, sender ?? letter.custodian ?? ''],
          [t.letter.author, letter.author ?? ''],
          [t.letter.date, formatDateTime(letter.date)],
        ]}
      />
      <nav className="nhsuk-contents-list" aria-label={t.letter.sectionsTitle}>
        <h2 className="nhsuk-u-visually-hidden">{t.letter.sectionsTitle}</h2>
        <ol className="nhsuk-contents-list__list">
          {letter.sections.map((section, index) => (
            <li className="nhsuk-contents-list__item" key={`${section.title}-${index}`}>
              <a className="nhsuk-contents-list__link" href={`#section-${index}`}>
                {section.title}
              </a>
            </li>
          ))}
        </ol>
      </nav>
      {letter.sections.map((section, index) => (
        <section key={`${section.title}-${index}`} aria-labelledby={`section-${index}`}>
          <h2 id={`section-${index}`} tabIndex={-1}>
            {section.title}
          </h2>
          {section.narrative !== undefined && <Narrative xhtml={section.narrative} />}
          {section.entries.length > 0 && <EntryList entries={section.entries} />}
          {section.emptyReason !== undefined && (
            <p className="nhsuk-body">{t.letter.emptyReason(section.emptyReason)}</p>
          )}
          {section.narrative === undefined &&
            section.entries.length === 0 &&
            section.emptyReason === undefined && <p className="nhsuk-body">{t.letter.emptySection}</p>}
        </section>
      ))}
    </>
  );
}

const codeSystem = (system: string | undefined): string =>
  system === DMD_SYSTEM ? 'dm+d' : system === SNOMED_CT_SYSTEM ? 'SNOMED CT' : (system ?? '');

function EntryList({ entries }: { entries: readonly CodedEntry[] }) {
  return (
    <>
      <h3 className="nhsuk-heading-xs">{t.letter.codedEntries}</h3>
      <ul className="nhsuk-list nhsuk-list--bullet">
        {entries.map((entry) => (
          <li key={`${entry.category}-${entry.coding.code ?? ''}`}>
            {entry.display}{' '}
            <span className="nhsuk-body-s">
              ({codeSystem(entry.coding.system)} {entry.coding.code})
            </span>
            {entry.category === 'medication' && entry.detail !== undefined && (
              <>
                {' '}
                <Tag colour={entry.detail === 'continued' ? 'grey' : 'blue'}>
                  {t.letter.change(t.compose.medicationChanges[entry.detail] ?? entry.detail)}
                </Tag>
              </>
            )}
            {entry.category === 'allergy' && entry.detail !== undefined && (
              <> ({t.letter.criticality(entry.detail)})</>
            )}
            {entry.category === 'action' && entry.detail !== undefined && <> – {entry.detail}</>}
          </li>
        ))}
      </ul>
    </>
  );
}
