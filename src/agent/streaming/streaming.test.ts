/**
 * The agent side with a fake runtime (real engines are covered by test/streaming): which
 * container instance a request gets, log cuts and cancellation, exec stdin/EOF/resize/exit,
 * and port-forward against a real TCP listener on loopback.
 */
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { type ContainerInfo, type ContainerRuntime, ContainerNotRunningError, LABELS, NotFoundError, type StreamSession } from "../runtime/types.ts";
import { TunnelMux, type TunnelStream } from "../../tunnel/mux.ts";
import { memoryTransportPair } from "../../tunnel/transport.ts";
import type { StreamExit, StreamRequest } from "../../tunnel/types.ts";
import { serveStream } from "./index.ts";
import { runtimeLocator } from "./locator.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function container(id: string, over: Partial<ContainerInfo> & { restart?: number; node?: string; pod?: string; name?: string } = {}): ContainerInfo {
  return {
    id,
    name: id,
    labels: {
      [LABELS.nodeName]: over.node ?? "n1",
      [LABELS.podNamespace]: "default",
      [LABELS.podName]: over.pod ?? "web",
      [LABELS.podUid]: "uid-1",
      [LABELS.containerName]: over.name ?? "c",
      [LABELS.restartCount]: String(over.restart ?? 0),
    },
    state: over.state ?? "running",
    exitCode: null,
    createdAt: new Date(1000 + (over.restart ?? 0)),
    startedAt: null,
    finishedAt: null,
    oomKilled: false,
    image: "img",
    imageId: "",
    sandboxId: "sb",
    error: "",
    pid: 1,
  };
}

interface FakeCalls {
  logs: { id: string; opts: unknown; cancelled: boolean }[];
  exec: { id: string; cmd: string[]; opts: unknown }[];
  stdin: string[];
  stdinClosed: boolean;
  resizes: string[];
}

function fakeRuntime(containers: ContainerInfo[], behaviour: { logText?: string; exitCode?: number; failExec?: boolean } = {}) {
  const calls: FakeCalls = { logs: [], exec: [], stdin: [], stdinClosed: false, resizes: [] };
  let finishExec!: (code: number) => void;
  const rt = {
    name: "podman",
    async listContainers(f: Record<string, string>) {
      return containers.filter((c) => Object.entries(f).every(([k, v]) => c.labels[k] === v));
    },
    async inspectContainer(id: string) {
      const c = containers.find((x) => x.id === id);
      if (!c) throw new NotFoundError("container", id);
      return c;
    },
    async listSandboxes() {
      return [];
    },
    async logs(id: string, opts: unknown) {
      const entry = { id, opts, cancelled: false };
      calls.logs.push(entry);
      const text = behaviour.logText ?? "";
      return new ReadableStream<Uint8Array>({
        start(c) {
          if (text) c.enqueue(enc.encode(text));
          if (!(opts as { follow?: boolean }).follow) c.close();
        },
        cancel() {
          entry.cancelled = true;
        },
      });
    },
    async exec(id: string, cmd: string[], opts: unknown): Promise<StreamSession> {
      calls.exec.push({ id, cmd, opts });
      let out!: ReadableStreamDefaultController<Uint8Array>;
      const stdout = new ReadableStream<Uint8Array>({ start: (c) => void (out = c) });
      const exited = new Promise<number>((resolve, reject) => {
        let done = false;
        finishExec = (code) => {
          if (done) return;
          done = true;
          out.close();
          if (behaviour.failExec) reject(new ContainerNotRunningError(id));
          else resolve(code);
        };
      });
      return {
        stdin: new WritableStream<Uint8Array>({
          write(b) {
            calls.stdin.push(dec.decode(b));
            out.enqueue(enc.encode(dec.decode(b).toUpperCase()));
          },
          close() {
            calls.stdinClosed = true;
            finishExec(behaviour.exitCode ?? 0);
          },
        }),
        stdout,
        stderr: null,
        exited,
        resize: (w, h) => calls.resizes.push(`${w}x${h}`),
        close: () => finishExec(-1),
      };
    },
  } as unknown as ContainerRuntime;
  return { rt, calls };
}

/** Opens one stream against an in-process agent serving with `rt`. */
async function openOn(rt: ContainerRuntime, req: StreamRequest) {
  const pair = memoryTransportPair();
  const server = new TunnelMux(pair.a, { role: "server", pingIntervalMs: 0 });
  const agent = new TunnelMux(pair.b, { role: "agent", pingIntervalMs: 0, onStream: (s) => serveStream(s, { runtime: rt, locator: runtimeLocator(rt, "n1") }) });
  pair.connect(server, agent);
  return server.open(req);
}

function collect(s: TunnelStream) {
  let out = "";
  const exit = new Promise<StreamExit>((resolve) =>
    s.setHandlers({
      data(_c, b) {
        out += dec.decode(b);
        s.consumed(b.length);
      },
      exit: resolve,
      reset: (r) => resolve({ error: { code: 0, reason: "reset", message: r } }),
    }),
  );
  return { exit, out: () => out };
}

const pod = { namespace: "default", name: "web", uid: "uid-1" };

describe("locator", () => {
  test("current and previous instances by restart count; other nodes and pods are invisible", async () => {
    const { rt } = fakeRuntime([container("old", { restart: 0, state: "exited" }), container("new", { restart: 1 }), container("foreign", { restart: 5, node: "n2" }), container("otherpod", { pod: "api" })]);
    const loc = runtimeLocator(rt, "n1");
    const inst = await loc.container(pod, "c");
    expect([inst.current?.id, inst.previous?.id]).toEqual(["new", "old"]);
    expect((await loc.containerById(pod, "podman://old"))?.id).toBe("old");
    expect(await loc.containerById(pod, "foreign")).toBeNull();
    expect(await loc.containerById(pod, "otherpod")).toBeNull();
    expect(await loc.containerById(pod, "missing")).toBeNull();
  });
});

describe("log streams", () => {
  test("limitBytes cuts the output; options reach the runtime", async () => {
    const { rt, calls } = fakeRuntime([container("c1")], { logText: "0123456789" });
    const s = await openOn(rt, { kind: "log", pod, container: "c", log: { tailLines: 3, timestamps: true, sinceTime: "2026-01-01T00:00:00Z", limitBytes: 4 } });
    const c = collect(s);
    expect(await c.exit).toEqual({ exitCode: 0 });
    expect(c.out()).toBe("0123");
    expect(calls.logs[0]).toMatchObject({ id: "c1", opts: { follow: false, timestamps: true, tail: 3, since: new Date("2026-01-01T00:00:00Z") } });
  });

  test("--previous without a previous instance is refused like the kubelet; a reset cancels a follow", async () => {
    const { rt, calls } = fakeRuntime([container("c1")], { logText: "x" });
    const err = await openOn(rt, { kind: "log", pod, container: "c", log: { previous: true } }).catch((e) => e);
    expect(err.status).toEqual({ code: 400, reason: "BadRequest", message: 'previous terminated container "c" in pod "web" not found' });
    const s = await openOn(rt, { kind: "log", pod, container: "c", log: { follow: true } });
    collect(s);
    await Bun.sleep(10);
    s.reset("client gone");
    await Bun.sleep(10);
    expect(calls.logs.at(-1)?.cancelled).toBe(true);
  });
});

describe("exec streams", () => {
  test("stdin, early resize, EOF and the exit code", async () => {
    const { rt, calls } = fakeRuntime([container("c1")], { exitCode: 5 });
    const s = await openOn(rt, { kind: "exec", pod, container: "c", exec: { command: ["cat"], stdin: true, stdout: true, stderr: false, tty: true } });
    const c = collect(s);
    s.resize({ width: 100, height: 30 });
    await s.write(0, enc.encode("abc"));
    s.end(0);
    expect(await c.exit).toEqual({ exitCode: 5 });
    expect(c.out()).toBe("ABC");
    expect(calls.stdin).toEqual(["abc"]);
    expect(calls.stdinClosed).toBe(true);
    expect(calls.resizes).toContain("100x30");
    expect(calls.exec[0]).toMatchObject({ id: "c1", cmd: ["cat"], opts: { stdin: true, tty: true } });
  });

  test("a stopped container is refused; a session failure ends with an error", async () => {
    const stopped = fakeRuntime([container("c1", { state: "exited" })]);
    const err = await openOn(stopped.rt, { kind: "exec", pod, container: "c", exec: { command: ["ls"], stdin: false, stdout: true, stderr: true, tty: false } }).catch((e) => e);
    expect(err.status.message).toBe('container "c" in pod "web" is not running');
    const failing = fakeRuntime([container("c1")], { failExec: true });
    const s = await openOn(failing.rt, { kind: "exec", pod, container: "c", exec: { command: ["cat"], stdin: true, stdout: true, stderr: false, tty: false } });
    const c = collect(s);
    s.end(0);
    expect((await c.exit).error).toMatchObject({ code: 400, message: "container c1 is not running" });
  });
});

describe("port-forward streams", () => {
  test("relays to the pod's port both ways with half-close; a refused port is a clear error", async () => {
    const srv = net.createServer({ allowHalfOpen: true }, (sock) => {
      let got = "";
      sock.on("data", (b) => (got += b.toString()));
      sock.on("end", () => sock.end(`pong:${got}`));
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const { rt } = fakeRuntime([]);
      const s = await openOn(rt, { kind: "portforward", pod, port, hostNetwork: true });
      const c = collect(s);
      await s.write(0, enc.encode("ping"));
      s.end(0);
      expect(await c.exit).toEqual({ exitCode: 0 });
      expect(c.out()).toBe("pong:ping");
      const closed = await new Promise<number>((r) => {
        const probe = net.createServer();
        probe.listen(0, "127.0.0.1", () => {
          const p = (probe.address() as net.AddressInfo).port;
          probe.close(() => r(p));
        });
      });
      const err = await openOn(rt, { kind: "portforward", pod, port: closed, hostNetwork: true }).catch((e) => e);
      expect(err.status.message).toBe(`error forwarding port ${closed} to pod web_default, uid uid-1: dial tcp 127.0.0.1:${closed}: connect: connection refused`);
    } finally {
      srv.close();
    }
  });
});
