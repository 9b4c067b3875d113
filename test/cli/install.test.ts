/**
 * install.sh on this machine, into temp dirs, with no init system (it starts kite in the
 * background): installs the binary, the env file and the uninstall script, starts a server
 * that kubectl talks to, is idempotent, and the uninstall script removes it all.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO, freePort, kubectlBinary } from "../lib/kite.ts";

const DIST = join(REPO, "dist", "kite");
let root: string;
let env: Record<string, string>;
let port: number;

beforeAll(() => {
  if (!existsSync(DIST)) {
    const b = Bun.spawnSync(["bun", "run", "build"], { cwd: REPO });
    if (b.exitCode !== 0) throw new Error("build failed");
  }
  root = mkdtempSync("/tmp/kite-install-");
  port = freePort();
  env = {
    ...(process.env as Record<string, string>),
    INSTALL_KITE_INIT: "none",
    INSTALL_KITE_BIN_DIR: join(root, "bin"),
    INSTALL_KITE_CONFIG_DIR: join(root, "etc"),
    INSTALL_KITE_SKIP_RUNTIME: "true",
    KITE_DATA_DIR: join(root, "data"),
    KITE_HTTPS_LISTEN_PORT: String(port),
    KITE_BIND_ADDRESS: "127.0.0.1",
    KITE_NODE_IP: "127.0.0.1",
    KITE_DISABLE_AGENT: "true",
    KITE_KUBECONFIG_OUTPUT: join(root, "etc", "kite.yaml"),
  };
}, 120_000);

afterAll(() => {
  // Whatever happened, stop the background server and remove everything.
  const pidFile = join(root, "data", "kite.pid");
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
    } catch {
      /* gone */
    }
  }
  rmSync(root, { recursive: true, force: true });
});

function install(extra: Record<string, string> = {}) {
  const p = Bun.spawnSync(["sh", join(REPO, "install.sh")], { env: { ...env, ...extra }, stdout: "pipe", stderr: "pipe", cwd: root });
  return { code: p.exitCode, out: p.stdout.toString() + p.stderr.toString() };
}

test("install.sh with KITE_BINARY installs and starts a server kubectl can use; re-running changes nothing; uninstall removes it", async () => {
  const first = install({ KITE_BINARY: DIST });
  expect(first.out).toContain("installing kite to");
  expect(first.code).toBe(0);
  expect(first.out).toContain("no init system found");
  expect(first.out).toContain("kite server is ready");
  const bin = join(root, "bin", "kite");
  expect(statSync(bin).mode & 0o111).toBeTruthy();
  const envFile = join(root, "etc", "kite.env");
  expect(statSync(envFile).mode & 0o777).toBe(0o600);
  expect(readFileSync(envFile, "utf8")).toContain(`KITE_HTTPS_LISTEN_PORT=${port}`);
  expect(readFileSync(envFile, "utf8")).not.toContain("KITE_BINARY");
  expect(existsSync(join(root, "bin", "kite-uninstall.sh"))).toBe(true);
  const pid = readFileSync(join(root, "data", "kite.pid"), "utf8").trim();

  const k = Bun.spawnSync([kubectlBinary(), "--kubeconfig", join(root, "etc", "kite.yaml"), "--cache-dir", join(root, "kc"), "get", "ns", "kube-system", "-o", "name"], { stdout: "pipe", stderr: "pipe" });
  expect(k.stdout.toString().trim()).toBe("namespace/kube-system");

  const second = install({ KITE_BINARY: DIST });
  expect(second.code).toBe(0);
  expect(second.out).toContain("is up to date");
  expect(second.out).toContain("no change detected");
  expect(readFileSync(join(root, "data", "kite.pid"), "utf8").trim()).toBe(pid);

  const un = Bun.spawnSync(["sh", join(root, "bin", "kite-uninstall.sh")], { stdout: "pipe", stderr: "pipe" });
  expect(un.exitCode).toBe(0);
  expect(existsSync(bin)).toBe(false);
  expect(existsSync(join(root, "data"))).toBe(false);
  expect(existsSync(envFile)).toBe(false);
  let alive = true;
  for (let i = 0; i < 50 && alive; i++) {
    try {
      process.kill(Number(pid), 0);
      await Bun.sleep(100);
    } catch {
      alive = false;
    }
  }
  expect(alive).toBe(false);
}, 120_000);

test("install.sh refuses an agent without a token, and a non-https KITE_URL", () => {
  const a = install({ KITE_BINARY: DIST, KITE_URL: "https://127.0.0.1:1" });
  expect(a.code).not.toBe(0);
  expect(a.out).toContain("KITE_TOKEN");
  const b = install({ KITE_BINARY: DIST, KITE_URL: "http://127.0.0.1:1", KITE_TOKEN: "x" });
  expect(b.code).not.toBe(0);
  expect(b.out).toContain("https://");
});

test("install.sh is shellcheck-clean", () => {
  if (!Bun.which("shellcheck")) throw new Error("shellcheck is not installed (test/prereqs.sh installs it)");
  const r = Bun.spawnSync(["shellcheck", "-s", "sh", join(REPO, "install.sh"), join(REPO, "test", "run-all.sh"), join(REPO, "test", "prereqs.sh"), join(REPO, ".ci", "run")], { stdout: "pipe" });
  expect(r.stdout.toString()).toBe("");
  expect(r.exitCode).toBe(0);
});
