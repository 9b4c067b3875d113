import { afterAll, expect, test } from "bun:test";
import { netCheck, netCheckInNetns, runAction, type ProbeTarget } from "./probes.ts";
import type { ContainerRuntime } from "./runtime/types.ts";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    const u = new URL(req.url);
    if (u.pathname === "/ok") return new Response(`ok ${req.headers.get("x-probe")} ${req.headers.get("user-agent")}`);
    if (u.pathname === "/redirect") return new Response(null, { status: 302, headers: { Location: "http://elsewhere.invalid/" } });
    if (u.pathname === "/slow") return Bun.sleep(2000).then(() => new Response("late"));
    return new Response("nope", { status: 500 });
  },
});
afterAll(() => server.stop(true));

const target = (over: Partial<ProbeTarget> = {}): ProbeTarget => ({
  runtime: {} as ContainerRuntime,
  containerId: "x",
  container: { ports: [{ name: "web", containerPort: server.port }] },
  podIP: "127.0.0.1",
  hostNetwork: false,
  pid: async () => 0,
  ...over,
});

test("httpGet: 2xx/3xx pass, others and timeouts fail; named ports and headers", async () => {
  const ok = await runAction({ httpGet: { path: "/ok", port: "web", httpHeaders: [{ name: "X-Probe", value: "1" }] } }, target(), 1000);
  expect(ok).toEqual({ status: "success", message: "ok 1 kube-probe/1.32" });
  expect((await runAction({ httpGet: { path: "/redirect", port: server.port } }, target(), 1000)).status).toBe("success");
  expect(await runAction({ httpGet: { path: "/bad", port: server.port } }, target(), 1000)).toEqual({ status: "failure", message: "HTTP probe failed with statuscode: 500" });
  const slow = await runAction({ httpGet: { path: "/slow", port: server.port } }, target(), 200);
  expect(slow.status).toBe("failure");
  expect(slow.message).toMatch(/deadline exceeded/);
  expect((await runAction({ httpGet: { port: "nope" } }, target(), 200)).message).toMatch(/unable to resolve port/);
});

test("tcpSocket: open port passes, closed port fails", async () => {
  expect((await runAction({ tcpSocket: { port: server.port } }, target(), 1000)).status).toBe("success");
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const closed = l.port;
  l.stop(true);
  const r = await netCheck({ kind: "tcp", host: "127.0.0.1", port: closed, timeoutMs: 1000 });
  expect(r.status).toBe("failure");
  expect(r.message).toContain(`127.0.0.1:${closed}`);
});

test("exec: exit code decides, output is the message, timeouts (plus the CLI allowance) close the session", async () => {
  let closed = false;
  const rt = {
    async exec(_id: string, cmd: string[]) {
      const code = cmd[0] === "ok" ? 0 : cmd[0] === "hang" ? new Promise<number>(() => {}) : 3;
      return {
        stdin: null,
        stdout: new Response(`out:${cmd[0]}`).body!,
        stderr: null,
        exited: Promise.resolve(code),
        resize() {},
        close() {
          closed = true;
        },
      };
    },
  } as unknown as ContainerRuntime;
  expect(await runAction({ exec: { command: ["ok"] } }, target({ runtime: rt }), 1000)).toEqual({ status: "success", message: "out:ok" });
  expect(await runAction({ exec: { command: ["bad"] } }, target({ runtime: rt }), 1000)).toEqual({ status: "failure", message: "out:bad" });
  const hang = await runAction({ exec: { command: ["hang"] } }, target({ runtime: rt }), 100, 0);
  expect(hang.status).toBe("failure");
  expect(closed).toBe(true);
  // The engine CLI's own start-up time is not charged to the command.
  closed = false;
  const t0 = Date.now();
  const slow = await runAction({ exec: { command: ["hang"] } }, target({ runtime: rt }), 100, 300);
  expect(slow.status).toBe("failure");
  expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
});

test.if(process.getuid?.() === 0 && !!Bun.which("unshare") && !!Bun.which("nsenter"))("without a pod IP the check runs inside the pod's network namespace", async () => {
  const port = 18000 + Math.floor(Math.random() * 1000);
  const script = `Bun.serve({hostname:"127.0.0.1",port:${port},fetch:()=>new Response("inside")}); console.log("up");`;
  const proc = Bun.spawn(["unshare", "--net", "sh", "-c", `ip link set lo up && exec "${process.execPath}" -e '${script}'`], { stdout: "pipe", stderr: "pipe" });
  try {
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // "up"
    // From the host namespace nothing listens there.
    expect((await netCheck({ kind: "tcp", host: "127.0.0.1", port, timeoutMs: 500 })).status).toBe("failure");
    const r = await runAction({ httpGet: { path: "/", port } }, target({ podIP: "", pid: async () => proc.pid }), 5000);
    expect(r).toEqual({ status: "success", message: "inside" });
    expect((await netCheckInNetns(proc.pid, { kind: "tcp", host: "127.0.0.1", port, timeoutMs: 2000 })).status).toBe("success");
    expect((await netCheckInNetns(proc.pid, { kind: "tcp", host: "127.0.0.1", port: port + 1, timeoutMs: 2000 })).status).toBe("failure");
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
});
