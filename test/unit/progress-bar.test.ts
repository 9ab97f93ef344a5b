import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createBar } from '../../bin/commands/progress.ts';

/** A stream that records what is written to it, a terminal or not. */
function stream(isTTY: boolean): { readonly stream: NodeJS.WriteStream; readonly text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = '';
  s.on('data', (chunk: Buffer) => (text += chunk.toString('utf-8')));
  Object.assign(s, { isTTY });
  return { stream: s, text: () => text };
}

describe('progress bar', () => {
  it('draws a bar and share after the prefix on a terminal, and clears back to the prefix at the end', async () => {
    const out = stream(true);
    const bar = createBar('  • uploading a.csv …', { stream: out.stream });
    bar.update(25, 100, '1.0 MB of 4.0 MB');
    bar.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe(`\r\x1b[K  • uploading a.csv … [${'#'.repeat(6)}${'-'.repeat(18)}]  25% 1.0 MB of 4.0 MB\r\x1b[K  • uploading a.csv …`);
  });

  it('shows only the note when the total is unknown', async () => {
    const out = stream(true);
    createBar('x', { stream: out.stream }).update(0, undefined, 'waiting (3 s)');
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe('\r\x1b[Kx waiting (3 s)');
  });

  it('writes nothing when the stream is not a terminal, or when disabled (--json)', async () => {
    const pipe = stream(false);
    const notTty = createBar('x', { stream: pipe.stream });
    notTty.update(1, 2);
    notTty.end();
    const tty = stream(true);
    const disabled = createBar('x', { stream: tty.stream, enabled: false });
    disabled.update(1, 2);
    disabled.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pipe.text()).toBe('');
    expect(tty.text()).toBe('');
  });
});
