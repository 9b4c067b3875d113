/**
 * @module bench/lib/kite-single
 * One `kite server` process (the compiled binary when built) with its own temp data dir,
 * as a benchmark target.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adminToken, startServer } from "../../test/lib/kite.ts";
import type { KiteApiTarget } from "./drivers.ts";

export async function startKiteSingle(): Promise<KiteApiTarget> {
  const s = await startServer();
  return {
    urls: [s.url],
    token: adminToken(s),
    caPem: readFileSync(join(s.dataDir, "server", "tls", "ca.crt"), "utf8"),
    pids: [s.proc.pid],
    stop: async () => {
      await s.stop();
    },
    describe: "one kite server (--disable-agent) on loopback",
  };
}
