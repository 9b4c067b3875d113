/**
 * @module scheduler/resources
 * Resource vectors as the scheduler counts them (upstream framework.Resource): milli-CPU,
 * memory / ephemeral-storage bytes and scalar resources (extended, hugepages) as plain
 * numbers, a node's allocatable, and a pod's effective request like upstream's
 * resource.PodRequests: the sum of containers (plus restartable init containers), the max
 * with each init container, plus overhead. The "non-zero" variant fills missing CPU/memory
 * requests with 100m / 200Mi, as the scoring plugins do.
 */
import { Quantity } from "../api/resources/quantity.ts";
import type { KObj } from "../client/client.ts";

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Other resources (extended, hugepages-*), by name; null when none. */
  scalar: Map<string, number> | null;
}

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: null };
}

const parsed = new Map<string, number>();
const parsedMilli = new Map<string, number>();

/** Integer value of a quantity (rounded up like Value()); unparsable → 0. Memoised: quantities repeat. */
export function quantityValue(q: unknown): number {
  const key = String(q);
  let v = parsed.get(key);
  if (v === undefined) {
    v = Number(Quantity.tryParse(q)?.valueBig() ?? 0n);
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(key, v);
  }
  return v;
}

/** Milli value of a quantity (MilliValue(), used for CPU); unparsable → 0. */
export function quantityMilli(q: unknown): number {
  const key = String(q);
  let v = parsedMilli.get(key);
  if (v === undefined) {
    v = Number(Quantity.tryParse(q)?.milliValueBig() ?? 0n);
    if (parsedMilli.size > 10_000) parsedMilli.clear();
    parsedMilli.set(key, v);
  }
  return v;
}

/** A resource name the Fit filter checks as a scalar (everything but cpu, memory, ephemeral-storage, pods). */
function isScalar(name: string): boolean {
  return name !== "cpu" && name !== "memory" && name !== "ephemeral-storage" && name !== "pods" && name !== "storage";
}

function addList(into: Resources, list: KObj | undefined | null) {
  if (!list || typeof list !== "object") return;
  for (const name in list) {
    const q = list[name];
    if (name === "cpu") into.milliCPU += quantityMilli(q);
    else if (name === "memory") into.memory += quantityValue(q);
    else if (name === "ephemeral-storage") into.ephemeralStorage += quantityValue(q);
    else if (isScalar(name)) {
      into.scalar ??= new Map();
      into.scalar.set(name, (into.scalar.get(name) ?? 0) + quantityValue(q));
    }
  }
}

function addResources(into: Resources, r: Resources) {
  into.milliCPU += r.milliCPU;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  if (r.scalar) {
    into.scalar ??= new Map();
    for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + v);
  }
}

function maxResources(into: Resources, r: Resources) {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  if (r.scalar) {
    into.scalar ??= new Map();
    for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
  }
}

function containerRequests(c: KObj, nonZero: boolean): Resources {
  const r = emptyResources();
  const req = c?.resources?.requests;
  addList(r, req);
  if (nonZero) {
    if (!req || req.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!req || req.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/** upstream resource.PodRequests (without in-place resize). `nonZero` applies the scoring defaults to missing CPU/memory requests. */
export function podRequests(spec: KObj | undefined, nonZero = false): Resources {
  const reqs = emptyResources();
  if (!spec) return reqs;
  for (const c of (spec.containers ?? []) as KObj[]) addResources(reqs, containerRequests(c, nonZero));
  const restartable = emptyResources();
  const initMax = emptyResources();
  for (const c of (spec.initContainers ?? []) as KObj[]) {
    const cr = containerRequests(c, nonZero);
    if (c?.restartPolicy === "Always") {
      addResources(reqs, cr);
      addResources(restartable, cr);
      maxResources(initMax, restartable);
    } else {
      const tmp = emptyResources();
      addResources(tmp, cr);
      addResources(tmp, restartable);
      maxResources(initMax, tmp);
    }
  }
  maxResources(reqs, initMax);
  if (spec.overhead) addList(reqs, spec.overhead);
  return reqs;
}

export interface NodeAllocatable extends Resources {
  allowedPods: number;
}

/** status.allocatable (capacity when absent) as numbers. */
export function nodeAllocatable(node: KObj): NodeAllocatable {
  const list = node.status?.allocatable ?? node.status?.capacity ?? {};
  const r = emptyResources();
  addList(r, list);
  return { ...r, allowedPods: list.pods !== undefined ? quantityValue(list.pods) : 0 };
}

export function isZeroRequest(r: Resources): boolean {
  if (r.milliCPU !== 0 || r.memory !== 0 || r.ephemeralStorage !== 0) return false;
  if (r.scalar) for (const v of r.scalar.values()) if (v !== 0) return false;
  return true;
}
