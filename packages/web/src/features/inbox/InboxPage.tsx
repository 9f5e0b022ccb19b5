import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { Checkboxes, Radios } from '../../components/fields';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { Pager } from '../../components/Pager';
import { FilterDetails, StateTag, Table, Tag, WarningCallout } from '../../components/ui';
import type { InboxEntry } from '../../fhir/exchange';
import { displayName, formatDateTime, formatNhsNumber, nhsNumberOf } from '../../fhir/format';
import { t } from '../../strings/en-GB';
import { operationsText as o } from '../../strings/operations.en-GB';
import {
  filtersFrom,
  loadInbox,
  loadInboxAlarms,
  searchFrom,
  type InboxAlarms,
  type InboxFilters,
  type InboxView,
} from './inbox-data';

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
    <FilterDetails
      title={t.inbox.filterTitle}
      open={filters.states.length > 0 || filters.delayed !== '' || filters.groupByPatient}
      apply={t.inbox.apply}
      onApply={apply}
    >
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
    </FilterDetails>
  );
}

function InboxResults({ view, filters }: { view: InboxView; filters: InboxFilters }) {
  // Read once the page is on screen: on a single-connection database the alarms' evaluation would
  // otherwise hold up the page's own patient and sender look-ups.
  const [alarmsLoad] = useLoad(() => loadInboxAlarms(), 'alarms');
  const alarms: InboxAlarms | undefined = alarmsLoad.status === 'ready' ? alarmsLoad.data : undefined;
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
              {alarms?.alarmed.has(entry.document) === true && <Tag colour="red">{t.inbox.alarm}</Tag>}
            </div>
          </>,
          view.senders.get(entry.documentReference ?? '') ?? '',
          formatDateTime(entry.delivered),
          <StateTag state={entry.state} />,
        ],
      };
    });
  const groups = filters.groupByPatient ? groupByPatient(view.entries) : [['', view.entries] as const];
  const release =
    filters.release === undefined ? view.entries.find((entry) => entry.release)?.release : undefined;
  return (
    <>
      {alarms !== undefined && alarms.count > 0 && (
        <WarningCallout heading={t.inbox.alarmsHeading(alarms.count)}>
          <p>{t.inbox.alarmsBody}</p>
        </WarningCallout>
      )}
      {alarmsLoad.status === 'error' && (
        // Never silence: an inbox without alarm tags would read as "nothing overdue".
        <WarningCallout heading={o.inbox.alarmsFailedHeading}>
          <p>{o.inbox.alarmsFailedBody}</p>
        </WarningCallout>
      )}
      {view.total !== undefined && (
        <p className="nhsuk-body">{o.inbox.total(view.total, view.totalCapped)}</p>
      )}
      {filters.release !== undefined && <p className="nhsuk-body">{o.inbox.releaseCaption}</p>}
      {release !== undefined && (
        <p className="nhsuk-body">
          <Link
            to={{ search: searchFrom({ states: [], delayed: '', groupByPatient: true, release }).toString() }}
          >
            {o.inbox.releaseLink}
          </Link>
        </p>
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
      <InboxPager next={view.next} filters={filters} />
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

function InboxPager({ next, filters }: { next: string | undefined; filters: InboxFilters }) {
  const { cursor, ...rest } = filters;
  return (
    <Pager
      first={cursor === undefined ? undefined : searchFrom(rest).toString()}
      next={next === undefined ? undefined : searchFrom({ ...rest, cursor: next }).toString()}
    />
  );
}
