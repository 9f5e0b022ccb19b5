import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { BarChart } from '../../components/BarChart';
import { ErrorSummary, type FieldError } from '../../components/ErrorSummary';
import { DateInput, Radios, Select, useFormFields } from '../../components/fields';
import { Loaded, ProblemPanel, useLoad, useSending } from '../../components/load';
import { Page } from '../../components/Page';
import { SummaryList, Table } from '../../components/ui';
import { formatDate } from '../../fhir/format';
import { requests, type LedgerQuery, type WorkloadFigures } from '../../fhir/requests';
import { r } from '../../strings/requests.en-GB';
import {
  categoryChart,
  isCategory,
  ledgerForm,
  ledgerQueryFrom,
  ledgerSearch,
  loadLedger,
  saveFile,
  senderChart,
  trendChart,
  validateLedgerForm,
  type ChartData,
  type LedgerForm,
  type LedgerView,
} from './request-data';

const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "March 2026" for a month, "2 March 2026" (its Monday) for a week. */
function formatPeriod(period: string): string {
  return /^\d{4}-\d{2}$/.test(period) ? MONTH.format(new Date(`${period}-01T12:00:00Z`)) : formatDate(period);
}

/**
 * The workload-transfer ledger: what organisations ask of one another, accepted against declined,
 * in estimated GP time, as charts with the same numbers in tables, and as CSV for commissioners.
 */
export function WorkloadLedgerPage() {
  const [search] = useSearchParams();
  const query = ledgerQueryFrom(search);
  const key = ledgerSearch(query).toString();
  const [load] = useLoad(() => loadLedger(query), key);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const senders = load.status === 'ready' ? load.data.senders : [];
  return (
    <Page title={r.ledger.title} wide hasErrors={errors.length > 0}>
      <ErrorSummary errors={errors} />
      <p className="nhsuk-body">{r.ledger.lead}</p>
      {/* Keyed by the address, so the form shows what is on screen after back and forward. */}
      <FiltersForm key={key} query={query} senders={senders} errors={errors} setErrors={setErrors} />
      <Download query={query} />
      <Loaded load={load}>{(view) => <Ledger view={view} requester={query.requester} />}</Loaded>
    </Page>
  );
}

function FiltersForm(props: {
  query: LedgerQuery;
  senders: ReadonlyArray<{ value: string; label: string }>;
  errors: FieldError[];
  setErrors: (errors: FieldError[]) => void;
}) {
  const navigate = useNavigate();
  const { form, update, bind } = useFormFields<LedgerForm>(() => ledgerForm(props.query), props.errors);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    const { errors, query } = validateLedgerForm(form);
    props.setErrors(errors);
    if (query !== undefined) navigate({ search: ledgerSearch(query).toString() });
  };
  const chosen = form.requester;
  const senders =
    chosen === '' || props.senders.some((sender) => sender.value === chosen)
      ? props.senders
      : [...props.senders, { value: chosen, label: chosen }];
  return (
    <form onSubmit={apply} noValidate aria-labelledby="ledger-filters-heading">
      <h2 id="ledger-filters-heading" className="nhsuk-heading-s">
        {r.ledger.filtersHeading}
      </h2>
      <Radios
        id="period"
        label={r.ledger.periodLegend}
        inline
        small
        value={form.period}
        onChange={(period) => update('period', period === 'week' ? 'week' : 'month')}
        options={[
          { value: 'month', label: r.ledger.month },
          { value: 'week', label: r.ledger.week },
        ]}
      />
      <DateInput {...bind('from', 'ledger-from')} label={r.ledger.fromLabel} hint={r.ledger.dateHint} />
      <DateInput {...bind('to', 'ledger-to')} label={r.ledger.toLabel} />
      <Select
        {...bind('requester', 'ledger-requester')}
        label={r.ledger.senderLabel}
        options={[{ value: '', label: r.ledger.allSenders }, ...senders]}
      />
      <button className="nhsuk-button nhsuk-button--secondary" type="submit">
        {r.ledger.apply}
      </button>
    </form>
  );
}

/** The CSV is fetched with the bearer token (a plain link would carry none) and saved as a file. */
function Download({ query }: { query: LedgerQuery }) {
  const { sending: busy, failure, setFailure, send } = useSending();
  const download = async () => {
    setFailure(undefined);
    await send(async () => {
      const { csv, fileName } = await requests.ledgerCsv(query);
      saveFile(csv, fileName, 'text/csv;charset=utf-8');
    });
  };
  return (
    <>
      {failure && <ProblemPanel error={failure} />}
      <button
        className="nhsuk-button nhsuk-button--secondary"
        type="button"
        disabled={busy}
        onClick={() => void download()}
      >
        {busy ? r.ledger.downloading : r.ledger.download}
      </button>
    </>
  );
}

const TOTAL_ROWS = Object.keys(r.ledger.totalRows) as Array<keyof WorkloadFigures>;

function figure(figures: WorkloadFigures, key: keyof WorkloadFigures): string {
  return key.startsWith('minutes') ? r.ledger.minutes(figures[key]) : String(figures[key]);
}

function Chart({
  id,
  title,
  summary,
  data,
  heading,
  table,
}: {
  id: string;
  title: string;
  summary: string;
  data: ChartData;
  heading: string;
  table: string;
}) {
  return (
    <>
      <h2>{title}</h2>
      <BarChart
        id={id}
        title={title}
        summary={summary}
        categories={data.categories}
        series={data.series}
        categoryHeading={heading}
        tableLabel={table}
      />
    </>
  );
}

function Ledger({ view, requester }: { view: LedgerView; requester: string | undefined }) {
  const { ledger } = view;
  const trend = trendChart(ledger, formatPeriod);
  const senders = senderChart(ledger);
  const categories = categoryChart(ledger);
  const sender = view.senders.find((candidate) => candidate.value === requester);
  return (
    <>
      <p className="nhsuk-body">
        {r.ledger.range(formatDate(ledger.from), formatDate(ledger.to))}
        {sender !== undefined && ` ${r.ledger.senderOnly(sender.label)}`}
      </p>
      <h2>{r.ledger.totals}</h2>
      <SummaryList
        rows={TOTAL_ROWS.map((key) => [r.ledger.totalRows[key], figure(ledger.totals, key)] as const)}
      />
      {ledger.totals.requests === 0 ? (
        <p className="nhsuk-body">{r.ledger.none}</p>
      ) : (
        <>
          <Chart
            id="ledger-trend"
            title={r.ledger.trendTitle}
            summary={r.ledger.trendSummary(ledger.totals.requests, ledger.trend.length)}
            data={trend}
            heading={r.ledger.periodHeading}
            table={r.ledger.trendTable}
          />
          <Chart
            id="ledger-senders"
            title={r.ledger.bySenderTitle}
            summary={r.ledger.bySenderSummary(senders.categories.length)}
            data={senders}
            heading={r.ledger.senderHeading}
            table={r.ledger.bySenderTable}
          />
          <Chart
            id="ledger-categories"
            title={r.ledger.byCategoryTitle}
            summary={r.ledger.byCategorySummary(categories.categories.length)}
            data={categories}
            heading={r.ledger.categoryHeading}
            table={r.ledger.byCategoryTable}
          />
          <Table
            caption={r.ledger.groupsCaption}
            head={r.ledger.groupsColumns}
            rows={ledger.groups.map((group) => ({
              key: `${group.requester}|${group.specialty}|${group.category}`,
              cells: [
                group.requesterName,
                group.specialty,
                isCategory(group.category) ? r.categories[group.category] : group.categoryDisplay,
                String(group.requests),
                String(group.accepted),
                String(group.declined),
                String(group.declinedCitingRule),
                String(group.minutesRequested),
                String(group.minutesDeclined),
              ],
            }))}
          />
        </>
      )}
    </>
  );
}
