import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidError } from '../domain/errors.js';
import { KEY_FILE, loadSigner } from './keys.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the transparency log key', () => {
  it('is made owner-only in the data directory on first use, then reused', () => {
    const dataDir = join(dir, 'data');
    expect(() => loadSigner({ dataDir }, { create: false })).toThrow(InvalidError);
    const a = loadSigner({ dataDir });
    expect(statSync(join(dataDir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(loadSigner({ dataDir }).keyId).toBe(a.keyId);
    // A configured file wins over the data directory's.
    const other = join(dir, 'other.pem');
    const b = loadSigner({ dataDir: join(dir, 'b') });
    writeFileSync(other, readFileSync(join(dir, 'b', KEY_FILE)));
    expect(loadSigner({ keyFile: other, dataDir }).keyId).toBe(b.keyId);
  });

  it('refuses a configured file that is missing or not an Ed25519 key, and keeps memory stores in memory', () => {
    expect(() => loadSigner({ keyFile: join(dir, 'missing.pem'), dataDir: join(dir, 'x') })).toThrow(/archive.signingKey|cannot read/);
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'not a key');
    expect(() => loadSigner({ keyFile: bad })).toThrow(InvalidError);
    const m1 = loadSigner({ dataDir: 'memory://' });
    const m2 = loadSigner({ dataDir: 'memory://' });
    expect(m1.keyId).not.toBe(m2.keyId);
  });
});
