import type { Patient } from 'fhir/r4';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { Checkboxes } from '../../components/fields';
import { Pager } from '../../components/Pager';
import { FilterDetails, Table, Tag, type TagColour } from '../../components/ui';
import { REQUEST_STATUSES, type RequestStatus } from '../../domain';
import { displayName, formatNhsNumber, nhsNumberOf } from '../../fhir/format';
import type { RequestAlarm, RequestSummary } from '../../fhir/requests';
import { r } from '../../strings/requests.en-GB';
import { searchFrom, type ListFilters, type ListView } from './request-data';

/** Pieces the request screens share: status and flag tags, the status filter, the list, the pager. */

const STATUS_COLOURS: Record<RequestStatus, TagColour> = {
  requested: 'blue',
  received: 'purple',
  accepted: 'aqua-green',
  declined: 'red',
  'in-progress': 'yellow',
  completed: 'green',
  cancelled: 'grey',
};

export function RequestStatusTag({ status }: { status: RequestStatus }) {
  return <Tag colour={STATUS_COLOURS[status]}>{r.statuses[status] ?? status}</Tag>;
}

/** The flag both sides see when the contract places the work on the requester. */
export function FlagTag({ request }: { request: RequestSummary }) {
  if (!request.responsibility.placesOnRequester) return null;
  return <Tag colour="orange">{r.flag.short(request.responsibility.clause ?? '')}</Tag>;
}

export function AlarmTags({ alarms }: { alarms: readonly RequestAlarm[] }) {
  return (
    <>
      {alarms.map((alarm) => (
        <Tag key={alarm.code} colour={alarm.severity === 'warning' ? 'yellow' : 'red'}>
          {r.alarms[alarm.code] ?? alarm.code}
        </Tag>
      ))}
    </>
  );
}

export function PatientCell({ patient }: { patient: Patient | undefined }) {
  if (patient === undefined) return <>{r.worklist.unknownPatient}</>;
  return (
    <>
      <Link to={`/patients/${patient.id ?? ''}`}>{displayName(patient.name)}</Link>
      <br />
      <span className="nhsuk-body-s">{formatNhsNumber(nhsNumberOf(patient))}</span>
    </>
  );
}

export function StatusFilter({ filters }: { filters: ListFilters }) {
  const navigate = useNavigate();
  const [statuses, setStatuses] = useState<string[]>(filters.statuses);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate({ search: searchFrom({ statuses: statuses as RequestStatus[] }).toString() });
  };
  return (
    <FilterDetails
      title={r.filter.title}
      open={filters.statuses.length > 0}
      apply={r.filter.apply}
      onApply={apply}
    >
      <Checkboxes
        id="status"
        label={r.filter.statusLegend}
        hint={r.filter.statusHint}
        small
        values={statuses}
        onChange={setStatuses}
        options={REQUEST_STATUSES.map((status) => ({ value: status, label: r.statuses[status] }))}
      />
    </FilterDetails>
  );
}

/** The pager for a request list: the first page (when on a later one) and the next. */
export function ListPager({ next, filters }: { next: string | undefined; filters: ListFilters }) {
  const { cursor, ...rest } = filters;
  return (
    <Pager
      first={cursor === undefined ? undefined : searchFrom(rest).toString()}
      next={next === undefined ? undefined : searchFrom({ ...rest, cursor: next }).toString()}
    />
  );
}

/** What was asked: the category, linking to the request, with its reason and the tags that need action. */
function RequestCell({ entry }: { entry: RequestSummary }) {
  return (
    <>
      <Link to={`/requests/${encodeURIComponent(entry.id)}`}>
        {r.categories[entry.category as keyof typeof r.categories] ?? entry.categoryDisplay}
      </Link>
      <div className="nhsuk-body-s nhsuk-u-margin-bottom-1">{entry.reason}</div>
      <div className="cb-tags">
        <FlagTag request={entry} />
        <AlarmTags alarms={entry.alarms.filter((alarm) => alarm.mustAct)} />
      </div>
    </>
  );
}

/**
 * A page of requests and its pager: each row starts with the patient and what was asked, then the
 * cells the side's own list adds (`cells`, matching `head` from its third column on).
 */
export function RequestList(props: {
  view: ListView;
  filters: ListFilters;
  none: string;
  caption: string;
  head: readonly string[];
  cells: (entry: RequestSummary) => readonly ReactNode[];
}) {
  const { view } = props;
  return (
    <>
      {view.entries.length === 0 ? (
        <p className="nhsuk-body">{props.none}</p>
      ) : (
        <Table
          caption={props.caption}
          head={props.head}
          rows={view.entries.map((entry) => ({
            key: entry.id,
            cells: [
              <PatientCell
                patient={entry.patient === undefined ? undefined : view.patients.get(entry.patient)}
              />,
              <RequestCell entry={entry} />,
              ...props.cells(entry),
            ],
          }))}
        />
      )}
      <ListPager next={view.next} filters={props.filters} />
    </>
  );
}
