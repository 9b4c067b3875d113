/**
 * @module api/auth/authn
 * Bearer-token authentication. Static credentials (the admin's, each node's) are kept in
 * the replicated store as hashes under /kite/credentials/, so every server accepts the
 * same tokens; ServiceAccount JWTs are verified by signature. Results are cached briefly.
 */
import type { Store } from "../../store/types.ts";
import { hashToken } from "../../pki/token.ts";
import type { UserInfo } from "../registry/types.ts";

export const CREDENTIALS_PREFIX = "/kite/credentials/";

export interface StoredCredential {
  username: string;
  uid?: string;
  groups: string[];
  /** For node credentials: the node's name. */
  node?: string;
  created: string;
}

export type JwtVerifier = (token: string) => Promise<UserInfo | null>;

const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

export class Authenticator {
  private cache = new Map<string, { user: UserInfo | null; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly jwt?: JwtVerifier,
  ) {}

  /** The user behind the request's bearer token, or null (anonymous). */
  async authenticate(req: Request): Promise<UserInfo | null> {
    const h = req.headers.get("authorization");
    if (!h) return null;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return null;
    return this.authenticateToken(m[1]!);
  }

  async authenticateToken(token: string): Promise<UserInfo | null> {
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit && hit.until > now) return hit.user;
    let user: UserInfo | null = null;
    if (token.split(".").length === 3 && this.jwt) {
      user = await this.jwt(token).catch(() => null);
    } else {
      const res = await this.store.get(CREDENTIALS_PREFIX + hashToken(token));
      if (res.kv) {
        const c = JSON.parse(res.kv.value) as StoredCredential;
        user = { username: c.username, uid: c.uid, groups: [...c.groups, "system:authenticated"] };
      }
    }
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(token, { user, until: now + CACHE_TTL_MS });
    return user;
  }

  /** Forget cached results (after a credential is revoked). */
  invalidate() {
    this.cache.clear();
  }
}

/** Store a credential for `token` (only its hash is kept). Idempotent. */
export async function putCredential(store: Store, token: string, cred: Omit<StoredCredential, "created">): Promise<void> {
  const key = CREDENTIALS_PREFIX + hashToken(token);
  const value = JSON.stringify({ ...cred, created: new Date().toISOString() });
  const cur = await store.get(key);
  if (cur.kv) {
    const old = JSON.parse(cur.kv.value) as StoredCredential;
    if (old.username === cred.username) return;
    await store.update(key, value, cur.kv.modRevision);
    return;
  }
  await store.create(key, value);
}

export const ADMIN_USER: Omit<StoredCredential, "created"> = { username: "system:admin", groups: ["system:masters"] };
export function nodeUser(node: string): Omit<StoredCredential, "created"> {
  return { username: `system:node:${node}`, groups: ["system:nodes"], node };
}
