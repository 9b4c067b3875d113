import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreContract } from "./contract.ts";
import { LocalStore } from "./local-store.ts";

const root = mkdtempSync(join(tmpdir(), "kite-localstore-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runStoreContract("LocalStore (file, fsync)", async () => {
  const path = join(root, `s${n++}.db`);
  const store = await LocalStore.open(path, { leaseCheckIntervalMs: 100 });
  return { store, cleanup: () => store.close() };
});
