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

export const count = (n: number): string => n.toLocaleString('en-US');
