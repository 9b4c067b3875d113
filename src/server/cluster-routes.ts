/**
 * @module server/cluster-routes
 * The cluster's endpoints on the API port:
 * - `GET /kite/v1/raft`: peer connections (authenticated by the transport itself);
 * - `POST /kite/v1/join/server`: a new server presents the join secret; the leader adds
 *   it as a learner and answers with its member ID and the cluster's keys (a follower
 *   forwards the request to the leader);
 * - `GET /kite/v1/members` (admin): members with role and leader;
 * - `DELETE /kite/v1/members/<name>` (admin): removes a server from the quorum (also
 *   done by deleting the server's Node, see node-removal.ts);
 * - `POST /kite/v1/raft/faults` (admin, only with KITE_TEST_FAULTS=1 in the environment):
 *   `{"block": [<member id hex>...], "unblock": [...]}` cuts or restores this server's
 *   Raft links to those members, for fault-injection tests (network partitions).
 */
import type { Hono } from "hono";
import type { Env } from "../api/app.ts";
import { ApiError, errors } from "../api/errors.ts";
import { errorResponse, json } from "../api/http/respond.ts";
import { isDNS1123Subdomain } from "../api/validation/meta.ts";
import { MembershipError, NotLeaderError, type RaftStore } from "../cluster/raft-store.ts";
import { RAFT_PATH } from "../cluster/transport.ts";
import { constantTimeEqual } from "../pki/token.ts";
import { logger } from "../util/log.ts";
import { clusterKeyFiles, JOIN_SERVER_PATH, type JoinServerResponse } from "./cluster.ts";
import { presentedSecret } from "./join.ts";

const log = logger("cluster");

export const MEMBERS_PATH = "/kite/v1/members";
export const FAULTS_PATH = "/kite/v1/raft/faults";

export interface ClusterRouteDeps {
  store: RaftStore;
  clusterId: string;
  secret: () => string;
  tlsDir: string;
  caPem: string;
  /** Whether the request comes from a cluster admin (system:masters). */
  isAdmin: (req: Request) => Promise<boolean>;
}

export function mountClusterRoutes(app: Hono<Env>, deps: ClusterRouteDeps): void {
  const { store } = deps;

  app.get(RAFT_PATH, (c) => store.node.transport.accept(c.req.raw, c.env) ?? new Response(null, { status: 101 }));

  app.post(JOIN_SERVER_PATH, async (c) => {
    try {
      const s = presentedSecret(c.req.raw);
      if (!s || !constantTimeEqual(s, deps.secret())) throw errors.unauthorized();
      const raw = await c.req.text();
      const body = (() => {
        try {
          return JSON.parse(raw) as { name?: string; url?: string };
        } catch {
          return null;
        }
      })();
      const name = body?.name;
      const url = body?.url;
      if (!name || isDNS1123Subdomain(name).length) throw errors.badRequest(`name: Invalid value: ${JSON.stringify(name ?? "")}: must be a DNS subdomain`);
      if (!url || !/^https:\/\/[^/]+$/.test(url)) throw errors.badRequest(`url: Invalid value: ${JSON.stringify(url ?? "")}: must be https://host:port`);
      if (!store.node.isLeader) return await forwardToLeader(c.req.raw, raw, deps);
      let existing = store.members().find((m) => m.name === name);
      if (existing && existing.role === "learner" && existing.url === url) {
        // A join that never finished (the server stopped before it caught up): start over.
        log.info("replacing an unfinished join", { name, member: existing.id.toString(16) });
        await store.removeMember(existing.id);
        existing = undefined;
      }
      if (existing) {
        throw new ApiError(409, "AlreadyExists", `a server named ${name} is already a member (${existing.id.toString(16)}); remove it first (kubectl delete node ${name}) or choose another --node-name`);
      }
      const rec = await store.addMember(name, url);
      const res: JoinServerResponse = {
        kind: "JoinServerResponse",
        apiVersion: "kite.io/v1",
        clusterId: deps.clusterId,
        memberId: rec.id,
        members: store.members().map((m) => ({ id: m.id, name: m.name, url: m.url })),
        ...clusterKeyFiles(deps.tlsDir),
      };
      return json(res);
    } catch (e) {
      return errorResponse(mapClusterError(e));
    }
  });

  app.get(MEMBERS_PATH, async (c) => {
    if (!(await deps.isAdmin(c.req.raw))) return errorResponse(errors.forbidden("only cluster admins may list members"));
    return json({ clusterId: deps.clusterId, members: store.members() });
  });

  if (process.env.KITE_TEST_FAULTS === "1") {
    log.warn("fault injection is enabled (KITE_TEST_FAULTS=1): never in production");
    app.post(FAULTS_PATH, async (c) => {
      if (!(await deps.isAdmin(c.req.raw))) return errorResponse(errors.forbidden("only cluster admins may inject faults"));
      const body = (await c.req.json().catch(() => ({}))) as { block?: string[]; unblock?: string[] };
      const ids = (xs: unknown) => (Array.isArray(xs) ? xs.map((x) => parseInt(String(x), 16)).filter((n) => Number.isSafeInteger(n) && n > 0) : []);
      for (const id of ids(body.block)) store.node.transport.block(id);
      for (const id of ids(body.unblock)) store.node.transport.unblock(id);
      return json({ blocked: store.node.transport.blockedPeers().map((id) => id.toString(16)) });
    });
  }

  app.delete(`${MEMBERS_PATH}/:name`, async (c) => {
    try {
      if (!(await deps.isAdmin(c.req.raw))) throw errors.forbidden("only cluster admins may remove members");
      const name = c.req.param("name");
      const m = store.members().find((x) => x.name === name);
      if (!m) throw new ApiError(404, "NotFound", `no member named ${name}`);
      await store.removeMember(m.id);
      return json({ removed: { id: m.id, name: m.name } });
    } catch (e) {
      return errorResponse(mapClusterError(e));
    }
  });
}

async function forwardToLeader(req: Request, body: string, deps: ClusterRouteDeps): Promise<Response> {
  const leader = deps.store.leaderUrl();
  if (!leader) throw errors.serviceUnavailable("no raft leader yet; retry");
  log.info("forwarding a server join to the leader", { leader });
  const res = await fetch(leader + JOIN_SERVER_PATH, {
    method: "POST",
    headers: { Authorization: req.headers.get("authorization") ?? "", "Content-Type": "application/json" },
    body,
    tls: { ca: deps.caPem },
    signal: AbortSignal.timeout(30_000),
  } as RequestInit);
  return new Response(await res.arrayBuffer(), { status: res.status, headers: { "Content-Type": res.headers.get("content-type") ?? "application/json" } });
}

function mapClusterError(e: unknown): unknown {
  if (e instanceof MembershipError) return new ApiError(409, "Conflict", e.message);
  if (e instanceof NotLeaderError) return errors.serviceUnavailable(e.message);
  return e;
}
