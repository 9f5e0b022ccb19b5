import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { Table } from '../../components/ui';
import { t } from '../../strings/en-GB';
import { OVERVIEW_SAMPLE, loadOverview } from './operations-data';
import { ThroughputChart } from './ThroughputChart';

export function OperationsPage() {
  const [load] = useLoad(() => loadOverview(new Date()), 'overview');
  return (
    <Page title={t.operations.title} wide>
      <Loaded load={load}>
        {(overview) => (
          <>
            {overview.overdue.length === 0 ? (
              <>
                <h2>{t.operations.overdue}</h2>
                <p className="nhsuk-body">{t.operations.noOverdue}</p>
              </>
            ) : (
              <Table
                caption={t.operations.overdue}
                captionSize="s"
                head={t.operations.overdueColumns}
                rows={overview.overdue.map((row) => ({
                  key: row.code,
                  cells: [row.code, String(row.count)],
                }))}
              />
            )}
            <Table
              caption={t.operations.byOrganisation}
              head={[
                t.operations.orgColumn,
                ...overview.states.map((state) => t.states[state as keyof typeof t.states] ?? state),
                t.operations.total,
              ]}
              rows={overview.organisations.map((row) => ({
                key: row.id,
                cells: [
                  row.name,
                  ...overview.states.map((state) => String(row.counts[state] ?? 0)),
                  String(row.total),
                ],
              }))}
            />
            <p className="nhsuk-body-s">{t.operations.limitNote(OVERVIEW_SAMPLE)}</p>
            <h2>{t.operations.throughput}</h2>
            <ThroughputChart perDay={overview.perDay} />
          </>
        )}
      </Loaded>
    </Page>
  );
}
