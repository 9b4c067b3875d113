/**
 * @module server/secrets
 * The server's long-lived secrets in its data dir: the join token (k3s's secure form,
 * `K10<CA hash>::server:<secret>`) and the admin bearer token.
 */
import { readFileSync, existsSync } from "node:fs";
import { writeFileAtomic } from "../pki/files.ts";
import { caHash, formatJoinToken, parseJoinToken, randomBearerToken, randomSecret } from "../pki/token.ts";
import { ConfigError } from "../cli/config.ts";
import type { serverPaths } from "./paths.ts";

export interface ClusterSecrets {
  /** The full join token to print (`kite token`). */
  joinToken: string;
  /** The secret part that joining servers and agents present. */
  secret: string;
  adminToken: string;
}

export async function loadSecrets(paths: ReturnType<typeof serverPaths>, caPem: string, tokenFlag?: string): Promise<ClusterSecrets> {
  let secret: string | undefined;
  if (existsSync(paths.token)) secret = parseJoinToken(readFileSync(paths.token, "utf8")).password;
  if (tokenFlag) {
    let t;
    try {
      t = parseJoinToken(tokenFlag);
    } catch (e) {
      throw new ConfigError("token", (e as Error).message);
    }
    if (t.caHash && t.caHash !== caHash(caPem)) throw new ConfigError("token", "the token's CA hash does not match this server's cluster CA");
    if (secret && secret !== t.password) throw new ConfigError("token", `differs from the token this server was started with (stored in ${paths.token})`);
    secret = t.password;
  }
  secret ??= randomSecret();
  const joinToken = formatJoinToken(caPem, secret);
  await writeFileAtomic(paths.token, joinToken + "\n", 0o600);
  let adminToken: string;
  if (existsSync(paths.adminToken)) adminToken = readFileSync(paths.adminToken, "utf8").trim();
  else {
    adminToken = randomBearerToken();
    await writeFileAtomic(paths.adminToken, adminToken + "\n", 0o600);
  }
  return { joinToken, secret, adminToken };
}
