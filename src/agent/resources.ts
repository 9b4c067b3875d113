/**
 * @module agent/resources
 * A container's resources as the engine and the downward API see them: limits become
 * --cpus / --memory, requests.cpu becomes --cpu-shares; resourceFieldRef values are
 * computed like the kubelet (ceil(value / divisor), node allocatable when no limit).
 */
import type { KObj } from "../client/client.ts";
import { Quantity } from "../api/resources/quantity.ts";
import type { Resources } from "./runtime/types.ts";

export class ResourceFieldError extends Error {
  override name = "ResourceFieldError";
}

function q(v: unknown): Quantity | undefined {
  return Quantity.tryParse(v);
}

/** The engine limits of a Kubernetes container (undefined parts are left to the engine). */
export function engineResources(container: KObj): Resources {
  const lim = container.resources?.limits ?? {};
  const req = container.resources?.requests ?? {};
  const out: Resources = {};
  const cpuLimit = q(lim.cpu);
  if (cpuLimit && cpuLimit.sign() > 0) out.cpuLimit = cpuLimit.milliValue() / 1000;
  const cpuReq = q(req.cpu);
  if (cpuReq && cpuReq.sign() > 0) out.cpuRequest = cpuReq.milliValue() / 1000;
  const mem = q(lim.memory);
  // The engines refuse less than 6 MiB; Kubernetes lets it through (and the container OOMs).
  if (mem && mem.sign() > 0) out.memoryLimitBytes = Math.max(6 * 1024 * 1024, mem.value());
  return out;
}

const RESOURCES = new Set(["limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage"]);

/**
 * Value of a resourceFieldRef for `container`, as a string. Missing limits fall back to
 * the node's allocatable (as the kubelet does); missing requests to the limit, then 0.
 */
export function resourceFieldValue(container: KObj, ref: { resource: string; divisor?: string | number }, allocatable: Record<string, string>): string {
  if (!RESOURCES.has(ref.resource)) throw new ResourceFieldError(`unsupported resourceFieldRef resource ${JSON.stringify(ref.resource)}`);
  const [kind, name] = ref.resource.split(".") as ["limits" | "requests", string];
  const lim = q(container.resources?.limits?.[name]);
  const req = q(container.resources?.requests?.[name]);
  let v: Quantity | undefined = kind === "limits" ? lim : (req ?? lim);
  if (!v || (kind === "limits" && v.sign() === 0)) v = kind === "limits" ? q(allocatable[name]) : undefined;
  if (!v) v = new Quantity(0n);
  const divisor = q(ref.divisor ?? (name === "cpu" ? "1" : "1")) ?? Quantity.fromValue(1);
  if (divisor.sign() <= 0) throw new ResourceFieldError(`invalid divisor ${ref.divisor}`);
  // ceil(v / divisor), exactly.
  const n = v.nanos;
  const d = divisor.nanos;
  const quotient = n / d + (n % d === 0n ? 0n : 1n);
  return quotient.toString();
}
