import { DEFAULT_FRAME, chartLayout, type ChartSeries } from './chart-layout';

/**
 * The workspace's one way to draw a chart: grouped bars as SVG, laid out with d3-scale, no script of
 * its own and no inline styles (the app's CSP allows none). Screen readers get the chart as one image
 * with a title and a one-line summary; the same numbers are in a table beneath it for anyone who
 * needs them, and a key names each series in words, so colour never carries meaning alone.
 */

/** NHS.UK colours with at least 3:1 contrast on white (WCAG 1.4.11), in the order series take them. */
const SERIES_COLOURS = ['#005eb8', '#d5281b', '#4c6272', '#007f3b'] as const;

export interface BarChartProps {
  /** Unique on the page: the SVG's title and description are named by it. */
  id: string;
  title: string;
  summary: string;
  /** `label` heads the table row; `tick` (short) goes under the axis. */
  categories: ReadonlyArray<{ key: string; label: string; tick: string }>;
  series: readonly ChartSeries[];
  categoryHeading: string;
  tableLabel: string;
}

const colourOf = (index: number): string => SERIES_COLOURS[index % SERIES_COLOURS.length] ?? '#005eb8';

export function BarChart(props: BarChartProps) {
  const frame = DEFAULT_FRAME;
  const layout = chartLayout(props.categories, props.series, frame);
  const colours = new Map(props.series.map((one, index) => [one.key, colourOf(index)]));
  return (
    <figure className="nhsuk-u-margin-0 nhsuk-u-margin-bottom-5">
      <svg
        className="cb-chart"
        viewBox={`0 0 ${frame.width} ${frame.height}`}
        role="img"
        aria-labelledby={`${props.id}-title ${props.id}-desc`}
      >
        <title id={`${props.id}-title`}>{props.title}</title>
        <desc id={`${props.id}-desc`}>{props.summary}</desc>
        {layout.yTicks.map((tick) => (
          <g key={tick.value}>
            <line x1={frame.left} x2={frame.width - frame.right} y1={tick.y} y2={tick.y} stroke="#d8dde0" />
            <text x={frame.left - 6} y={tick.y + 4} textAnchor="end">
              {tick.value}
            </text>
          </g>
        ))}
        {layout.bars.map((bar) => (
          <rect
            key={bar.key}
            x={bar.x}
            y={bar.y}
            width={bar.width}
            height={bar.height}
            fill={colours.get(bar.series)}
          />
        ))}
        <line
          className="cb-axis"
          x1={frame.left}
          x2={frame.width - frame.right}
          y1={layout.baseline}
          y2={layout.baseline}
        />
        {layout.xLabels.map((label) => (
          <text key={label.key} x={label.x} y={layout.baseline + 16} textAnchor="middle">
            {label.label}
          </text>
        ))}
      </svg>
      <figcaption className="nhsuk-body-s">
        {props.summary}
        {props.series.length > 1 && (
          <span>
            <br />
            {props.series.map((one, index) => (
              <span key={one.key} className="nhsuk-u-margin-right-3">
                <svg width="12" height="12" aria-hidden="true" focusable="false">
                  <rect width="12" height="12" fill={colourOf(index)} />
                </svg>{' '}
                {one.label}
              </span>
            ))}
          </span>
        )}
      </figcaption>
      <details className="nhsuk-details">
        <summary className="nhsuk-details__summary">
          <span className="nhsuk-details__summary-text">{props.tableLabel}</span>
        </summary>
        <div className="nhsuk-details__text">
          <table className="nhsuk-table">
            <caption className="nhsuk-table__caption nhsuk-table__caption--s">{props.title}</caption>
            <thead className="nhsuk-table__head">
              <tr>
                <th scope="col" className="nhsuk-table__header">
                  {props.categoryHeading}
                </th>
                {props.series.map((one) => (
                  <th scope="col" className="nhsuk-table__header nhsuk-table__header--numeric" key={one.key}>
                    {one.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="nhsuk-table__body">
              {props.categories.map((category, index) => (
                <tr className="nhsuk-table__row" key={category.key}>
                  <th scope="row" className="nhsuk-table__header">
                    {category.label}
                  </th>
                  {props.series.map((one) => (
                    <td className="nhsuk-table__cell nhsuk-table__cell--numeric" key={one.key}>
                      {one.values[index] ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
