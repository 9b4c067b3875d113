/**
 * IptablesNetwork cuts exactly the links it is told to: a process in server A's cgroup cannot
 * reach B's port once A→B is blocked, while B's cgroup still reaches A's port (one-way), and
 * the test process itself (the clients) reaches both; heal() restores A→B. Needs root,
 * iptables and cgroup v2 (skipped otherwise, like the fault test falls back to kite's hook).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { IptablesNetwork, NetworkUnavailableError, type Endpoint } from "./network.ts";
import { join } from "node:path";

let net: IptablesNetwork | null = null;
try {
  net = IptablesNetwork.create(2);
} catch (e) {
  if (!(e instanceof NetworkUnavailableError)) throw e;
  console.log(`skipping: ${e.message}`);
}

const listeners: { stop(closeActive?: boolean): void }[] = [];
const ends: (Endpoint & { cgroupDir: string })[] = [];

/** Connects to `port` from a child process inside `cgroupDir`; true if it exchanged a byte in time. */
async function reach(cgroupDir: string | null, port: number): Promise<boolean> {
  const script = `const s = await Bun.connect({ hostname: "127.0.0.1", port: ${port}, socket: { data(sock) { console.log("ok"); process.exit(0); }, open(sock) { sock.write("x"); } } });`;
  const cmd = [process.execPath, "-e", script];
  const argv = cgroupDir ? ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', join(cgroupDir, "cgroup.procs"), ...cmd] : cmd;
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill("SIGKILL"), 1500);
  const out = await new Response(p.stdout).text();
  await p.exited;
  clearTimeout(timer);
  return out.includes("ok");
}

describe.skipIf(net === null)("IptablesNetwork", () => {
  beforeAll(() => {
    for (let i = 0; i < 2; i++) {
      const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data(s) { s.write("y"); } } });
      listeners.push(l);
      ends.push({ index: i, port: l.port, name: `s${i}`, cgroupDir: join(net!.cgroupParent, `s${i}`) });
    }
  });
  afterAll(async () => {
    for (const l of listeners) l.stop(true);
    await net?.close();
  });

  it("blocks one direction between two cgroups, leaves the rest alone, and heals", async () => {
    const [a, b] = [ends[0]!, ends[1]!];
    expect(await reach(a.cgroupDir, b.port)).toBe(true);
    await net!.block(a, b, "drop");
    expect(net!.describe()).toBe("s0→s1(drop)");
    expect(await reach(a.cgroupDir, b.port)).toBe(false);
    expect(await reach(b.cgroupDir, a.port)).toBe(true);
    expect(await reach(null, b.port)).toBe(true);
    await net!.heal();
    expect(await reach(a.cgroupDir, b.port)).toBe(true);
    await net!.block(b, a, "reset");
    expect(await reach(b.cgroupDir, a.port)).toBe(false);
    expect(await reach(a.cgroupDir, b.port)).toBe(true);
    await net!.heal();
  }, 30_000);
});
