/**
 * @module controllers/workloads/util/hash
 * Stable hashes of pod templates for ReplicaSet names (`<deployment>-<pod-template-hash>`)
 * and ControllerRevision names: FNV-32a over a canonical JSON rendering (sorted keys,
 * empty values dropped so that `{}`/`[]`/`null`/absent hash alike, as Go's omitempty
 * makes them look alike on the wire), optionally followed by the collision count as 8
 * little-endian bytes like upstream's ComputeHash, rendered with rand.SafeEncodeString's
 * alphabet (no vowels, no look-alike digits).
 */

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits, over bytes, continuing from `h` when given. */
export function fnv32a(bytes: Uint8Array, h = FNV_OFFSET): number {
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: every character mapped into the safe alphabet by its code. */
export function safeEncode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v as object).length === 0;
  return false;
}

/** A copy without empty values (recursively) — the normal form used for hashing and template equality. */
export function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (!isEmpty(n)) out[k] = n;
    }
    return out;
  }
  return v;
}

/** JSON with sorted keys and empty values dropped. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(normalize(v) ?? null);
}

const enc = new TextEncoder();

/** The pod-template-hash of a template (and collision count), like upstream's controller.ComputeHash. */
export function computeHash(template: unknown, collisionCount?: number | null): string {
  let h = fnv32a(enc.encode(canonicalJson(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncode(String(h));
}
