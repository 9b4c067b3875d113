/**
 * @module agent/config-source
 * ConfigMaps and Secrets as pods on this node need them (env, envFrom, volumes): one
 * GET per object per `ttlMs`, shared by every pod that refers to it, concurrent asks
 * folded into one request. Missing objects are cached too (null). Only objects that
 * pods reference are ever fetched, so the agent never holds the cluster's secrets.
 */
import { isNotFound, type KObj, type KubeClient } from "../client/client.ts";
import { R } from "../client/resources.ts";

type Kind = "configmaps" | "secrets";

interface Entry {
  at: number;
  value: Promise<KObj | null>;
}

export class ConfigSource {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly client: KubeClient,
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  private get(kind: Kind, namespace: string, name: string, maxAgeMs: number): Promise<KObj | null> {
    const key = `${kind}/${namespace}/${name}`;
    const e = this.cache.get(key);
    if (e && this.now() - e.at <= maxAgeMs) return e.value;
    const value = this.client.get(R[kind], namespace, name).then(
      (o) => o,
      (err) => {
        if (isNotFound(err)) return null;
        this.cache.delete(key);
        throw err;
      },
    );
    this.cache.set(key, { at: this.now(), value });
    if (this.cache.size > 2048) this.prune();
    return value;
  }

  configMap(namespace: string, name: string, maxAgeMs = this.ttlMs): Promise<KObj | null> {
    return this.get("configmaps", namespace, name, maxAgeMs);
  }

  secret(namespace: string, name: string, maxAgeMs = this.ttlMs): Promise<KObj | null> {
    return this.get("secrets", namespace, name, maxAgeMs);
  }

  private prune() {
    const t = this.now();
    for (const [k, e] of this.cache) if (t - e.at > this.ttlMs) this.cache.delete(k);
  }
}

/** A Secret's data decoded (base64) to bytes; a ConfigMap's data and binaryData. */
export function objectFiles(kind: "configMap" | "secret", obj: KObj): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  if (kind === "secret") {
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, "base64"));
    for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) out.set(k, enc.encode(v));
  } else {
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) out.set(k, enc.encode(v));
    for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, "base64"));
  }
  return out;
}
