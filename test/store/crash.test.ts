/**
 * Crash test with real processes: a writer process acknowledges writes (after
 * fsync) and prints them; it is killed with SIGKILL mid-flight, several rounds
 * on the same database, half the rounds with auto-compaction and vacuum running.
 * After each kill the database must pass integrity_check and open, hold every
 * acknowledged write at its revision (where not compacted), and have gap-free
 * revisions.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectEvents } from "../../src/store/contract.ts";
import { LocalStore } from "../../src/store/local-store.ts";

const root = mkdtempSync(join(tmpdir(), "kite-crash-"));
const live = new Set<Bun.Subprocess>();
afterAll(() => {
  for (const p of live) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

interface Ack {
  op: string;
  key: string;
  rev: number;
  value: string;
}

/** Runs the writer until it has printed at least `minAcks` acks plus a random extra delay, then SIGKILLs it. */
async function runAndKill(db: string, minAcks: number, compactWindow: number): Promise<{ acks: Ack[]; readyRev: number }> {
  const args = ["bun", join(import.meta.dir, "crash-writer.ts"), db, "64", String(compactWindow)];
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  live.add(proc);
  const lines: string[] = [];
  let partial = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      const text = partial + decoder.decode(chunk, { stream: true });
      const parts = text.split("\n");
      partial = parts.pop()!;
      lines.push(...parts);
    }
  })();
  const deadline = Date.now() + 15_000;
  while (lines.filter((l) => l.startsWith("ACK")).length < minAcks) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill("SIGKILL");
      throw new Error(`writer did not get going: ${await new Response(proc.stderr).text()}`);
    }
    await Bun.sleep(5);
  }
  await Bun.sleep(Math.random() * 100);
  proc.kill("SIGKILL");
  await proc.exited;
  await reading;
  live.delete(proc);
  expect(proc.signalCode).toBe("SIGKILL");
  const ready = lines.find((l) => l.startsWith("READY "));
  const acks = lines
    .filter((l) => l.startsWith("ACK "))
    .map((l) => {
      const [, op, key, rev, value] = l.split(" ");
      return { op: op!, key: key!, rev: Number(rev), value: value! };
    });
  return { acks, readyRev: Number(ready?.split(" ")[1]) };
}

describe("store crash safety (kill -9)", () => {
  it("keeps every acknowledged write, with its revision, across repeated SIGKILLs", async () => {
    const db = join(root, "crash.db");
    let lastRev = 0;
    let totalAcks = 0;
    for (let round = 0; round < 4; round++) {
      // Odd rounds run auto-compaction (window 1500 revisions) while writing.
      const window = round % 2 === 1 ? 1500 : 0;
      const { acks, readyRev } = await runAndKill(db, 500 + round * 300, window);
      expect(readyRev).toBe(lastRev === 0 ? 0 : lastRev);
      totalAcks += acks.length;

      const check = new Database(db);
      expect((check.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
      check.close();

      const store = await LocalStore.open(db, { compactIntervalMs: 0 });
      try {
        const head = await store.currentRevision();
        const compactRev = await store.compactRevision();
        if (window > 0) expect(compactRev).toBeGreaterThan(0);
        const maxAck = Math.max(...acks.map((a) => a.rev));
        expect(head).toBeGreaterThanOrEqual(maxAck);
        const checkable = acks.filter((a) => a.rev - 1 >= compactRev);
        expect(checkable.length).toBeGreaterThan(acks.length / 3);
        for (const a of checkable) {
          const at = await store.get(a.key, { revision: a.rev });
          if (a.op === "delete") {
            expect(at.kv).toBeNull();
            expect((await store.get(a.key, { revision: a.rev - 1 })).kv).not.toBeNull();
          } else {
            expect(at.kv).toMatchObject({ value: a.value, modRevision: a.rev });
          }
        }
        // Revisions are gap-free up to head: every revision after the compact revision is exactly one event.
        const w = store.watch("/", { afterRevision: compactRev });
        const events = await collectEvents(w, head - compactRev, 10_000);
        w.cancel();
        expect(events.map((e) => e.kv.modRevision)).toEqual(Array.from({ length: head - compactRev }, (_, i) => compactRev + i + 1));
        // Every key's current value is readable and consistent with its history.
        const all = await store.list("/crash/");
        for (const kv of all.kvs) expect(kv.modRevision).toBeLessThanOrEqual(head);
        lastRev = head;
      } finally {
        await store.close();
      }
    }
    expect(totalAcks).toBeGreaterThan(2000);
  }, 60_000);
});
