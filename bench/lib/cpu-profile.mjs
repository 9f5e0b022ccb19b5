// Summarises a V8 .cpuprofile (node --cpu-prof): where the sampled time went, by area (our
// packages, each dependency, Node internals, GC, idle), the top functions by self time, and
// Carebridge's own functions by inclusive time.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function area(callFrame) {
  const { url, functionName } = callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  if (url.startsWith('wasm://')) return 'PGlite wasm (PostgreSQL itself)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes('/packages/server/')) return 'carebridge server';
  if (url.includes('/packages/domain/')) return 'carebridge domain';
  return 'other';
}

function where(callFrame) {
  const url = callFrame.url.replace(/^file:\/\//, '').replace(root, '');
  return url ? `${url}:${callFrame.lineNumber + 1}` : '';
}

const pct = (part, whole) => `${((100 * part) / whole).toFixed(1)}%`.padStart(6);
const ms = (micros) => `${(micros / 1000).toFixed(0)} ms`.padStart(9);

/** Plain-text summary of one profile; `top` rows per table. */
export function summariseProfile(file, label = file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, { ...node, self: 0 }]));
  profile.samples.forEach((id, i) => {
    byId.get(id).self += profile.timeDeltas[i] ?? 0;
  });
  const parent = new Map();
  for (const node of byId.values()) for (const child of node.children ?? []) parent.set(child, node.id);

  const total = [...byId.values()].reduce((sum, node) => sum + node.self, 0);
  const idle = [...byId.values()]
    .filter((n) => n.callFrame.functionName === '(idle)')
    .reduce((s, n) => s + n.self, 0);
  const busy = total - idle;

  const areas = new Map();
  const functions = new Map();
  const inclusive = new Map();
  for (const node of byId.values()) {
    if (node.self === 0) continue;
    const frame = node.callFrame;
    const a = area(frame);
    areas.set(a, (areas.get(a) ?? 0) + node.self);
    const key = `${frame.functionName || '(anonymous)'} ${where(frame)}`;
    const entry = functions.get(key) ?? { self: 0, area: a };
    entry.self += node.self;
    functions.set(key, entry);
    // Inclusive time of Carebridge's own functions: count each function once per stack.
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const ancestor = byId.get(id).callFrame;
      const own = area(ancestor);
      if (own !== 'carebridge server' && own !== 'carebridge domain') continue;
      const ancestorKey = `${ancestor.functionName || '(anonymous)'} ${where(ancestor)}`;
      if (seen.has(ancestorKey)) continue;
      seen.add(ancestorKey);
      inclusive.set(ancestorKey, (inclusive.get(ancestorKey) ?? 0) + node.self);
    }
  }

  const lines = [
    `CPU profile: ${label}`,
    `  sampled ${ms(total).trim()}, of which busy (not idle) ${ms(busy).trim()}; shares below are of busy time`,
    '',
    '  By area (self time):',
  ];
  for (const [name, self] of [...areas]
    .filter(([n]) => n !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    lines.push(`    ${pct(self, busy)} ${ms(self)}  ${name}`);
  }
  lines.push('', `  Top ${top} functions by self time:`);
  for (const [name, { self, area: a }] of [...functions]
    .filter(([n]) => !n.startsWith('(idle)'))
    .sort((x, y) => y[1].self - x[1].self)
    .slice(0, top)) {
    lines.push(`    ${pct(self, busy)} ${ms(self)}  ${name}  [${a}]`);
  }
  lines.push('', `  Carebridge functions by inclusive time (top ${top}):`);
  for (const [name, time] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`    ${pct(time, busy)} ${ms(time)}  ${name}`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node bench/lib/cpu-profile.mjs <file.cpuprofile> ...');
    process.exit(2);
  }
  for (const file of files) console.log(`${summariseProfile(file)}\n`);
}
