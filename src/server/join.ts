/**
 * @module server/join
 * Kite's join endpoints, on the API port: an agent presents the cluster's join secret
 * (after pinning the CA from its token) and receives its own node credential, plus the
 * list of servers it may use. Only the hash of the issued credential is stored.
 */
import type { Hono } from "hono";
import type { Env } from "../api/app.ts";
import type { Store } from "../store/types.ts";
import { constantTimeEqual, randomBearerToken } from "../pki/token.ts";
import { nodeUser, putCredential } from "../api/auth/authn.ts";
import { isDNS1123Subdomain } from "../api/validation/meta.ts";
import { json } from "../api/http/respond.ts";
import { errors } from "../api/errors.ts";
import { errorResponse } from "../api/http/respond.ts";

export const JOIN_AGENT_PATH = "/kite/v1/join/agent";
export const SERVERS_PATH = "/kite/v1/servers";

export interface JoinDeps {
  store: Store;
  /** The cluster's join secret (the password part of the token). */
  secret: () => string;
  /** URLs of every server in the cluster, for agent failover. */
  servers: () => string[];
  authenticate: (req: Request) => Promise<{ username: string } | null>;
}

/** The join secret from `Authorization: Basic base64(node:<secret>)` or `Bearer <secret>`. */
export function presentedSecret(req: Request): string | null {
  const h = req.headers.get("authorization") ?? "";
  const basic = /^Basic\s+(\S+)$/i.exec(h);
  if (basic) {
    const s = Buffer.from(basic[1]!, "base64").toString("utf8");
    const i = s.indexOf(":");
    return i < 0 ? null : s.slice(i + 1);
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(h);
  return bearer ? bearer[1]! : null;
}

export function mountJoinRoutes(app: Hono<Env>, deps: JoinDeps) {
  app.post(JOIN_AGENT_PATH, async (c) => {
    try {
      const s = presentedSecret(c.req.raw);
      if (!s || !constantTimeEqual(s, deps.secret())) throw errors.unauthorized();
      const body = (await c.req.json().catch(() => null)) as { nodeName?: string } | null;
      const node = body?.nodeName;
      if (!node || isDNS1123Subdomain(node).length) throw errors.badRequest(`nodeName: Invalid value: ${JSON.stringify(node ?? "")}: must be a DNS subdomain`);
      const token = randomBearerToken();
      await putCredential(deps.store, token, nodeUser(node));
      return json({ kind: "JoinResponse", apiVersion: "kite.io/v1", nodeName: node, token, servers: deps.servers() });
    } catch (e) {
      return errorResponse(e);
    }
  });
  app.get(SERVERS_PATH, async (c) => {
    const user = await deps.authenticate(c.req.raw);
    if (!user) return errorResponse(errors.unauthorized());
    return json({ servers: deps.servers() });
  });
}
