/**
 * @module controllers/workloads/util/slow-start
 * upstream slowStartBatch: run `count` calls in batches of 1, 2, 4, ... in parallel,
 * stopping after the first batch with a failure, so a controller whose creates all fail
 * (quota, admission) makes one call instead of hundreds.
 */
export async function slowStartBatch(count: number, initial: number, fn: (i: number) => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let batch = Math.min(remaining, initial);
  let started = 0;
  while (batch > 0) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn(started++)));
    let error: unknown;
    for (const r of results) {
      if (r.status === "fulfilled") successes++;
      else error ??= r.reason;
    }
    if (error !== undefined) return { successes, error };
    remaining -= batch;
    batch = Math.min(2 * batch, remaining);
  }
  return { successes };
}
