/**
 * @module store/keys
 * Key and prefix helpers shared by the state machine (SQL range bounds) and the
 * watch hub (JS prefix filters). SQLite compares TEXT by UTF-8 bytes, which is
 * code-point order, so `[prefix, prefixEnd(prefix))` selects exactly the keys
 * that start with `prefix` in both places.
 */

/** Largest key length accepted (etcd's default request limit is 1.5 MiB; keys are far smaller). */
export const MAX_KEY_LENGTH = 8192;

export class InvalidKeyError extends Error {
  constructor(readonly key: unknown, reason: string) {
    super(`invalid key ${JSON.stringify(String(key)).slice(0, 80)}: ${reason}`);
    this.name = "InvalidKeyError";
  }
}

/** Returns why `key` is not acceptable, or null when it is. */
export function keyProblem(key: unknown): string | null {
  if (typeof key !== "string") return "key is not a string";
  if (key.length === 0) return "key is empty";
  if (key.length > MAX_KEY_LENGTH) return `key longer than ${MAX_KEY_LENGTH}`;
  if (!key.isWellFormed()) return "key contains a lone surrogate";
  return null;
}

/** Throws InvalidKeyError unless `key` is a non-empty string of reasonable size without lone surrogates. */
export function validateKey(key: unknown): asserts key is string {
  const problem = keyProblem(key);
  if (problem) throw new InvalidKeyError(key, problem);
}

/**
 * The smallest string greater than every string starting with `prefix`, or null
 * when no upper bound exists (empty prefix, or a prefix of only U+10FFFF).
 */
export function prefixEnd(prefix: string): string | null {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return cps.join("") + String.fromCodePoint(next);
    }
  }
  return null;
}
