/**
 * @module bench/lib/load
 * Closed-loop load: `concurrency` workers each issue one write at a time for a
 * fixed duration after a warm-up; reports throughput, latency percentiles and
 * CPU use (this process and, if known, the target process).
 */
import type { WriteDriver } from "./drivers.ts";

export interface LoadResult {
  concurrency: number;
  writes: number;
  errors: number;
  firstError?: string;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  /** CPU cores used by this process (load generator, plus the target when in-process). */
  clientCores: number;
  /** CPU cores used by the target process (undefined when in-process). */
  targetCores?: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function runLoad(driver: WriteDriver, concurrency: number, durationMs: number, warmupMs: number): Promise<LoadResult> {
  let next = 0;
  let stop = false;
  let measuring = false;
  let lat = new Float64Array(1 << 16);
  let n = 0;
  let errors = 0;
  let firstError: string | undefined;
  const record = (ms: number) => {
    if (n === lat.length) {
      const bigger = new Float64Array(lat.length * 2);
      bigger.set(lat);
      lat = bigger;
    }
    lat[n++] = ms;
  };
  const worker = async () => {
    while (!stop) {
      const t = performance.now();
      try {
        await driver.write(next++);
        if (measuring) record(performance.now() - t);
      } catch (err) {
        if (measuring) errors++;
        firstError ??= String(err);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await Bun.sleep(warmupMs);
  measuring = true;
  const cpu0 = process.cpuUsage();
  const tcpu0 = driver.targetCpuSeconds?.();
  const t0 = performance.now();
  await Bun.sleep(durationMs);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const tcpu1 = driver.targetCpuSeconds?.();
  stop = true;
  await Promise.all(workers);
  const sorted = lat.subarray(0, n).sort();
  return {
    concurrency,
    writes: n,
    errors,
    firstError,
    seconds,
    perSecond: n / seconds,
    p50ms: percentile(sorted, 0.5),
    p99ms: percentile(sorted, 0.99),
    clientCores: (cpu.user + cpu.system) / 1e6 / seconds,
    targetCores: tcpu0 !== undefined && tcpu1 !== undefined ? (tcpu1 - tcpu0) / seconds : undefined,
  };
}
