/**
 * Long churn: a few hundred objects rewritten many times. With auto-compaction
 * on a small window the database (file + WAL) must stay under a fixed bound;
 * the same workload without compaction must exceed it, so the bound is real.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../../src/store/local-store.ts";

const root = mkdtempSync(join(tmpdir(), "kite-churn-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const OBJECTS = 300;
const ROUNDS = 150;
const VALUE = "x".repeat(1024);
const BOUND = 12 * 1024 * 1024;

/**
 * Rewrites every object ROUNDS times (64 at a time), running one auto-compaction
 * round (compact to the window + vacuum) after each pass when `compaction` is on.
 * Returns the largest size seen in the second half.
 */
async function churn(path: string, compaction: boolean): Promise<{ maxSize: number; finalSize: number; writes: number }> {
  const store = await LocalStore.open(path, {
    compactRetainRevisions: compaction ? 1000 : 0,
    compactRetainMs: 0,
    compactIntervalMs: 0, // rounds compact explicitly below, so the bound does not depend on timer jitter
  });
  try {
    const mods: number[] = [];
    let maxSize = 0;
    let writes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < OBJECTS; i += 64) {
        await Promise.all(
          Array.from({ length: Math.min(64, OBJECTS - i) }, async (_, j) => {
            const k = i + j;
            const key = `/registry/configmaps/churn/cm-${k}`;
            const r = mods[k] === undefined ? await store.create(key, VALUE + round) : await store.update(key, VALUE + round, mods[k]!);
            if (!r.succeeded) throw new Error(`write of ${key} failed`);
            mods[k] = r.revision;
            writes++;
          }),
        );
      }
      if (compaction) await store.autoCompact();
      if (round >= ROUNDS / 2) maxSize = Math.max(maxSize, await store.dbSize());
    }
    expect((await store.list("/registry/configmaps/churn/")).count).toBe(OBJECTS);
    return { maxSize, finalSize: await store.dbSize(), writes };
  } finally {
    await store.close();
  }
}

describe("store churn", () => {
  it("keeps the database bounded under rewrites with compaction, and not without", async () => {
    const withC = await churn(join(root, "with.db"), true);
    const without = await churn(join(root, "without.db"), false);
    console.log(
      `churn: ${withC.writes} writes of 1 KiB over ${OBJECTS} objects; max size ${(withC.maxSize / 2 ** 20).toFixed(1)} MiB ` +
        `with compaction vs ${(without.maxSize / 2 ** 20).toFixed(1)} MiB without (bound ${BOUND / 2 ** 20} MiB)`,
    );
    expect(withC.maxSize).toBeLessThan(BOUND);
    expect(withC.finalSize).toBeLessThan(BOUND);
    expect(without.maxSize).toBeGreaterThan(BOUND);
  }, 60_000);
});
