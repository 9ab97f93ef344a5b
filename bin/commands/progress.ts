/** Step-by-step progress on stderr, so stdout stays clean for --json. Silent when quiet. */
export interface Progress {
  step<T>(label: string, work: () => Promise<T>, done?: (result: T) => string): Promise<T>;
  info(line: string): void;
}

export function createProgress(quiet = false, stream: NodeJS.WritableStream = process.stderr): Progress {
  const write = (text: string) => {
    if (!quiet) stream.write(text);
  };
  return {
    async step(label, work, done) {
      const started = performance.now();
      write(`  • ${label} …`);
      try {
        const result = await work();
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        write(` ${done ? done(result) : 'done'} (${seconds}s)\n`);
        return result;
      } catch (error) {
        write(' failed\n');
        throw error;
      }
    },
    info(line) {
      write(`${line}\n`);
    },
  };
}

/** A bar redrawn in place on one stderr line, for a step that takes a while. */
export interface ProgressBar {
  /** Shows `done` of `total` (a bar and a share), or only the note when the total is unknown. */
  update(done: number, total: number | undefined, note?: string): void;
  /** Clears the bar, leaving the line as it was before the first update. */
  end(): void;
}

/**
 * A bar on a terminal only: redrawn at most every 100 ms after `prefix` (what the line already
 * says), and nothing at all when the stream is not a TTY or the command prints JSON.
 */
export function createBar(prefix: string, options: { readonly enabled?: boolean; readonly stream?: NodeJS.WriteStream } = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const enabled = (options.enabled ?? true) && stream.isTTY === true;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(done, total, note) {
      if (!enabled || performance.now() - drawnAt < 100) return;
      drawnAt = performance.now();
      drawn = true;
      const width = 24;
      const share = total === undefined || total <= 0 ? undefined : Math.min(1, done / total);
      const bar = share === undefined ? '' : ` [${'#'.repeat(Math.round(share * width)).padEnd(width, '-')}] ${String(Math.floor(share * 100)).padStart(3)}%`;
      stream.write(`\r\x1b[K${prefix}${bar}${note === undefined ? '' : ` ${note}`}`);
    },
    end() {
      if (enabled && drawn) stream.write(`\r\x1b[K${prefix}`);
      drawn = false;
    },
  };
}

export const count = (n: number): string => n.toLocaleString('en-US');
