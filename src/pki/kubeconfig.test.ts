import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFile, stat, writeFile, chmod } from "node:fs/promises";
import { parse } from "yaml";
import { ClusterCA } from "./ca.ts";
import { parseFileMode, renderKubeconfig, writeKubeconfig } from "./kubeconfig.ts";
import { randomBearerToken } from "./token.ts";
import { InvalidOptionError, InvalidPemError } from "./errors.ts";
import { withTempDir } from "./testutil.ts";

const VERSION = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: "linux/amd64",
};

async function kubectl(args: string[], cacheDir: string): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(["kubectl", "--cache-dir", cacheDir, "--request-timeout", "10s", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, KUBECONFIG: "", HOME: cacheDir },
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
  try {
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { code: await p.exited, out, err };
  } finally {
    clearTimeout(timer);
  }
}

/** A tiny API server: /version for holders of `token`, 401 for everyone else. */
function versionServer(cert: string, key: string, token: string, extraTls: Record<string, unknown> = {}) {
  const seen: (string | null)[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert, key, ...extraTls },
    fetch(req) {
      const auth = req.headers.get("authorization");
      seen.push(auth);
      if (extraTls.requestCert !== true && auth !== `Bearer ${token}`) {
        return Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 }, { status: 401 });
      }
      if (new URL(req.url).pathname === "/version") return Response.json(VERSION);
      return new Response("not found", { status: 404 });
    },
  });
  return { server, seen, url: `https://127.0.0.1:${server.port}` };
}

describe("renderKubeconfig", () => {
  test("embeds the CA and a bearer token under default names", async () => {
    const ca = await ClusterCA.create();
    const doc = parse(renderKubeconfig({ server: "https://127.0.0.1:6443", caPem: ca.certPem, token: "abc" }));
    expect(doc.kind).toBe("Config");
    expect(doc["current-context"]).toBe("default");
    expect(doc.clusters[0].cluster.server).toBe("https://127.0.0.1:6443");
    expect(Buffer.from(doc.clusters[0].cluster["certificate-authority-data"], "base64").toString()).toBe(ca.certPem);
    expect(doc.users[0]).toEqual({ name: "default", user: { token: "abc" } });
    expect(doc.contexts[0]).toEqual({ name: "default", context: { cluster: "default", user: "default" } });
  });

  test("client certificate form and custom names", async () => {
    const ca = await ClusterCA.create();
    const c = await ca.issueClientCert({ cn: "system:admin", orgs: ["system:masters"] });
    const doc = parse(
      renderKubeconfig({ server: "https://10.0.0.1:6443", caPem: ca.certPem, clientCert: c.certPem, clientKey: c.keyPem, user: "admin", cluster: "edge", context: "edge-admin", namespace: "apps" }),
    );
    expect(Buffer.from(doc.users[0].user["client-certificate-data"], "base64").toString()).toBe(c.certPem);
    expect(Buffer.from(doc.users[0].user["client-key-data"], "base64").toString()).toBe(c.keyPem);
    expect(doc.contexts[0]).toEqual({ name: "edge-admin", context: { cluster: "edge", user: "admin", namespace: "apps" } });
    expect(doc["current-context"]).toBe("edge-admin");
  });

  test("bad input is a typed error", async () => {
    const ca = await ClusterCA.create();
    const base = { server: "https://127.0.0.1:6443", caPem: ca.certPem };
    expect(() => renderKubeconfig(base)).toThrow(InvalidOptionError);
    expect(() => renderKubeconfig({ ...base, token: "a", clientCert: "x", clientKey: "y" })).toThrow(InvalidOptionError);
    expect(() => renderKubeconfig({ ...base, server: "http://127.0.0.1:6443", token: "a" })).toThrow(InvalidOptionError);
    expect(() => renderKubeconfig({ ...base, token: "a b" })).toThrow(InvalidOptionError);
    expect(() => renderKubeconfig({ ...base, caPem: "nope", token: "a" })).toThrow(InvalidPemError);
    expect(() => renderKubeconfig({ ...base, clientCert: ca.certPem, clientKey: "nope" })).toThrow(InvalidPemError);
  });
});

describe("writeKubeconfig", () => {
  test.each([
    ["600", 0o600],
    ["644", 0o644],
    ["0640", 0o640],
    ["0o444", 0o444],
    [0o604, 0o604],
  ] as const)("mode %p is applied exactly, whatever the umask", (mode, expected) =>
    withTempDir(async (dir) => {
      const ca = await ClusterCA.create();
      const path = join(dir, "etc", "kite", "kite.yaml");
      const old = process.umask(0o077);
      try {
        await writeKubeconfig(path, { server: "https://127.0.0.1:6443", caPem: ca.certPem, token: "t" }, mode);
      } finally {
        process.umask(old);
      }
      expect((await stat(path)).mode & 0o7777).toBe(expected);
      expect(parse(await readFile(path, "utf8")).users[0].user.token).toBe("t");
    }),
  );

  test("replacing a file with a looser mode tightens it; default mode is 0600", () =>
    withTempDir(async (dir) => {
      const ca = await ClusterCA.create();
      const path = join(dir, "kite.yaml");
      await writeFile(path, "old");
      await chmod(path, 0o666);
      await writeKubeconfig(path, { server: "https://127.0.0.1:6443", caPem: ca.certPem, token: "t" });
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await readFile(path, "utf8")).toContain("token: t");
    }));

  test("rejects bad modes", () => {
    for (const m of ["rw-r--r--", "888", "", "12345", -1, 0o10000]) expect(() => parseFileMode(m)).toThrow(InvalidOptionError);
  });
});

describe("real kubectl with a kubeconfig we wrote", () => {
  test("trusts our CA, sends our bearer token; gets 401 with a wrong token; refuses a foreign CA", () =>
    withTempDir(async (dir) => {
      const ca = await ClusterCA.create();
      const leaf = await ca.issueServingCert({ cn: "kite", dnsNames: ["localhost"], ips: ["127.0.0.1"] });
      const token = randomBearerToken();
      const api = versionServer(leaf.certPem, leaf.keyPem, token);
      try {
        const good = join(dir, "good.yaml");
        await writeKubeconfig(good, { server: api.url, caPem: ca.certPem, token }, "600");
        const ok = await kubectl(["--kubeconfig", good, "get", "--raw", "/version"], dir);
        expect(ok.err).toBe("");
        expect(ok.code).toBe(0);
        expect(JSON.parse(ok.out).gitVersion).toBe("v1.32.0");
        expect(api.seen).toContain(`Bearer ${token}`);

        const v = await kubectl(["--kubeconfig", good, "version", "-o", "json"], dir);
        expect(v.code).toBe(0);
        expect(JSON.parse(v.out).serverVersion.gitVersion).toBe("v1.32.0");

        const wrong = join(dir, "wrong.yaml");
        await writeKubeconfig(wrong, { server: api.url, caPem: ca.certPem, token: randomBearerToken() });
        const denied = await kubectl(["--kubeconfig", wrong, "get", "--raw", "/version"], dir);
        expect(denied.code).not.toBe(0);
        expect(denied.err).toMatch(/Unauthorized|401/);

        const foreign = join(dir, "foreign.yaml");
        await writeKubeconfig(foreign, { server: api.url, caPem: (await ClusterCA.create()).certPem, token });
        const seenBefore = api.seen.length;
        const untrusted = await kubectl(["--kubeconfig", foreign, "get", "--raw", "/version"], dir);
        expect(untrusted.code).not.toBe(0);
        expect(untrusted.err).toMatch(/x509|certificate/);
        expect(api.seen.length).toBe(seenBefore); // the token never reached the server
      } finally {
        api.server.stop(true);
      }
    }));

  test("presents our client certificate to a server that requires one", () =>
    withTempDir(async (dir) => {
      const ca = await ClusterCA.create();
      const leaf = await ca.issueServingCert({ cn: "kite", dnsNames: ["localhost"], ips: ["127.0.0.1"] });
      const client = await ca.issueClientCert({ cn: "system:admin", orgs: ["system:masters"] });
      const api = versionServer(leaf.certPem, leaf.keyPem, "unused", { requestCert: true, rejectUnauthorized: true, ca: ca.certPem });
      try {
        const withCert = join(dir, "cert.yaml");
        await writeKubeconfig(withCert, { server: api.url, caPem: ca.certPem, clientCert: client.certPem, clientKey: client.keyPem });
        const ok = await kubectl(["--kubeconfig", withCert, "get", "--raw", "/version"], dir);
        expect(ok.err).toBe("");
        expect(JSON.parse(ok.out).minor).toBe("32");

        const other = await (await ClusterCA.create()).issueClientCert({ cn: "mallory" });
        const badCert = join(dir, "bad.yaml");
        await writeKubeconfig(badCert, { server: api.url, caPem: ca.certPem, clientCert: other.certPem, clientKey: other.keyPem });
        const denied = await kubectl(["--kubeconfig", badCert, "get", "--raw", "/version"], dir);
        expect(denied.code).not.toBe(0);
      } finally {
        api.server.stop(true);
      }
    }));
});
