import { scaleBand, scaleLinear } from 'd3-scale';

/**
 * Where the bars, ticks and labels of a grouped bar chart go, worked out with d3-scale and kept
 * apart from React so it can be tested: BarChart only draws what this returns.
 */

export interface ChartSeries {
  key: string;
  label: string;
  /** One value per category, in the categories' order. */
  values: readonly number[];
}

export interface ChartFrame {
  width: number;
  height: number;
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export const DEFAULT_FRAME: ChartFrame = { width: 640, height: 240, top: 12, right: 8, bottom: 40, left: 40 };

export interface PlacedBar {
  key: string;
  series: string;
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
}

export interface ChartLayout {
  bars: PlacedBar[];
  /** Gridline values and their heights; whole numbers only (counts and minutes have no fractions). */
  yTicks: Array<{ value: number; y: number }>;
  /** Category labels under the axis, thinned so they never overlap. */
  xLabels: Array<{ key: string; label: string; x: number }>;
  baseline: number;
}

/** Roughly the width a short axis label (a date, a name cut to 10 letters) needs. */
const LABEL_WIDTH = 56;

export function chartLayout(
  categories: ReadonlyArray<{ key: string; tick: string }>,
  series: readonly ChartSeries[],
  frame: ChartFrame = DEFAULT_FRAME,
): ChartLayout {
  const baseline = frame.height - frame.bottom;
  const max = Math.max(1, ...series.flatMap((one) => one.values));
  const y = scaleLinear().domain([0, max]).nice().range([baseline, frame.top]);
  const x = scaleBand<string>()
    .domain(categories.map((category) => category.key))
    .range([frame.left, frame.width - frame.right])
    .paddingInner(0.2)
    .paddingOuter(0.1);
  const inner = scaleBand<string>()
    .domain(series.map((one) => one.key))
    .range([0, x.bandwidth()])
    .padding(0.05);
  const bars = categories.flatMap((category, index) =>
    series.map((one) => {
      const value = one.values[index] ?? 0;
      const top = y(value);
      return {
        key: `${category.key}:${one.key}`,
        series: one.key,
        x: (x(category.key) ?? 0) + (inner(one.key) ?? 0),
        y: top,
        width: inner.bandwidth(),
        height: baseline - top,
        value,
      };
    }),
  );
  const every = Math.max(1, Math.ceil(LABEL_WIDTH / Math.max(1, x.step())));
  return {
    bars,
    yTicks: y
      .ticks(5)
      .filter((value) => Number.isInteger(value))
      .map((value) => ({ value, y: y(value) })),
    xLabels: categories
      .filter((_, index) => index % every === 0)
      .map((category) => ({
        key: category.key,
        label: category.tick,
        x: (x(category.key) ?? 0) + x.bandwidth() / 2,
      })),
    baseline,
  };
}
