/**
 * @module agent/env
 * A container's environment as the kubelet builds it: envFrom (ConfigMaps, Secrets,
 * optional prefix) first, then env (value with $(VAR) expansion, configMapKeyRef,
 * secretKeyRef, fieldRef, resourceFieldRef), later entries overriding earlier ones.
 * Failures are EnvError, reported as CreateContainerConfigError.
 */
import type { KObj } from "../client/client.ts";
import { type ConfigSource, objectFiles } from "./config-source.ts";
import { type PodAddresses, podFieldValue } from "./fieldpath.ts";
import { resourceFieldValue } from "./resources.ts";
import type { EnvVar } from "./runtime/types.ts";

/** The container cannot be configured (a referenced object or key is missing). */
export class EnvError extends Error {
  override name = "EnvError";
}

/**
 * Kubernetes' $(VAR) expansion: defined variables are replaced, undefined references
 * kept verbatim, `$$` escapes a `$`.
 */
export function expandVars(s: string, vars: ReadonlyMap<string, string>): string {
  if (!s.includes("$")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== "$" || i + 1 >= s.length) {
      out += ch;
      continue;
    }
    const next = s[i + 1]!;
    if (next === "$") {
      out += "$";
      i++;
    } else if (next === "(") {
      const close = s.indexOf(")", i + 2);
      if (close < 0) {
        out += s.slice(i);
        break;
      }
      const name = s.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name)! : s.slice(i, close + 1);
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

export interface EnvContext {
  pod: KObj;
  container: KObj;
  addresses: PodAddresses;
  source: ConfigSource;
  /** Node allocatable, for resourceFieldRef without a limit. */
  allocatable: Record<string, string>;
}

export interface ResolvedEnv {
  env: EnvVar[];
  /** envFrom keys skipped because they cannot be variable names. */
  invalidNames: string[];
}

const dec = new TextDecoder();

async function lookup(ctx: EnvContext, kind: "configMap" | "secret", name: string, optional: boolean): Promise<Map<string, Uint8Array> | null> {
  const ns = ctx.pod.metadata.namespace;
  const obj = kind === "secret" ? await ctx.source.secret(ns, name) : await ctx.source.configMap(ns, name);
  if (!obj) {
    if (optional) return null;
    throw new EnvError(`${kind.toLowerCase()} "${name}" not found`);
  }
  return objectFiles(kind, obj);
}

export async function resolveEnv(ctx: EnvContext): Promise<ResolvedEnv> {
  const vars = new Map<string, string>();
  const invalidNames: string[] = [];
  for (const ef of (ctx.container.envFrom ?? []) as KObj[]) {
    const kind = ef.configMapRef ? "configMap" : ef.secretRef ? "secret" : null;
    if (!kind) continue;
    const ref = ef.configMapRef ?? ef.secretRef;
    const data = await lookup(ctx, kind, ref.name, ref.optional === true);
    if (!data) continue;
    for (const [k, v] of data) {
      const name = `${ef.prefix ?? ""}${k}`;
      if (!name || name.includes("=")) {
        invalidNames.push(name);
        continue;
      }
      vars.set(name, dec.decode(v));
    }
  }
  for (const e of (ctx.container.env ?? []) as KObj[]) {
    const vf = e.valueFrom;
    if (!vf) {
      vars.set(e.name, expandVars(e.value ?? "", vars));
      continue;
    }
    if (vf.configMapKeyRef || vf.secretKeyRef) {
      const kind = vf.configMapKeyRef ? "configMap" : "secret";
      const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
      const data = await lookup(ctx, kind, ref.name, ref.optional === true);
      if (!data) continue;
      const v = data.get(ref.key);
      if (v === undefined) {
        if (ref.optional === true) continue;
        throw new EnvError(`couldn't find key ${ref.key} in ${kind === "secret" ? "Secret" : "ConfigMap"} ${ctx.pod.metadata.namespace}/${ref.name}`);
      }
      vars.set(e.name, dec.decode(v));
    } else if (vf.fieldRef) {
      try {
        vars.set(e.name, podFieldValue(ctx.pod, vf.fieldRef.fieldPath, ctx.addresses));
      } catch (err) {
        throw new EnvError((err as Error).message);
      }
    } else if (vf.resourceFieldRef) {
      const target = vf.resourceFieldRef.containerName
        ? ([...(ctx.pod.spec.containers ?? []), ...(ctx.pod.spec.initContainers ?? [])] as KObj[]).find((c) => c.name === vf.resourceFieldRef.containerName)
        : ctx.container;
      if (!target) throw new EnvError(`resourceFieldRef names unknown container ${vf.resourceFieldRef.containerName}`);
      try {
        vars.set(e.name, resourceFieldValue(target, vf.resourceFieldRef, ctx.allocatable));
      } catch (err) {
        throw new EnvError((err as Error).message);
      }
    }
  }
  return { env: [...vars].map(([name, value]) => ({ name, value })), invalidNames };
}
