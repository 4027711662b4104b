/**
 * Password hashing for dashboard users: scrypt from node:crypto with a random 16-byte salt per
 * user. The parameters are stored with each hash (N = 2^15, r = 8, p = 1, 32-byte key: about
 * 32 MiB and 0.15-0.33 s per check on a shared, loaded 2-core machine), so they can be raised later and older hashes still
 * verify. Comparison is constant-time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { StoredPassword } from '../store/users.js';

/** The parameters new hashes are made with. */
export const SCRYPT_PARAMS: StoredPassword['params'] = { alg: 'scrypt', N: 2 ** 15, r: 8, p: 1, keylen: 32 };

/** Shortest and longest password accepted. */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 1024;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

const maxmem = (p: StoredPassword['params']) => 128 * p.N * p.r * 2 + 1024 * 1024;

/** Hashes a password with a new random salt. */
export async function hashPassword(password: string, params: StoredPassword['params'] = SCRYPT_PARAMS): Promise<StoredPassword> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: maxmem(params) });
  return { hash: key.toString('base64'), salt: salt.toString('base64'), params: { ...params } };
}

/** True when `password` matches the stored hash (constant-time comparison). */
export async function verifyPassword(password: string, stored: StoredPassword): Promise<boolean> {
  const p = stored.params;
  if (p?.alg !== 'scrypt') return false;
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(stored.salt, 'base64'), expected.length, { N: p.N, r: p.r, p: p.p, maxmem: maxmem(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash nobody's password matches, checked when the name is unknown so that an unknown name
 * costs as much time as a wrong password (the answer is the same too).
 */
let dummy: Promise<StoredPassword> | undefined;
export function dummyPassword(): Promise<StoredPassword> {
  dummy ??= hashPassword(randomBytes(32).toString('base64'));
  return dummy;
}

/** A strong generated password: 18 random bytes, 24 characters of base64url (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** What is wrong with a password, or undefined when it is acceptable. */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'expected a string';
  if (password.length < PASSWORD_MIN) return `expected at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `expected at most ${PASSWORD_MAX} characters`;
  return undefined;
}
