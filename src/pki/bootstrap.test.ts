import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClusterCA, type IssuedCert } from "./ca.ts";
import { fetchAndPinCA, normaliseServerUrl, pinnedFetch } from "./bootstrap.ts";
import { formatJoinToken, randomSecret } from "./token.ts";
import { CAFetchError, CAHashMismatchError, InvalidOptionError, ServerNotTrustedError } from "./errors.ts";

interface FakeServer {
  url: string;
  seen: { path: string; auth: string | null }[];
  stop(): void;
}

/** A real HTTPS server presenting `leaf` and answering /cacerts with `served`. */
function startServer(leaf: IssuedCert, served: string | (() => Response)): FakeServer {
  const seen: FakeServer["seen"] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: leaf.certPem, key: leaf.keyPem },
    fetch(req) {
      const path = new URL(req.url).pathname;
      seen.push({ path, auth: req.headers.get("authorization") });
      if (path === "/cacerts") return typeof served === "string" ? new Response(served) : served();
      if (path === "/ping") return new Response("pong");
      return new Response("not found", { status: 404 });
    },
  });
  return { url: `https://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

const serving = (ca: ClusterCA) => ca.issueServingCert({ cn: "kite", dnsNames: ["localhost"], ips: ["127.0.0.1"] });

let clusterCA: ClusterCA;
let attackerCA: ClusterCA;
let real: FakeServer;
const servers: FakeServer[] = [];

beforeAll(async () => {
  clusterCA = await ClusterCA.create();
  attackerCA = await ClusterCA.create();
  real = startServer(await serving(clusterCA), clusterCA.certPem);
  servers.push(real);
});
afterAll(() => {
  for (const s of servers) s.stop();
});

describe("fetchAndPinCA", () => {
  test("a secure token pins the cluster CA; pinnedFetch then trusts only it", async () => {
    const token = formatJoinToken(clusterCA.certPem, randomSecret());
    const pinned = await fetchAndPinCA(real.url + "/", token);
    expect(pinned.pinned).toBe(true);
    expect(pinned.caPem).toBe(clusterCA.certPem);
    expect(pinned.server).toBe(real.url);
    expect(pinned.token.username).toBe("server");

    const f = pinnedFetch(pinned.caPem);
    expect(await (await f(real.url + "/ping")).text()).toBe("pong");
    const other = startServer(await serving(attackerCA), attackerCA.certPem);
    servers.push(other);
    await expect(f(other.url + "/ping")).rejects.toThrow();
    // The caller cannot switch verification off through init.tls.
    await expect(f(other.url + "/ping", { tls: { rejectUnauthorized: false } } as RequestInit)).rejects.toThrow();
  });

  test("MITM with its own CA: hash mismatch, and no credentials ever sent", async () => {
    const mitm = startServer(await serving(attackerCA), attackerCA.certPem);
    servers.push(mitm);
    const token = formatJoinToken(clusterCA.certPem, "topsecret");
    const err = await fetchAndPinCA(mitm.url, token).catch((e) => e);
    expect(err).toBeInstanceOf(CAHashMismatchError);
    expect(err.message).not.toContain("topsecret");
    expect(mitm.seen.map((r) => r.path)).toEqual(["/cacerts"]);
    expect(mitm.seen.every((r) => r.auth === null)).toBe(true);
  });

  test("MITM replaying the real (public) CA but presenting its own certificate is not trusted", async () => {
    const mitm = startServer(await serving(attackerCA), clusterCA.certPem);
    servers.push(mitm);
    const token = formatJoinToken(clusterCA.certPem, randomSecret());
    await expect(fetchAndPinCA(mitm.url, token)).rejects.toBeInstanceOf(ServerNotTrustedError);
  });

  test("a short token gets the CA but reports it is not pinned", async () => {
    const pinned = await fetchAndPinCA(real.url, "just-a-password");
    expect(pinned.pinned).toBe(false);
    expect(pinned.caPem).toBe(clusterCA.certPem);
    expect(pinned.token).toEqual({ caHash: null, username: "", password: "just-a-password" });
    // Even unpinned, the server must hold a certificate of the CA it serves.
    const liar = startServer(await serving(attackerCA), clusterCA.certPem);
    servers.push(liar);
    await expect(fetchAndPinCA(liar.url, "just-a-password")).rejects.toBeInstanceOf(ServerNotTrustedError);
  });

  test("unusable /cacerts answers are CAFetchError", async () => {
    const leaf = await serving(clusterCA);
    const notFound = startServer(leaf, () => new Response("nope", { status: 404 }));
    const garbage = startServer(leaf, "hello");
    const leafAsCA = startServer(leaf, leaf.certPem);
    servers.push(notFound, garbage, leafAsCA);
    for (const s of [notFound, garbage, leafAsCA]) {
      await expect(fetchAndPinCA(s.url, "pw")).rejects.toBeInstanceOf(CAFetchError);
    }
    // The token's hash matches a non-CA certificate: still refused.
    await expect(fetchAndPinCA(leafAsCA.url, formatJoinToken(leaf.certPem, "pw"))).rejects.toBeInstanceOf(CAFetchError);
    // Nobody listening.
    const gone = startServer(leaf, "x");
    gone.stop();
    await expect(fetchAndPinCA(gone.url, "pw", { timeoutMs: 2000 })).rejects.toBeInstanceOf(CAFetchError);
  });

  test("only https URLs", () => {
    expect(() => normaliseServerUrl("http://127.0.0.1:6443")).toThrow(InvalidOptionError);
    expect(() => normaliseServerUrl("not a url")).toThrow(InvalidOptionError);
    expect(normaliseServerUrl("https://127.0.0.1:6443//")).toBe("https://127.0.0.1:6443");
  });
});
