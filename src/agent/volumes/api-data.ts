/**
 * @module agent/volumes/api-data
 * Payloads of the volumes whose files come from the API: configMap, secret,
 * downwardAPI and projected (including serviceAccountToken). Each builder returns the
 * file set for atomic-writer; missing objects or keys are VolumeError unless optional.
 */
import type { KObj } from "../../client/client.ts";
import { objectFiles } from "../config-source.ts";
import { podFieldValue } from "../fieldpath.ts";
import { resourceFieldValue } from "../resources.ts";
import type { FileEntry, Payload } from "./atomic-writer.ts";
import { VolumeError, type VolumeContext } from "./types.ts";

const DEFAULT_MODE = 0o644;
const enc = new TextEncoder();

interface KeyItem {
  key: string;
  path: string;
  mode?: number;
}

/** Files of a ConfigMap or Secret, optionally narrowed to `items`. */
function keyedFiles(vol: string, kind: "configMap" | "secret", obj: KObj | null, name: string, items: KeyItem[] | undefined, optional: boolean, mode: number, out: Payload) {
  if (!obj) {
    if (optional) return;
    throw new VolumeError(vol, `${kind.toLowerCase()} "${name}" not found`);
  }
  const files = objectFiles(kind, obj);
  if (items && items.length > 0) {
    for (const it of items) {
      const data = files.get(it.key);
      if (!data) {
        if (optional) continue;
        throw new VolumeError(vol, kind === "secret" ? `secret references non-existent secret key: ${it.key}` : `configmap references non-existent config key: ${it.key}`);
      }
      out.set(it.path, { data, mode: it.mode ?? mode });
    }
  } else {
    for (const [k, data] of files) out.set(k, { data, mode });
  }
}

function downwardFiles(vol: string, ctx: VolumeContext, items: KObj[] | undefined, mode: number, out: Payload) {
  for (const it of items ?? []) {
    let value: string;
    try {
      if (it.fieldRef) value = podFieldValue(ctx.pod, it.fieldRef.fieldPath, ctx.addresses, true);
      else if (it.resourceFieldRef) {
        const cname = it.resourceFieldRef.containerName;
        const c = ([...(ctx.pod.spec.containers ?? []), ...(ctx.pod.spec.initContainers ?? [])] as KObj[]).find((x) => x.name === cname);
        if (!c) throw new Error(`container ${JSON.stringify(cname)} not found`);
        value = resourceFieldValue(c, it.resourceFieldRef, ctx.allocatable);
      } else continue;
    } catch (e) {
      throw new VolumeError(vol, (e as Error).message);
    }
    out.set(it.path, { data: enc.encode(value), mode: it.mode ?? mode });
  }
}

export async function configMapPayload(vol: KObj, ctx: VolumeContext): Promise<Payload> {
  const src = vol.configMap;
  const out: Payload = new Map();
  const obj = await ctx.source.configMap(ctx.pod.metadata.namespace, src.name);
  keyedFiles(vol.name, "configMap", obj, src.name, src.items, src.optional === true, src.defaultMode ?? DEFAULT_MODE, out);
  return out;
}

export async function secretPayload(vol: KObj, ctx: VolumeContext): Promise<Payload> {
  const src = vol.secret;
  const out: Payload = new Map();
  const obj = await ctx.source.secret(ctx.pod.metadata.namespace, src.secretName);
  keyedFiles(vol.name, "secret", obj, src.secretName, src.items, src.optional === true, src.defaultMode ?? DEFAULT_MODE, out);
  return out;
}

export function downwardAPIPayload(vol: KObj, ctx: VolumeContext): Payload {
  const out: Payload = new Map();
  downwardFiles(vol.name, ctx, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? DEFAULT_MODE, out);
  return out;
}

export interface ProjectedResult {
  payload: Payload;
  /** Token files that could not be written because the server cannot issue tokens. */
  missingTokens: string[];
}

export async function projectedPayload(vol: KObj, ctx: VolumeContext): Promise<ProjectedResult> {
  const p = vol.projected;
  const mode = p.defaultMode ?? DEFAULT_MODE;
  const out: Payload = new Map();
  const missingTokens: string[] = [];
  const ns = ctx.pod.metadata.namespace;
  for (const s of (p.sources ?? []) as KObj[]) {
    if (s.configMap) {
      const obj = await ctx.source.configMap(ns, s.configMap.name);
      keyedFiles(vol.name, "configMap", obj, s.configMap.name, s.configMap.items, s.configMap.optional === true, mode, out);
    } else if (s.secret) {
      const obj = await ctx.source.secret(ns, s.secret.name);
      keyedFiles(vol.name, "secret", obj, s.secret.name, s.secret.items, s.secret.optional === true, mode, out);
    } else if (s.downwardAPI) {
      downwardFiles(vol.name, ctx, s.downwardAPI.items, mode, out);
    } else if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      let token: string | null;
      try {
        token = await ctx.tokens.get(ctx.pod, t.audience, t.expirationSeconds ?? 3600);
      } catch (e) {
        throw new VolumeError(vol.name, (e as Error).message);
      }
      if (token === null) missingTokens.push(t.path);
      else out.set(t.path, { data: enc.encode(token), mode } satisfies FileEntry);
    }
  }
  return { payload: out, missingTokens };
}
