import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceHash } from '../../functions/local/cloud-template.ts';

describe('the local stack\'s template cache key', () => {
  it('is the same for the same sources and context', () => {
    expect(sourceHash({ 'strata:x': 1 })).toBe(sourceHash({ 'strata:x': 1 }));
  });

  it('changes with the context', () => {
    expect(sourceHash({})).not.toBe(sourceHash({ 'strata:encryptionKey': 'create' }));
  });

  it('changes when a file in a folder the context names changes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-hash-'));
    try {
      fs.mkdirSync(path.join(dir, 'nested'));
      fs.writeFileSync(path.join(dir, 'nested', 'welcome.mjml'), '<mjml>one</mjml>');
      const context = { 'strata:campaignDir': dir };
      const before = sourceHash(context);
      expect(sourceHash(context)).toBe(before);
      fs.writeFileSync(path.join(dir, 'nested', 'welcome.mjml'), '<mjml>two</mjml>');
      expect(sourceHash(context)).not.toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
