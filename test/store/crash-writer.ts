/**
 * Crash-test writer: opens a LocalStore at argv[2] and runs many concurrent
 * writers (creates, updates, deletes on a few keys each) until killed. After
 * each acknowledged write it prints one line:
 *   ACK <op> <key> <revision> <value>
 * The test kills it with SIGKILL at a random moment and checks every printed
 * acknowledgement against the reopened database. With a compaction window,
 * auto-compaction and vacuum run all the time, so kills also hit them.
 */
import { LocalStore } from "../../src/store/local-store.ts";

const path = process.argv[2];
const writers = Number(process.argv[3] ?? 64);
/** Auto-compaction window in revisions (0: off), so kills also land in compaction and vacuum. */
const compactWindow = Number(process.argv[4] ?? 0);
if (!path) {
  console.error("usage: bun test/store/crash-writer.ts <db> [writers] [compact-window]");
  process.exit(2);
}

const store = await LocalStore.open(path, {
  compactIntervalMs: compactWindow > 0 ? 20 : 0,
  compactRetainRevisions: compactWindow,
  compactRetainMs: 0,
});
const out = (line: string) => process.stdout.write(line + "\n");
out(`READY ${await store.currentRevision()}`);

let seq = 0;
async function writer(w: number): Promise<never> {
  const mods = new Map<string, number>();
  for (;;) {
    const key = `/crash/w${w}/k${seq % 4}`;
    const value = `${process.pid}-${w}-${++seq}`;
    const mod = mods.get(key);
    if (mod === undefined) {
      const r = await store.create(key, value);
      if (r.succeeded) {
        mods.set(key, r.revision);
        out(`ACK create ${key} ${r.revision} ${value}`);
      } else if (r.kv) mods.set(key, r.kv.modRevision); // left over from a previous run
    } else if (seq % 7 === 0) {
      const r = await store.delete(key, mod);
      mods.delete(key);
      if (r.succeeded) out(`ACK delete ${key} ${r.revision} -`);
    } else {
      const r = await store.update(key, value, mod);
      if (r.succeeded) {
        mods.set(key, r.revision);
        out(`ACK update ${key} ${r.revision} ${value}`);
      } else mods.delete(key);
    }
  }
}

await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
