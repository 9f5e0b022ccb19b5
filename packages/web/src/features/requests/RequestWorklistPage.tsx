import { useSearchParams } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { WarningCallout } from '../../components/ui';
import { formatDate } from '../../fhir/format';
import { r } from '../../strings/requests.en-GB';
import { RequestList, RequestStatusTag, StatusFilter } from './parts';
import { ageInDays, filtersFrom, loadList, type ListFilters, type ListView } from './request-data';

/** The owner organisation's worklist: what others have asked of it, oldest first. */
export function RequestWorklistPage() {
  const user = useSignedInUser();
  const [search] = useSearchParams();
  const filters = filtersFrom(search);
  const [load] = useLoad(() => loadList('owner', filters), `worklist?${search.toString()}`);
  return (
    <Page title={r.worklist.title} caption={r.worklist.caption(user.odsCode ?? '')} wide>
      <p className="nhsuk-body">{r.worklist.lead}</p>
      <StatusFilter filters={filters} />
      <Loaded load={load}>{(view) => <Worklist view={view} filters={filters} />}</Loaded>
    </Page>
  );
}

function Worklist({ view, filters }: { view: ListView; filters: ListFilters }) {
  const now = new Date();
  return (
    <>
      {view.alarms?.status === 'error' && (
        <WarningCallout heading={r.worklist.alarmsFailedHeading}>
          <p>{r.worklist.alarmsFailedBody}</p>
        </WarningCallout>
      )}
      {view.alarms?.status === 'ready' && view.alarms.data.length > 0 && (
        <WarningCallout heading={r.worklist.alarmsHeading(view.alarms.data.length)}>
          <p>{r.worklist.alarmsBody}</p>
        </WarningCallout>
      )}
      <RequestList
        view={view}
        filters={filters}
        none={r.worklist.none}
        caption={r.worklist.tableCaption}
        head={r.worklist.columns}
        cells={(entry) => [
          r.worklist.from(entry.requesterName, entry.requestingPerson),
          entry.due === undefined ? r.request.noDue : formatDate(entry.due),
          <RequestStatusTag status={entry.status} />,
          r.worklist.age(ageInDays(entry.created, now)),
        ]}
      />
    </>
  );
}
