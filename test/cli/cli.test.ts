/**
 * The `kite` command line as users meet it: the compiled binary, its help, its errors,
 * config precedence, health endpoints, signals, and several servers side by side.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync, statSync, chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { FLAGS } from "../../src/cli/flags.ts";
import { REPO, freePort, kiteCommand, startServer, type KiteServer } from "../lib/kite.ts";

const DIST = join(REPO, "dist", "kite");

beforeAll(async () => {
  if (!existsSync(DIST)) {
    const b = Bun.spawnSync(["bun", "run", "build"], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
  }
}, 120_000);

function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([DIST, ...args], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

describe("help and version", () => {
  test("--version and version print kite's version", () => {
    for (const args of [["--version"], ["version"]]) {
      const r = run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^kite version v\d+\.\d+\.\d+/);
    }
  });

  test("server --help and agent --help list every flag of their role", () => {
    for (const role of ["server", "agent"] as const) {
      const r = run([role, "--help"]);
      expect(r.code).toBe(0);
      for (const f of FLAGS.filter((x) => x.roles.includes(role) && !x.hidden)) expect(r.stdout).toContain(`--${f.name}`);
      // A flag of the other role only is not offered.
      if (role === "agent") expect(r.stdout).not.toContain("--cluster-init");
    }
  });

  test("top-level --help lists the commands", () => {
    const r = run(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["server", "agent", "kubectl", "token", "version"]) expect(r.stdout).toContain(c);
  });
});

describe("bad input gives one line naming the flag, exit 1, no stack trace", () => {
  const dir = mkdtempSync("/tmp/kite-cli-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string[], RegExp][] = [
    [["server", "--bogus"], /Unknown option --bogus/],
    [["server", "--https-listen-port", "99999"], /invalid --https-listen-port/],
    [["server", "--https-listen-port", "abc"], /invalid --https-listen-port/],
    [["server", "--bind-address", "nope"], /invalid --bind-address/],
    [["server", "--container-runtime", "rkt"], /invalid --container-runtime/],
    [["server", "--write-kubeconfig-mode", "999"], /invalid --write-kubeconfig-mode/],
    [["server", "--server", "http://x:6443", "--token", "t"], /invalid --server: .*https:\/\//],
    [["server", "--node-label", "bad key=x"], /invalid --node-label/],
    [["server", "--node-taint", "k=v"], /invalid --node-taint/],
    [["agent"], /invalid --server: required/],
    [["agent", "--server", "https://127.0.0.1:1"], /invalid --token: required/],
    [["bogus-command"], /unknown command "bogus-command"/],
  ];
  for (const [args, re] of cases) {
    test(args.join(" "), () => {
      const r = run([...args, "--data-dir", join(dir, "d")]);
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines.length).toBe(1);
      expect(lines[0]).toMatch(re);
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    });
  }

  test("an unusable data dir names --data-dir", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const r = run(["server", "--data-dir", join(file, "sub")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^kite: invalid --data-dir: .* is not usable/);
  });

  test("a read-only data dir names --data-dir (as a non-root user)", () => {
    if (process.getuid?.() !== 0) return;
    const ro = join(dir, "ro");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DIST, "server", "--data-dir", join(ro, "x")], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString().trim()).toMatch(/^kite: invalid --data-dir/);
  });
});

describe("configuration sources: flags > env > config file > defaults", () => {
  test("a config file key, overridden by env, overridden by a flag", async () => {
    const { resolveServerConfig } = await import("../../src/cli/config.ts");
    const dir = mkdtempSync("/tmp/kite-cfg-");
    try {
      const cfgFile = join(dir, "config.yaml");
      writeFileSync(cfgFile, `https-listen-port: 7001\ntls-san: [a.example, 10.1.2.3]\nnode-label: [zone=kitchen]\ndata-dir: ${dir}\n`);
      let c = resolveServerConfig({ config: cfgFile }, {});
      expect(c.httpsListenPort).toBe(7001);
      expect(c.tlsSans).toEqual(["a.example", "10.1.2.3"]);
      expect(c.nodeLabels).toEqual({ zone: "kitchen" });
      c = resolveServerConfig({ config: cfgFile }, { KITE_HTTPS_LISTEN_PORT: "7002" });
      expect(c.httpsListenPort).toBe(7002);
      c = resolveServerConfig({ config: cfgFile, httpsListenPort: 7003 }, { KITE_HTTPS_LISTEN_PORT: "7002" });
      expect(c.httpsListenPort).toBe(7003);
      writeFileSync(cfgFile, "bogus-key: 1\n");
      expect(() => resolveServerConfig({ config: cfgFile }, {})).toThrow(/unknown key "bogus-key"/);
      expect(() => resolveServerConfig({ config: join(dir, "missing.yaml") }, {})).toThrow(/invalid --config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a running server", () => {
  let s: KiteServer;
  beforeAll(async () => {
    s = await startServer({ args: ["--write-kubeconfig-mode", "0640"] });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  test("health endpoints answer ok without credentials", async () => {
    for (const p of ["/livez", "/readyz", "/healthz"]) {
      const r = await fetch(s.url + p, { tls: { rejectUnauthorized: false } } as RequestInit);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe("ok");
    }
    const v = await fetch(s.url + "/readyz?verbose", { tls: { rejectUnauthorized: false } } as RequestInit);
    expect(await v.text()).toContain("readyz check passed");
  });

  test("the API refuses requests without credentials (401)", async () => {
    const r = await fetch(s.url + "/api/v1/namespaces", { tls: { rejectUnauthorized: false } } as RequestInit);
    expect(r.status).toBe(401);
    expect((await r.json()).reason).toBe("Unauthorized");
  });

  test("kubeconfig is written with the requested mode and kubectl works without skipping TLS checks", async () => {
    expect(statSync(s.kubeconfig).mode & 0o777).toBe(0o640);
    const r = await s.kubectl(["get", "namespaces", "-o", "name"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("namespace/kube-system");
  });

  test("kite token prints the secure join token of the data dir", () => {
    const r = run(["token", "--data-dir", s.dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^K10[0-9a-f]{64}::server:[0-9a-f]{32}$/);
  });

  test("kite kubectl runs kubectl with KUBECONFIG from the environment", () => {
    const r = Bun.spawnSync([DIST, "kubectl", "get", "ns", "default", "-o", "name", "--cache-dir", join(s.dataDir, "kc")], { env: { ...process.env, KUBECONFIG: s.kubeconfig }, stdout: "pipe", stderr: "pipe" });
    expect(r.stdout.toString().trim()).toBe("namespace/default");
  });
});

test("SIGTERM stops a server cleanly within 10 s; the store reopens with its data", async () => {
  const s = await startServer({ keepDataDir: true });
  try {
    const created = await s.kubectl(["create", "configmap", "survivor", "--from-literal=a=b"]);
    expect(created.code).toBe(0);
    const t0 = Date.now();
    const code = await s.stop("SIGTERM");
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(code).toBe(0);
    const again = await startServer({ dataDir: s.dataDir, port: s.port });
    try {
      const r = await again.kubectl(["get", "configmap", "survivor", "-o", "jsonpath={.data.a}"]);
      expect(r.stdout).toBe("b");
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(s.dataDir, { recursive: true, force: true });
  }
}, 90_000);

test("three servers with distinct data dirs and ports run side by side", async () => {
  const servers: KiteServer[] = [];
  try {
    for (let i = 0; i < 3; i++) servers.push(await startServer());
    const ports = new Set(servers.map((s) => s.port));
    expect(ports.size).toBe(3);
    for (const s of servers) {
      const r = await s.kubectl(["get", "ns", "default", "-o", "name"]);
      expect(r.stdout.trim()).toBe("namespace/default");
    }
    // A fourth on a taken port fails with one line naming the flag.
    const taken = servers[0]!.port;
    const dir = mkdtempSync("/tmp/kite-clash-");
    try {
      const p = Bun.spawnSync([...kiteCommand(), "server", "--data-dir", dir, "--https-listen-port", String(taken), "--bind-address", "127.0.0.1", "--disable-agent", "--write-kubeconfig", join(dir, "k.yaml")], { stdout: "pipe", stderr: "pipe" });
      expect(p.exitCode).toBe(1);
      expect(p.stderr.toString()).toMatch(/--https-listen-port/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}, 120_000);

void freePort;
