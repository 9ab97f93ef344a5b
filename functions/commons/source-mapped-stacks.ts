import * as fs from 'node:fs';
import * as path from 'node:path';
import { SourceMap } from 'node:module';

/**
 * Stack traces of a strata Lambda name the TypeScript file and line, as with --enable-source-maps,
 * but the bundle's source map is read when a stack is first formatted instead of at every cold
 * start. esbuild injects this module into every bundle (the inject option of STRATA_BUNDLING,
 * lib/constructs/strata-function.ts).
 *
 * Node's --enable-source-maps reads the map file, parses it and measures every line of the bundle
 * while it loads the bundle: about a third of a bundle's cold import, spent whether or not anything
 * ever fails. Formatting follows Node's own (lib/internal/source_map/prepare_stack_trace.js): each
 * frame of a file with a map beside it shows its original file, line and column, and the original
 * name of its function where the map has one; frames of other files are V8's own. With Node's
 * source maps on (the flag, or process.setSourceMapsEnabled), Node maps and this stays out.
 */

interface CallSite {
  getFileName(): string | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getEnclosingLineNumber(): number | null;
  getEnclosingColumnNumber(): number | null;
  getTypeName(): string | null;
  getFunctionName(): string | null;
  isAsync(): boolean;
  isConstructor(): boolean;
  toString(): string;
}

/** Each file's map (null: it has none), read at the first stack that passes through the file. */
const maps = new Map<string, SourceMap | null>();

function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf-8')) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/** The original name of the frame's function: the one the map gives its start, else the one at its caller's call. */
function originalName(map: SourceMap, trace: readonly CallSite[], index: number): string | undefined {
  const site = trace[index];
  const line = site?.getEnclosingLineNumber();
  const column = site?.getEnclosingColumnNumber();
  if (line && column) {
    const enclosing = map.findEntry(line - 1, column - 1) as { name?: string };
    if (enclosing.name) return enclosing.name;
  }
  const caller = trace[index + 1];
  const callerLine = caller?.getLineNumber();
  const callerColumn = caller?.getColumnNumber();
  if (caller && callerLine && callerColumn && caller.getFileName() === site?.getFileName()) {
    return (map.findEntry(callerLine - 1, callerColumn - 1) as { name?: string }).name;
  }
  return undefined;
}

function frame(trace: readonly CallSite[], index: number): string {
  const site = trace[index] as CallSite;
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  const map = file !== undefined && path.isAbsolute(file) ? mapOf(file) : null;
  if (map === null || file === undefined || !line || !column) return `    at ${site.toString()}`;
  const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return `    at ${site.toString()}`;
  const source = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : path.resolve(path.dirname(file), entry.originalSource);
  const typeName = site.getTypeName();
  const name = `${typeName !== null && typeName !== 'global' && !site.isConstructor() ? `${typeName}.` : ''}${originalName(map, trace, index) || site.getFunctionName() || '<anonymous>'}`;
  const prefix = `${site.isAsync() ? 'async ' : ''}${site.isConstructor() ? 'new ' : ''}`;
  return `    at ${prefix}${name} (${source}:${entry.originalLine + 1}:${entry.originalColumn + 1})`;
}

function header(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

export function prepareStackTrace(error: unknown, trace: readonly CallSite[]): string {
  const frames = trace.map((_, index) => {
    try {
      return frame(trace, index);
    } catch {
      return `    at ${String(trace[index])}`;
    }
  });
  return [header(error), ...frames].join('\n');
}

// In place of Node's default formatter (Node 22 defines one; Node 20 none), unless Node maps.
if (!(process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) {
  Error.prepareStackTrace = prepareStackTrace as (error: Error, trace: NodeJS.CallSite[]) => string;
}
