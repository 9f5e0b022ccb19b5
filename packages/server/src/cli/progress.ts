/**
 * A one-line progress bar for the CLI, without a dependency: on a terminal the line is redrawn in
 * place (carriage return); into a file or a pipe (CI logs, the bench) it prints a plain line for the
 * first step, then at most one every `intervalMs`, then the last, so a log stays readable.
 */
export interface ProgressLine {
  update(done: number, total: number, detail: string): void;
  finish(): void;
}

export function progressLine(
  stream: NodeJS.WriteStream = process.stdout,
  options: { width?: number; intervalMs?: number; now?: () => number } = {},
): ProgressLine {
  const width = options.width ?? 30;
  const intervalMs = options.intervalMs ?? 2_000;
  const now = options.now ?? Date.now;
  const startedAt = now();
  let lastPrinted = Number.NEGATIVE_INFINITY;
  let last = '';
  let drawn = false;
  return {
    update(done, total, detail) {
      last = render(done, total, detail, (now() - startedAt) / 1000, width);
      if (stream.isTTY === true) {
        stream.write(`\r${last}\u001b[K`);
        drawn = true;
        return;
      }
      const finished = done >= total;
      if (now() - lastPrinted < intervalMs && !finished) return;
      lastPrinted = finished ? Number.POSITIVE_INFINITY : now();
      stream.write(`${last}\n`);
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}

/** "[##########----------]  50% 16,310/32,619  812/s  ETA 20s  <detail>" */
export function render(done: number, total: number, detail: string, seconds: number, width = 30): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  const rate = seconds > 0 ? done / seconds : 0;
  const eta = rate > 0 && done < total ? `  ETA ${Math.ceil((total - done) / rate)}s` : '';
  const count = `${done.toLocaleString('en-GB')}/${total.toLocaleString('en-GB')}`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${count}  ${Math.round(rate)}/s${eta}  ${detail}`;
}
