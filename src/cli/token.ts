/**
 * @module cli/token
 * `kite token`: prints the join token stored in a server's data dir.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { homedir } from "node:os";
import { ConfigError } from "./config.ts";

export function tokenPath(dataDir: string) {
  return join(dataDir, "server", "token");
}

export async function printToken(opts: Record<string, unknown>) {
  const d = opts["dataDir"] as string | string[] | undefined;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const dataDir = resolve((Array.isArray(d) ? d[d.length - 1] : d) ?? process.env.KITE_DATA_DIR ?? (root ? "/var/lib/kite" : join(homedir(), ".kite")));
  let token: string;
  try {
    token = readFileSync(tokenPath(dataDir), "utf8").trim();
  } catch (e) {
    throw new ConfigError("data-dir", `no server token in ${dataDir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); has a server run with this data dir?`);
  }
  process.stdout.write(token + "\n");
}
