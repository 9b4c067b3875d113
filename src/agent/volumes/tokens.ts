/**
 * @module agent/volumes/tokens
 * ServiceAccount tokens for projected volumes, requested through TokenRequest
 * (POST serviceaccounts/<name>/token) bound to the pod, cached and renewed once 80 %
 * of their lifetime has passed (or after 24 h), like the kubelet's token manager.
 * A server without the subresource (404 for the route, 405) gives null: the volume
 * is mounted without the token and the agent logs it once.
 */
import { KubeApiError, type KObj, type KubeClient } from "../../client/client.ts";
import { R } from "../../client/resources.ts";
import { logger } from "../../util/log.ts";

const log = logger("agent/tokens");

export class TokenError extends Error {
  override name = "TokenError";
}

interface Cached {
  token: string;
  fetchedAt: number;
  renewAt: number;
}

export class TokenSource {
  private readonly cache = new Map<string, Cached>();
  private warned = false;

  constructor(
    private readonly client: KubeClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token for the pod's service account; null when the server cannot issue tokens. */
  async get(pod: KObj, audience: string | undefined, expirationSeconds: number): Promise<string | null> {
    const m = pod.metadata;
    const sa: string = pod.spec?.serviceAccountName || "default";
    const key = `${m.uid}|${sa}|${audience ?? ""}|${expirationSeconds}`;
    const c = this.cache.get(key);
    if (c && this.now() < c.renewAt) return c.token;
    const body = {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds,
        boundObjectRef: { kind: "Pod", apiVersion: "v1", name: m.name, uid: m.uid },
      },
    };
    let res: KObj;
    try {
      res = await this.client.createSub(R.serviceaccounts, m.namespace, sa, "token", body);
    } catch (e) {
      const unserved = e instanceof KubeApiError && (e.code === 405 || (e.code === 404 && e.status?.details?.kind !== "serviceaccounts" && !/serviceaccounts? "/.test(e.message)));
      if (unserved) {
        if (!this.warned) log.warn("the API server does not serve serviceaccounts/token: projected token files are left out", { code: (e as KubeApiError).code });
        this.warned = true;
        return null;
      }
      if (c) return c.token; // keep serving the old token while it is valid
      throw new TokenError(`failed to fetch token: ${(e as Error).message}`);
    }
    const token: string = res.status?.token ?? "";
    if (!token) throw new TokenError("TokenRequest answered without a token");
    const exp = Date.parse(res.status?.expirationTimestamp ?? "");
    const now = this.now();
    const ttl = Number.isFinite(exp) ? Math.max(0, exp - now) : expirationSeconds * 1000;
    this.cache.set(key, { token, fetchedAt: now, renewAt: now + Math.min(ttl * 0.8, 24 * 3600_000) });
    return token;
  }

  /** Forgets a pod's tokens. */
  forget(podUid: string): void {
    for (const k of this.cache.keys()) if (k.startsWith(`${podUid}|`)) this.cache.delete(k);
  }
}
