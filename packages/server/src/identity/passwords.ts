import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt. The parameters travel inside each stored hash
 * (`scrypt$N$r$p$salt$key`), so they can be raised later without invalidating existing accounts.
 * Defaults follow OWASP's password storage guidance for scrypt (N = 2^17, r = 8, p = 1).
 */
export interface ScryptParameters {
  cost: number;
  blockSize: number;
  parallelization: number;
}

export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = {
  cost: 2 ** 17,
  blockSize: 8,
  parallelization: 1,
};

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const PREFIX = 'scrypt';

export async function hashPassword(
  password: string,
  parameters: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await deriveKey(password, salt, parameters);
  return [
    PREFIX,
    parameters.cost,
    parameters.blockSize,
    parameters.parallelization,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/** False for a wrong password and for a stored value that is not one of our hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return false;
  const [, cost, blockSize, parallelization, salt, key] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const parameters = {
    cost: Number(cost),
    blockSize: Number(blockSize),
    parallelization: Number(parallelization),
  };
  if (!Object.values(parameters).every((value) => Number.isSafeInteger(value) && value > 0)) return false;
  const expected = Buffer.from(key, 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  const actual = await deriveKey(password, Buffer.from(salt, 'base64url'), parameters);
  return timingSafeEqual(actual, expected);
}

function deriveKey(password: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = {
    N: parameters.cost,
    r: parameters.blockSize,
    p: parameters.parallelization,
    // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly the OWASP minimum's need.
    maxmem: 256 * parameters.cost * parameters.blockSize,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}
