import { Link } from 'react-router';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { SummaryList, Table } from '../../components/ui';
import { formatDateTime } from '../../fhir/format';
import { t } from '../../strings/en-GB';
import { operationsText as o } from '../../strings/operations.en-GB';
import { loadOverview, type OrganisationRow, type Overview } from './operations-data';
import { ThroughputChart } from './ThroughputChart';

/** The letters overview: every figure is counted by the server over the whole ledger. */
export function OperationsPage() {
  const [load] = useLoad(() => loadOverview(), 'overview');
  return (
    <Page title={t.operations.title} wide>
      <Loaded load={load}>
        {(overview) => (
          <>
            <OverdueTable overview={overview} />
            <OrganisationTable caption={o.receivedBy} rows={overview.received} overview={overview} />
            <OrganisationTable caption={o.sentBy} rows={overview.sent} overview={overview} />
            <BacklogSummary overview={overview} />
            <h2>{t.operations.throughput}</h2>
            <ThroughputChart perDay={overview.perDay} />
          </>
        )}
      </Loaded>
    </Page>
  );
}

function OverdueTable({ overview }: { overview: Overview }) {
  const due = overview.overdue.filter((row) => row.count > 0);
  if (due.length === 0) {
    return (
      <>
        <h2>{t.operations.overdue}</h2>
        <p className="nhsuk-body">{t.operations.noOverdue}</p>
      </>
    );
  }
  return (
    <>
      <Table
        caption={t.operations.overdue}
        head={t.operations.overdueColumns}
        rows={due.map((row) => {
          const label = t.alarmCodes[row.code] ?? row.code;
          return {
            key: row.code,
            cells: [
              <Link to="/alarms" aria-label={o.viewAlarms(label)}>
                {label}
              </Link>,
              row.count.toLocaleString('en-GB'),
            ],
          };
        })}
      />
      <p className="nhsuk-body-s">{o.overdueLead}</p>
    </>
  );
}

function OrganisationTable({
  caption,
  rows,
  overview,
}: {
  caption: string;
  rows: readonly OrganisationRow[];
  overview: Overview;
}) {
  if (rows.length === 0) return null;
  const nameOf = (row: OrganisationRow) =>
    row.id === '' && row.ods === '' ? o.patientCopies : (row.name ?? o.unknownOrganisation(row.ods));
  return (
    <Table
      caption={caption}
      head={[
        t.operations.orgColumn,
        ...overview.states.map((state) => t.states[state as keyof typeof t.states] ?? state),
        t.operations.total,
      ]}
      rows={rows.map((row) => ({
        key: `${row.id}|${row.ods}`,
        cells: [
          nameOf(row),
          ...overview.states.map((state) => (row.counts[state] ?? 0).toLocaleString('en-GB')),
          row.total.toLocaleString('en-GB'),
        ],
      }))}
    />
  );
}

function BacklogSummary({ overview }: { overview: Overview }) {
  const { backlog } = overview;
  const latest =
    backlog.status === undefined
      ? o.backlog.notYet
      : o.backlogLatestLine(
          backlog.stalled ? 'stalled' : backlog.status,
          backlog.delivered,
          backlog.duplicatesRecorded,
          formatDateTime(backlog.completed ?? backlog.lastBatch ?? backlog.started),
        );
  return (
    <>
      <h2>{o.backlogHeading}</h2>
      <SummaryList
        rows={[
          [o.backlogAwaiting, backlog.awaitingRelease.toLocaleString('en-GB')],
          [o.backlogLatest, latest],
        ]}
      />
      <p className="nhsuk-body">
        <Link to="/operations/backlog">{o.backlogLink}</Link>
      </p>
    </>
  );
}
