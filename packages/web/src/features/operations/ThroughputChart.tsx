import { BarChart } from '../../components/BarChart';
import { formatDate } from '../../fhir/format';
import { t } from '../../strings/en-GB';

/** Letters delivered per day, drawn with the workspace's shared bar chart. */
export function ThroughputChart({ perDay }: { perDay: ReadonlyArray<{ day: string; count: number }> }) {
  const total = perDay.reduce((sum, day) => sum + day.count, 0);
  return (
    <BarChart
      id="throughput"
      title={t.operations.throughput}
      summary={t.operations.throughputSummary(total, perDay.length)}
      categories={perDay.map((day) => ({
        key: day.day,
        label: formatDate(day.day),
        tick: `${day.day.slice(8)}/${day.day.slice(5, 7)}`,
      }))}
      series={[{ key: 'delivered', label: t.operations.delivered, values: perDay.map((day) => day.count) }]}
      categoryHeading={t.operations.day}
      tableLabel={t.operations.throughputTable}
    />
  );
}
