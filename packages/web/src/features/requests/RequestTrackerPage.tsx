import { Link, useSearchParams } from 'react-router';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { Tag, WarningCallout } from '../../components/ui';
import { formatDateTime } from '../../fhir/format';
import { r } from '../../strings/requests.en-GB';
import { RequestList, RequestStatusTag, StatusFilter } from './parts';
import { filtersFrom, lastChanged, loadList, type ListFilters, type ListView } from './request-data';

/** The requester's tracker: what the organisation asked of others and what became of it, newest first. */
export function RequestTrackerPage() {
  const [search] = useSearchParams();
  const filters = filtersFrom(search);
  const [load] = useLoad(() => loadList('requester', filters), `tracker?${search.toString()}`);
  return (
    <Page title={r.tracker.title} wide>
      <p className="nhsuk-body">{r.tracker.lead}</p>
      <p className="nhsuk-body">
        <Link className="nhsuk-action-link__link" to="/requests/new">
          {r.tracker.newRequest}
        </Link>
      </p>
      <StatusFilter filters={filters} />
      <Loaded load={load}>{(view) => <Tracker view={view} filters={filters} />}</Loaded>
    </Page>
  );
}

function Tracker({ view, filters }: { view: ListView; filters: ListFilters }) {
  const declined = view.declinedBack;
  return (
    <>
      {declined > 0 && (
        <WarningCallout heading={r.tracker.declinedHeading(declined, view.declinedBackCapped)}>
          <p>{r.tracker.declinedBody}</p>
        </WarningCallout>
      )}
      <RequestList
        view={view}
        filters={filters}
        none={r.tracker.none}
        caption={r.tracker.tableCaption}
        head={r.tracker.columns}
        cells={(entry) => [
          entry.ownerName,
          <>
            <div className="cb-tags">
              <RequestStatusTag status={entry.status} />
              {entry.status === 'declined' && entry.declineAcknowledged === undefined && (
                <Tag colour="orange">{r.tracker.backWithYou}</Tag>
              )}
            </div>
            {entry.status === 'declined' && (
              <div className="nhsuk-body-s nhsuk-u-margin-top-1 nhsuk-u-margin-bottom-0">
                {entry.declineClause !== undefined && (
                  <strong>{r.tracker.declinedCiting(entry.declineClause)}: </strong>
                )}
                {entry.declineReason}
              </div>
            )}
          </>,
          formatDateTime(lastChanged(entry)),
        ]}
      />
    </>
  );
}
