import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FRAME, chartLayout } from './chart-layout';

describe('Laying out a bar chart', () => {
  const categories = [
    { key: 'a', tick: 'A' },
    { key: 'b', tick: 'B' },
  ];

  it('gives each series a bar in each category, taller for bigger values, standing on the baseline', () => {
    const layout = chartLayout(categories, [
      { key: 'accepted', label: 'Accepted', values: [4, 1] },
      { key: 'declined', label: 'Declined', values: [2, 0] },
    ]);
    assert.equal(layout.bars.length, 4);
    const bar = (key: string) => layout.bars.find((candidate) => candidate.key === key);
    assert.ok((bar('a:accepted')?.height ?? 0) > (bar('a:declined')?.height ?? 0));
    assert.equal(bar('b:declined')?.height, 0);
    for (const placed of layout.bars) {
      assert.equal(Math.round(placed.y + placed.height), layout.baseline);
      assert.ok(placed.x >= DEFAULT_FRAME.left && placed.x + placed.width <= DEFAULT_FRAME.width);
    }
    // Within a category the series sit side by side, in order.
    assert.ok((bar('a:accepted')?.x ?? 0) < (bar('a:declined')?.x ?? 0));
    assert.ok((bar('a:declined')?.x ?? 0) < (bar('b:accepted')?.x ?? 0));
  });

  it('ticks the value axis in whole numbers from 0, even for small counts', () => {
    const layout = chartLayout(categories, [{ key: 's', label: 'S', values: [1, 1] }]);
    assert.equal(layout.yTicks[0]?.value, 0);
    assert.ok(layout.yTicks.every((tick) => Number.isInteger(tick.value)));
    assert.equal(layout.yTicks[0]?.y, layout.baseline);
  });

  it('draws an empty chart without dividing by zero', () => {
    const layout = chartLayout(categories, [{ key: 's', label: 'S', values: [0, 0] }]);
    assert.ok(layout.bars.every((bar) => bar.height === 0 && Number.isFinite(bar.y)));
  });

  it('thins the category labels so that many periods never overlap', () => {
    const many = Array.from({ length: 60 }, (_, index) => ({ key: `d${index}`, tick: `${index}` }));
    const layout = chartLayout(many, [{ key: 's', label: 'S', values: many.map(() => 1) }]);
    assert.ok(layout.xLabels.length < 60);
    const gaps = layout.xLabels.slice(1).map((label, index) => label.x - (layout.xLabels[index]?.x ?? 0));
    assert.ok(gaps.every((gap) => gap >= 50));
    assert.equal(chartLayout(categories, [{ key: 's', label: 'S', values: [1, 2] }]).xLabels.length, 2);
  });
});
