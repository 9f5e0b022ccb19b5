import { formatDate } from '../../fhir/format';
import { t } from '../../strings/en-GB';

/**
 * A bar chart drawn as SVG: no chart library, no script, works at any zoom. Screen readers get its
 * title and a one-line summary; the same numbers are in a table beneath it for anyone who needs them.
 */
export function ThroughputChart({ perDay }: { perDay: ReadonlyArray<{ day: string; count: number }> }) {
  const width = 640;
  const height = 220;
  const left = 36;
  const bottom = 40;
  const top = 12;
  const max = Math.max(1, ...perDay.map((day) => day.count));
  const slot = (width - left) / Math.max(1, perDay.length);
  const scale = (height - bottom - top) / max;
  const total = perDay.reduce((sum, day) => sum + day.count, 0);
  return (
    <figure className="nhsuk-u-margin-0">
      <svg
        className="cb-chart"
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby="throughput-title throughput-desc"
      >
        <title id="throughput-title">{t.operations.throughput}</title>
        <desc id="throughput-desc">{t.operations.throughputSummary(total, perDay.length)}</desc>
        <line className="cb-axis" x1={left} y1={height - bottom} x2={width} y2={height - bottom} />
        <text x={left - 6} y={top + 4} textAnchor="end">
          {max}
        </text>
        <text x={left - 6} y={height - bottom} textAnchor="end">
          0
        </text>
        {perDay.map((day, index) => {
          const barHeight = day.count * scale;
          const x = left + index * slot + slot * 0.15;
          return (
            <g key={day.day}>
              <rect
                className="cb-bar"
                x={x}
                y={height - bottom - barHeight}
                width={slot * 0.7}
                height={barHeight}
              />
              {index % 2 === 0 && (
                <text x={x + slot * 0.35} y={height - bottom + 16} textAnchor="middle">
                  {day.day.slice(8)}/{day.day.slice(5, 7)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="nhsuk-body-s">{t.operations.throughputSummary(total, perDay.length)}</figcaption>
      <details className="nhsuk-details">
        <summary className="nhsuk-details__summary">
          <span className="nhsuk-details__summary-text">{t.operations.throughputTable}</span>
        </summary>
        <div className="nhsuk-details__text">
          <table className="nhsuk-table">
            <caption className="nhsuk-table__caption nhsuk-table__caption--s">
              {t.operations.throughput}
            </caption>
            <thead className="nhsuk-table__head">
              <tr>
                <th scope="col" className="nhsuk-table__header">
                  {t.operations.day}
                </th>
                <th scope="col" className="nhsuk-table__header nhsuk-table__header--numeric">
                  {t.operations.delivered}
                </th>
              </tr>
            </thead>
            <tbody className="nhsuk-table__body">
              {perDay.map((day) => (
                <tr className="nhsuk-table__row" key={day.day}>
                  <td className="nhsuk-table__cell">{formatDate(day.day)}</td>
                  <td className="nhsuk-table__cell nhsuk-table__cell--numeric">{day.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
