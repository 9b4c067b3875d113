/**
 * The tunnel endpoint and the agent's dialer over real WebSockets on loopback (Bun.serve):
 * authentication, per-node registration, redialing after the server goes away, one tunnel
 * per server when an agent knows several.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { type Env, websocketHandlers } from "../app.ts";
import type { UserInfo } from "../registry/types.ts";
import { TUNNEL_PATH } from "../../tunnel/frames.ts";
import { TunnelDialer } from "../../tunnel/dial.ts";
import type { TunnelStream } from "../../tunnel/mux.ts";
import { startTunnel } from "../../agent/streaming/index.ts";
import type { ContainerRuntime } from "../../agent/runtime/types.ts";
import { mountTunnelRoute } from "./tunnel-route.ts";
import { TunnelRegistry } from "./tunnels.ts";

const USERS: Record<string, UserInfo> = {
  "tok-n1": { username: "system:node:n1", groups: ["system:nodes"] },
  "tok-n2": { username: "system:node:n2", groups: ["system:nodes"] },
  "tok-admin": { username: "system:admin", groups: ["system:masters"] },
};

function serve(port = 0) {
  const tunnels = new TunnelRegistry();
  const app = new Hono<Env>();
  mountTunnelRoute(app, {
    tunnels,
    authenticate: async (req) => USERS[(req.headers.get("authorization") ?? "").replace(/^Bearer /, "")] ?? null,
    mux: { pingIntervalMs: 100, idleTimeoutMs: 1000 },
  });
  const server = Bun.serve({ hostname: "127.0.0.1", port, fetch: app.fetch, websocket: websocketHandlers });
  return { tunnels, server, url: `http://127.0.0.1:${server.port}` };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(10);
  }
};

/** Agent-side stream handler: echoes stdin back upper-cased, then exits 0. */
function echo(s: TunnelStream) {
  s.accept();
  s.setHandlers({
    data(_ch, b) {
      void s.write(1, new TextEncoder().encode(new TextDecoder().decode(b).toUpperCase())).then(() => s.consumed(b.length));
    },
    eof() {
      s.exit({ exitCode: 0 });
    },
  });
}

describe("tunnel route", () => {
  test("a node credential registers that node; streams flow over the WebSocket", async () => {
    const srv = serve();
    cleanups.push(() => srv.server.stop(true));
    const d = new TunnelDialer({ url: srv.url, token: "tok-n1", onStream: echo, minBackoffMs: 10 }).start();
    cleanups.push(() => d.stop());
    await until(() => srv.tunnels.nodes().includes("n1"));
    const st = await srv.tunnels.open("n1", { kind: "exec", pod: { namespace: "default", name: "p", uid: "u" }, container: "c", exec: { command: ["cat"], stdin: true, stdout: true, stderr: false, tty: false } });
    let out = "";
    const exited = new Promise((r) =>
      st.setHandlers({
        data(_c, b) {
          out += new TextDecoder().decode(b);
          st.consumed(b.length);
        },
        exit: r,
      }),
    );
    await st.write(0, new TextEncoder().encode("hello"));
    st.end(0);
    expect(await exited).toEqual({ exitCode: 0 });
    expect(out).toBe("HELLO");
    // A node without a tunnel is a clear 503.
    const err = await srv.tunnels.open("n2", { kind: "log", pod: { namespace: "d", name: "p", uid: "" }, container: "c" }).catch((e) => e);
    expect(err.code).toBe(503);
    expect(err.message).toContain('the agent of node "n2" is not connected');
  });

  test("only node users may connect: 401 without a token, 403 for others", async () => {
    const srv = serve();
    cleanups.push(() => srv.server.stop(true));
    const anon = await fetch(srv.url + TUNNEL_PATH, { headers: { Upgrade: "websocket" } });
    expect(anon.status).toBe(401);
    const admin = await fetch(srv.url + TUNNEL_PATH, { headers: { Authorization: "Bearer tok-admin", Upgrade: "websocket" } });
    expect(admin.status).toBe(403);
    expect((await admin.json()).message).toContain("only node credentials");
    const states: string[] = [];
    const d = new TunnelDialer({ url: srv.url, token: "tok-admin", onStream: echo, minBackoffMs: 10, onState: (s) => states.push(s) }).start();
    cleanups.push(() => d.stop());
    await Bun.sleep(200);
    expect(d.connected).toBe(false);
    expect(states).toContain("disconnected");
    expect(srv.tunnels.nodes()).toEqual([]);
  });

  test("the agent redials after the server goes away and comes back", async () => {
    let srv = serve();
    const port = srv.server.port!;
    const d = new TunnelDialer({ url: srv.url, token: "tok-n1", onStream: echo, minBackoffMs: 20, maxBackoffMs: 100 }).start();
    cleanups.push(() => d.stop());
    await until(() => d.connected);
    srv.server.stop(true);
    await until(() => !d.connected);
    srv = serve(port);
    cleanups.push(() => srv.server.stop(true));
    await until(() => srv.tunnels.nodes().includes("n1") && d.connected, 5000);
  });

  test("a newer tunnel from the same node replaces the older one", async () => {
    const srv = serve();
    cleanups.push(() => srv.server.stop(true));
    const a = new TunnelDialer({ url: srv.url, token: "tok-n1", onStream: echo, minBackoffMs: 5000 }).start();
    cleanups.push(() => a.stop());
    await until(() => a.connected);
    const first = srv.tunnels.get("n1");
    const b = new TunnelDialer({ url: srv.url, token: "tok-n1", onStream: echo, minBackoffMs: 5000 }).start();
    cleanups.push(() => b.stop());
    await until(() => b.connected && !a.connected);
    expect(first?.isClosed).toBe(true);
    expect(srv.tunnels.get("n1")).not.toBe(first);
  });

  test("startTunnel keeps one tunnel to every server it knows, following the list", async () => {
    const s1 = serve();
    const s2 = serve();
    cleanups.push(() => s1.server.stop(true), () => s2.server.stop(true));
    let list = [s1.url];
    const agent = startTunnel({ nodeName: "n2", servers: () => list, token: "tok-n2", runtime: {} as ContainerRuntime, refreshMs: 50, minBackoffMs: 10 });
    cleanups.push(() => agent.stop());
    await until(() => s1.tunnels.nodes().includes("n2"));
    list = [s1.url, s2.url];
    // The server registers the tunnel on its side of the handshake; the agent sees "open" a moment later.
    await until(() => s2.tunnels.nodes().includes("n2") && agent.connectedServers().length === 2);
    expect(agent.connectedServers().sort()).toEqual([s1.url, s2.url].sort());
    list = [s2.url];
    await until(() => !s1.tunnels.nodes().includes("n2"));
    expect(agent.connectedServers()).toEqual([s2.url]);
  });
});
