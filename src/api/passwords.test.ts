import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, passwordProblem, SCRYPT_PARAMS, verifyPassword } from './passwords.js';

describe('password hashing (scrypt)', () => {
  it('verifies the right password only, with a salt of its own per hash and the parameters recorded', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a.params).toEqual(SCRYPT_PARAMS);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(Buffer.from(a.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(a.hash, 'base64')).toHaveLength(32);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verifies a hash made with other parameters by the parameters stored with it', async () => {
    const cheap = await hashPassword('an older password', { alg: 'scrypt', N: 1024, r: 8, p: 1, keylen: 24 });
    expect(Buffer.from(cheap.hash, 'base64')).toHaveLength(24);
    expect(await verifyPassword('an older password', cheap)).toBe(true);
    expect(await verifyPassword('an older password', { ...cheap, params: { ...cheap.params, N: 2048 } })).toBe(false);
    expect(await verifyPassword('an older password', { ...cheap, params: { ...cheap.params, alg: 'md5' as 'scrypt' } })).toBe(false);
  });

  it('generates strong passwords and names what is wrong with a weak one', () => {
    const p = generatePassword();
    expect(p).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(p);
    expect(passwordProblem(p)).toBeUndefined();
    expect(passwordProblem('short')).toMatch(/at least 10/);
    expect(passwordProblem('x'.repeat(1025))).toMatch(/at most 1024/);
    expect(passwordProblem(42)).toMatch(/string/);
  });
});
