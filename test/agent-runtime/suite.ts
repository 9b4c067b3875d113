/**
 * @module test/agent-runtime/suite
 * The runtime contract, checked against a REAL engine. podman.test.ts and
 * docker.test.ts run it with their set-up. Every object carries a per-run
 * label and is removed in afterAll; names carry the run id so parallel runs
 * and other users of the engine are never touched.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CliRuntime } from "../../src/agent/runtime/base.ts";
import {
  AlreadyExistsError,
  type ContainerInfo,
  ContainerNotRunningError,
  ContainerStartError,
  type ContainerSpec,
  ImageNotPresentError,
  ImagePullError,
  InvalidSpecError,
  LABELS,
  NotFoundError,
  podLabels,
  type RuntimeEvent,
  terminationReason,
} from "../../src/agent/runtime/types.ts";
import { pauseRootfs } from "../../src/agent/runtime/pause-image.ts";
import { TEST_IMAGE } from "../lib/test-image.ts";

export interface SuiteSetup {
  runtime: CliRuntime;
  /** Called after all tests, after the suite removed its objects. */
  teardown(): Promise<void>;
}

const TEST_RUN_LABEL = "io.kite.test-run";

async function text(s: ReadableStream<Uint8Array> | null): Promise<string> {
  return s ? new Response(s).text() : "";
}

/** Reads a stream until `pattern` matches the accumulated text, or times out. */
async function readUntil(s: ReadableStream<Uint8Array>, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const reader = s.getReader();
  const dec = new TextDecoder();
  let acc = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!pattern.test(acc)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(acc)}`);
      const r = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
      if (r === null) continue;
      if (r.done) break;
      acc += dec.decode(r.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return acc;
}

/** Whether this process's bounding set holds every capability the kernel knows. */
function hostHasAllCaps(): boolean {
  const bnd = /CapBnd:\s+([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "0";
  const last = BigInt(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8").trim());
  const need = (1n << (last + 1n)) - 1n;
  return (BigInt(`0x${bnd}`) & need) === need;
}

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

export function runtimeSuite(engine: "podman" | "docker", setup: () => Promise<SuiteSetup>): void {
  describe(`${engine} runtime`, () => {
    const run = Math.random().toString(36).slice(2, 8);
    const node = `kt-node-${run}`;
    let rt: CliRuntime;
    let s: SuiteSetup;
    let mainSandbox = "";
    let n = 0;
    const tmpDirs: string[] = [];

    const labels = (extra: Record<string, string> = {}, nodeName = node) => ({
      ...podLabels({ nodeName, podUid: `uid-${run}`, podName: "p", podNamespace: "default" }),
      [TEST_RUN_LABEL]: run,
      ...extra,
    });
    const name = (what: string) => `kt-${run}-${what}-${++n}`;

    const spec = (over: Partial<ContainerSpec> & { sandboxId?: string }): ContainerSpec => ({
      name: name("c"),
      sandboxId: mainSandbox,
      image: TEST_IMAGE,
      labels: labels({ [LABELS.containerName]: "c" }),
      ...over,
    });

    async function waitExit(id: string, timeoutMs = 20_000): Promise<ContainerInfo> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = await rt.inspectContainer(id);
        if (c.state === "exited") return c;
        if (Date.now() > deadline) throw new Error(`container ${id} still ${c.state} after ${timeoutMs} ms`);
        await Bun.sleep(100);
      }
    }

    /** create + start + wait for exit; returns the final info and the logs. */
    async function runToEnd(over: Partial<ContainerSpec>): Promise<{ info: ContainerInfo; out: string }> {
      const id = await rt.createContainer(spec(over));
      await rt.startContainer(id);
      const info = await waitExit(id);
      return { info, out: await text(await rt.logs(id)) };
    }

    /** Waits until the container's log matches, then stops following. */
    async function waitLog(id: string, pattern: RegExp): Promise<string> {
      const stream = await rt.logs(id, { follow: true });
      try {
        return await readUntil(stream, pattern);
      } finally {
        await stream.cancel().catch(() => {});
      }
    }

    async function started(over: Partial<ContainerSpec>): Promise<string> {
      const id = await rt.createContainer(spec(over));
      await rt.startContainer(id);
      return id;
    }

    beforeAll(async () => {
      s = await setup();
      rt = s.runtime;
      mainSandbox = (await rt.createSandbox({ name: name("sb"), labels: labels() })).id;
    }, 60_000);

    afterAll(async () => {
      try {
        if (rt) {
          const sbs = await rt.listSandboxes({ [TEST_RUN_LABEL]: run });
          await Promise.all(sbs.map((x) => rt.removeSandbox(x.id)));
          const left = await rt.listContainers({ [TEST_RUN_LABEL]: run });
          await Promise.all(left.map((c) => rt.removeContainer(c.id)));
          expect(await rt.listContainers({ [TEST_RUN_LABEL]: run })).toEqual([]);
          expect(await rt.listSandboxes({ [TEST_RUN_LABEL]: run })).toEqual([]);
        }
      } finally {
        for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
        await s?.teardown();
      }
    }, 60_000);

    test("info reports the engine and its version", async () => {
      const info = await rt.info();
      expect(info.name).toBe(engine);
      expect(info.version).toMatch(/^\d+\.\d+/);
      expect(info.runtimeVersion).toBe(`${engine}://${info.version}`);
    });

    test("sandbox: two containers share network and hostname; hostPort published on 127.0.0.1", async () => {
      const port = await freePort();
      const sb = await rt.createSandbox({
        name: name("net"),
        labels: labels(),
        hostname: "webpod",
        ports: [{ containerPort: 8080, hostPort: port, hostIP: "127.0.0.1" }],
      });
      expect(sb.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const info = await rt.inspectSandbox(sb.id);
      expect(info).toMatchObject({ id: sb.id, state: "ready", ip: sb.ip });
      expect(info.labels[LABELS.nodeName]).toBe(node);

      const server = await started({
        sandboxId: sb.id,
        command: ["sh", "-c", `mkdir -p /www && echo "served-by-$(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www`],
      });
      const client = await runToEnd({
        sandboxId: sb.id,
        command: ["sh", "-c"],
        args: ["for i in $(seq 1 50); do wget -q -O - http://127.0.0.1:8080/ && exit 0; sleep 0.1; done; exit 9"],
      });
      expect(client.out.trim()).toBe("served-by-webpod");
      expect(client.info.exitCode).toBe(0);
      expect(client.info.sandboxId).toBe(sb.id);

      // The published port answers from the host, on the chosen address.
      const body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
      expect(body.trim()).toBe("served-by-webpod");
      expect((await rt.inspectContainer(server)).state).toBe("running");

      // Removing the sandbox removes its containers.
      await rt.removeSandbox(sb.id);
      await expect(rt.inspectContainer(server)).rejects.toBeInstanceOf(NotFoundError);
      await expect(rt.inspectSandbox(sb.id)).rejects.toBeInstanceOf(NotFoundError);
      await rt.removeSandbox(sb.id); // idempotent
    }, 40_000);

    test("command, args, env and workingDir; exit codes and times", async () => {
      const before = Date.now();
      const [{ info, out }, ok] = await Promise.all([
        runToEnd({
          command: ["sh", "-c"],
          args: ['echo "$GREETING|$(pwd)|$0|$1|$EMPTY."; echo oops >&2; exit 7', "first", "second"],
          env: [
            { name: "GREETING", value: "hello world" },
            { name: "EMPTY", value: "" },
          ],
          workingDir: "/tmp",
        }),
        runToEnd({ args: ["true"] }),
      ]);
      expect(out).toContain("hello world|/tmp|first|second|.");
      expect(out).toContain("oops"); // stderr is part of the logs
      expect(info.state).toBe("exited");
      expect(info.exitCode).toBe(7);
      expect(terminationReason(info)).toBe("Error");
      expect(info.oomKilled).toBe(false);
      expect(info.startedAt!.getTime()).toBeGreaterThanOrEqual(before - 2000);
      expect(info.finishedAt!.getTime()).toBeGreaterThanOrEqual(info.startedAt!.getTime());
      expect(info.finishedAt!.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
      expect(info.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(info.image).toBe(TEST_IMAGE);

      expect(ok.info.exitCode).toBe(0);
      expect(terminationReason(ok.info)).toBe("Completed");
    }, 30_000);

    test("a missing executable fails start with ContainerStartError and a StartError state", async () => {
      const id = await rt.createContainer(spec({ command: ["/no/such/binary"] }));
      const err = await rt.startContainer(id).catch((e) => e);
      expect(err).toBeInstanceOf(ContainerStartError);
      expect((err as ContainerStartError).engineMessage).toMatch(/no such file|not found/i);
      const c = await rt.inspectContainer(id);
      expect(c.state === "created" || c.state === "exited").toBe(true);
      expect(c.error).toMatch(/no such binary|no such file|not found/i);
      expect(terminationReason(c)).toBe("StartError");
    }, 20_000);

    test("bind mounts: read-only stays read-only, read-write reaches the host", async () => {
      const dir = mkdtempSync("/tmp/kt-mnt-");
      tmpDirs.push(dir);
      writeFileSync(join(dir, "in.txt"), "from-host\n");
      const rwDir = mkdtempSync("/tmp/kt-mnt-rw-");
      tmpDirs.push(rwDir);
      const { info, out } = await runToEnd({
        command: ["sh", "-c", "cat /ro/in.txt; touch /ro/x 2>/dev/null && echo RO-WRITABLE || echo RO-OK; echo written > /rw/out.txt"],
        mounts: [
          { hostPath: dir, containerPath: "/ro", readOnly: true },
          { hostPath: rwDir, containerPath: "/rw" },
        ],
      });
      expect(info.exitCode).toBe(0);
      expect(out).toContain("from-host");
      expect(out).toContain("RO-OK");
      expect(readFileSync(join(rwDir, "out.txt"), "utf8")).toBe("written\n");
    }, 20_000);

    test("securityContext: user/group, read-only root, capabilities; privileged", async () => {
      const privileged = spec({ command: ["sh", "-c", "grep CapEff /proc/self/status"], securityContext: { privileged: true } });
      const dockerCannotPrivilege = engine === "docker" && !hostHasAllCaps();
      const [{ out }, root, priv] = await Promise.all([
        runToEnd({
          command: [
            "sh",
            "-c",
            "echo uid=$(id -u) gid=$(id -g) groups=$(id -G); touch /x 2>/dev/null && echo ROOT-RW || echo ROOT-RO; grep CapBnd /proc/self/status",
          ],
          securityContext: {
            runAsUser: 1234,
            runAsGroup: 2345,
            supplementalGroups: [3456],
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
          },
        }),
        runToEnd({
          command: ["sh", "-c", "grep CapEff /proc/self/status; touch /tmp/x && echo ROOT-RW"],
          securityContext: { capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } },
        }),
        dockerCannotPrivilege
          ? rt.createContainer(privileged).then((id) => rt.startContainer(id).then(() => null, (e) => e as Error))
          : runToEnd(privileged),
      ]);
      expect(out).toContain("uid=1234 gid=2345");
      expect(out).toMatch(/groups=.*3456/);
      expect(out).toContain("ROOT-RO");
      // Dropping ALL and adding one leaves exactly that one (bit 10) in the bounding set.
      expect(out).toMatch(/CapBnd:\s+0+400\n/);
      // Only NET_ADMIN (bit 12) for root.
      expect(root.out).toMatch(/CapEff:\s+0+1000\n/);
      expect(root.out).toContain("ROOT-RW");

      if (dockerCannotPrivilege) {
        // docker asks runc for every capability it knows; without CAP_SYS_RESOURCE in this
        // sandbox's bounding set that start is refused. podman only asks for what it holds.
        expect(priv).toBeInstanceOf(ContainerStartError);
        expect(String((priv as Error).message)).toMatch(/caps|operation not permitted/i);
      } else {
        const capEff = BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec((priv as { out: string }).out)![1]}`);
        expect(capEff & (1n << 21n)).not.toBe(0n); // CAP_SYS_ADMIN
      }
    }, 30_000);

    test("memory limit: a process exceeding it is OOM-killed and reported as OOMKilled", async () => {
      const { info } = await runToEnd({
        command: ["sh", "-c", 'x=a; while true; do x="$x$x"; done'],
        resources: { memoryLimitBytes: 32 * 1024 * 1024, cpuLimit: 0.5 },
      });
      expect(info.exitCode).toBe(137);
      expect(info.oomKilled).toBe(true);
      expect(terminationReason(info)).toBe("OOMKilled");
    }, 30_000);

    test("cpu limit reaches the cgroup as a CFS quota", async () => {
      const { out } = await runToEnd({
        command: ["sh", "-c", "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max"],
        resources: { cpuLimit: 0.25 },
      });
      const nums = out.trim().split(/\s+/).map(Number);
      expect(nums.length).toBe(2);
      expect(nums[0]! / nums[1]!).toBeCloseTo(0.25, 2);
    }, 20_000);

    test("stop honours the grace period: TERM handled → early exit; TERM ignored → SIGKILL after grace", async () => {
      const trapping = await started({
        command: ["sh", "-c", 'trap "echo got-term; exit 3" TERM; echo ready; while true; do sleep 0.1; done'],
      });
      const ignoring = await started({ command: ["sh", "-c", 'trap "" TERM; echo ready; while true; do sleep 0.1; done'] });
      for (const id of [trapping, ignoring]) await waitLog(id, /ready/);

      const timed = async (id: string, grace: number) => {
        const t0 = performance.now();
        await rt.stopContainer(id, grace);
        return (performance.now() - t0) / 1000;
      };
      const [tTrap, tIgnore] = await Promise.all([timed(trapping, 10), timed(ignoring, 2)]);
      const a = await rt.inspectContainer(trapping);
      const b = await rt.inspectContainer(ignoring);
      expect(a.exitCode).toBe(3);
      expect(tTrap).toBeLessThan(5);
      expect(await text(await rt.logs(trapping))).toContain("got-term");
      expect(b.exitCode).toBe(137);
      expect(tIgnore).toBeGreaterThanOrEqual(1.9);
      expect(tIgnore).toBeLessThan(8);
      expect(b.finishedAt!.getTime() - b.startedAt!.getTime()).toBeGreaterThanOrEqual(1900);
      expect(b.oomKilled).toBe(false);
    }, 30_000);

    test("logs: tail, timestamps, since, follow; missing container → NotFoundError", async () => {
      const { info } = await runToEnd({ command: ["sh", "-c", "seq 1 10; sleep 1.2; echo after-pause"] });
      expect(info.exitCode).toBe(0);
      const id = info.id;
      expect(await text(await rt.logs(id, { tail: 2 }))).toBe("10\nafter-pause\n");
      const stamped = (await text(await rt.logs(id, { timestamps: true }))).trim().split("\n");
      expect(stamped).toHaveLength(11);
      for (const l of stamped) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /);
      const ts = (l: string) => new Date(l.split(" ")[0]!).getTime();
      const cut = new Date((ts(stamped[9]!) + ts(stamped[10]!)) / 2);
      expect(await text(await rt.logs(id, { since: cut }))).toBe("after-pause\n");

      // follow: sees lines written after it started, ends when cancelled.
      const live = await started({ command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done"] });
      const stream = await rt.logs(live, { follow: true, tail: 0 });
      const seen = await readUntil(stream, /tick-(\d+)\n[\s\S]*tick-\d+\n[\s\S]*tick-\d+\n/);
      expect(seen).not.toContain("tick-1\n"); // tail 0: nothing from before
      await stream.cancel();

      await expect(rt.logs("kt-no-such-container")).rejects.toBeInstanceOf(NotFoundError);
    }, 30_000);

    test("exec: exit code, stdin, env, tty; typed errors when not running or missing", async () => {
      const id = await started({ command: ["sleep", "300"] });
      const five = await rt.exec(id, ["sh", "-c", "echo out; echo err >&2; exit 5"]);
      const [o, e, code] = await Promise.all([text(five.stdout), text(five.stderr), five.exited]);
      expect([o, e, code]).toEqual(["out\n", "err\n", 5]);

      const cat = await rt.exec(id, ["sh", "-c", 'cat; echo "[$FOO]"'], { stdin: true, env: [{ name: "FOO", value: "bar" }] });
      const w = cat.stdin!.getWriter();
      await w.write(new TextEncoder().encode("line one\nline two\n"));
      await w.close();
      expect(await text(cat.stdout)).toBe("line one\nline two\n[bar]\n");
      expect(await cat.exited).toBe(0);

      const tty = await rt.exec(id, ["sh", "-c", "test -t 0 && test -t 1 && echo IS-TTY; stty size"], { tty: true, size: { cols: 77, rows: 22 } });
      const ttyOut = await text(tty.stdout);
      expect(ttyOut).toContain("IS-TTY");
      expect(tty.stderr).toBeNull();
      expect(await tty.exited).toBe(0);

      const missing = await rt.exec(id, ["/no/such/cmd"]);
      await text(missing.stdout);
      expect(await missing.exited).toBeGreaterThanOrEqual(126);

      await rt.stopContainer(id, 0);
      const dead = await rt.exec(id, ["true"]);
      await expect(dead.exited).rejects.toBeInstanceOf(ContainerNotRunningError);
      const none = await rt.exec("kt-no-such-container", ["true"]);
      await expect(none.exited).rejects.toBeInstanceOf(NotFoundError);
    }, 30_000);

    test("attach: live output, stdin until EOF, container exit code; detaching leaves it running", async () => {
      const [echo, ticker] = await Promise.all([
        started({ command: ["sh", "-c", 'echo started; while read l; do echo "echo:$l"; done; echo eof; exit 6'], stdin: true }),
        started({ command: ["sh", "-c", "while true; do echo tick; sleep 0.2; done"] }),
      ]);
      await waitLog(echo, /started/);
      const s1 = await rt.attach(echo, { stdin: true });
      const w = s1.stdin!.getWriter();
      await w.write(new TextEncoder().encode("ping\n"));
      expect(await readUntil(s1.stdout, /echo:ping/)).toContain("echo:ping");
      await w.close(); // EOF reaches the container's stdin
      expect(await s1.exited).toBe(6);
      expect((await waitExit(echo)).exitCode).toBe(6);
      expect(await text(await rt.logs(echo))).toBe("started\necho:ping\neof\n");

      const s2 = await rt.attach(ticker);
      expect(s2.stdin).toBeNull();
      expect(await readUntil(s2.stdout, /tick/)).toContain("tick");
      s2.close();
      await s2.exited.catch(() => {});
      await Bun.sleep(300);
      expect((await rt.inspectContainer(ticker)).state).toBe("running");

      const exited = await runToEnd({ args: ["true"] });
      await expect(rt.attach(exited.info.id)).rejects.toBeInstanceOf(ContainerNotRunningError);
    }, 30_000);

    test("adoption: containers and sandboxes are found by labels, scoped by node name", async () => {
      const other = `kt-other-${run}`;
      const [sbOther, mine] = await Promise.all([
        rt.createSandbox({ name: name("sb-other"), labels: labels({}, other) }),
        rt.createContainer(spec({ command: ["sleep", "60"], labels: labels({ [LABELS.containerName]: "adopt" }) })),
      ]);
      const theirs = await rt.createContainer(
        spec({ sandboxId: sbOther.id, command: ["sleep", "60"], labels: labels({ [LABELS.containerName]: "adopt" }, other) }),
      );

      // A new runtime object stands for a restarted agent.
      const fresh = new (rt.constructor as new (o: object) => CliRuntime)({ env: rt.cli.env });
      const listed = await fresh.listContainers({ [LABELS.nodeName]: node, [LABELS.containerName]: "adopt" });
      expect(listed.map((c) => c.id)).toEqual([mine]);
      expect(listed[0]!.labels[LABELS.podUid]).toBe(`uid-${run}`);
      expect(listed[0]!.sandboxId).toBe(mainSandbox);
      expect(listed[0]!.state).toBe("created");

      const theirsListed = await fresh.listContainers({ [LABELS.nodeName]: other });
      expect(theirsListed.map((c) => c.id)).toEqual([theirs]);

      const mySandboxes = (await fresh.listSandboxes({ [LABELS.nodeName]: node })).map((x) => x.id);
      expect(mySandboxes).toContain(mainSandbox);
      expect(mySandboxes).not.toContain(sbOther.id);
      const otherSandboxes = await fresh.listSandboxes({ [LABELS.nodeName]: other });
      expect(otherSandboxes.map((x) => x.id)).toEqual([sbOther.id]);
      expect(otherSandboxes[0]!.state).toBe("ready");

      // Sandboxes never show up as containers.
      const all = await fresh.listContainers({ [TEST_RUN_LABEL]: run });
      expect(all.some((c) => c.id === sbOther.id || c.id === mainSandbox)).toBe(false);

      const t0 = performance.now();
      await fresh.stopSandbox(sbOther.id, 0);
      expect((await fresh.inspectSandbox(sbOther.id)).state).toBe("notready");
      if (engine === "docker") {
        // kite's pause program ends on SIGTERM with 0 (not SIGKILLed after docker's grace).
        expect((await fresh.inspectContainer(sbOther.id)).exitCode).toBe(0);
        expect(performance.now() - t0).toBeLessThan(1900);
      }
      await fresh.removeSandbox(sbOther.id);
      expect(await fresh.listContainers({ [LABELS.nodeName]: other })).toEqual([]);
      await rt.removeContainer(mine);
      await rt.removeContainer(mine); // idempotent
    }, 40_000);

    test("events: start and die of labelled containers with exit code, replayed from `since`", async () => {
      const before = new Date(Date.now() - 1000);
      const { info } = await runToEnd({ command: ["sh", "-c", "exit 4"], labels: labels({ [LABELS.containerName]: "evt" }) });
      // Subscribing after the fact: `since` replays what happened (an agent catching up after a restart).
      const events = rt.events({ [TEST_RUN_LABEL]: run, [LABELS.containerName]: "evt" }, { since: before });
      const got: RuntimeEvent[] = [];
      const done = (async () => {
        for await (const ev of events) {
          got.push(ev);
          if (ev.action === "die") break;
        }
      })();
      await Promise.race([done, Bun.sleep(10_000)]);
      events.close();
      const start = got.find((e) => e.action === "start");
      const die = got.find((e) => e.action === "die");
      expect(start?.id).toBe(info.id);
      expect(die?.id).toBe(info.id);
      expect(die?.exitCode).toBe(4);
      expect(die?.labels[TEST_RUN_LABEL]).toBe(run);
      expect(got.every((e) => e.labels[LABELS.containerName] === "evt")).toBe(true);
    }, 30_000);

    test("sandbox options: shared PID namespace, DNS and host aliases; host network", async () => {
      const [sb, host] = await Promise.all([
        rt.createSandbox({
          name: name("pid"),
          labels: labels(),
          shareProcessNamespace: true,
          dns: { servers: ["10.96.0.10"], searches: ["default.svc.cluster.local"], options: ["ndots:5"] },
          hostAliases: [{ ip: "10.1.2.3", hostnames: ["alias-one", "alias-two"] }],
        }),
        rt.createSandbox({ name: name("hostnet"), labels: labels(), hostNetwork: true }),
      ]);
      const sleeper = await started({ sandboxId: sb.id, command: ["sleep", "321"] });
      const { out } = await runToEnd({
        sandboxId: sb.id,
        command: ["sh", "-c", "ps -o args; cat /etc/resolv.conf /etc/hosts"],
      });
      expect(out).toContain("sleep 321"); // the other container's process is visible
      expect(out).toContain("nameserver 10.96.0.10");
      expect(out).toContain("default.svc.cluster.local");
      expect(out).toContain("ndots:5");
      expect(out).toMatch(/10\.1\.2\.3\s+alias-one/);
      expect(out).toMatch(/10\.1\.2\.3\s+.*alias-two|10\.1\.2\.3\s+alias-two/);
      await rt.removeSandbox(sb.id);
      await expect(rt.inspectContainer(sleeper)).rejects.toBeInstanceOf(NotFoundError);

      expect(host.ip).toBe("");
      const ifaces = () =>
        readFileSync("/proc/net/dev", "utf8").split("\n").slice(2).map((l) => l.split(":")[0]!.trim()).filter(Boolean);
      const before = ifaces();
      const inside = await runToEnd({ sandboxId: host.id, command: ["cat", "/proc/net/dev"] });
      // Interfaces present on the host before and after (others' test bridges come and go).
      const stable = ifaces().filter((i) => before.includes(i));
      expect(stable.length).toBeGreaterThan(2); // more than a private namespace's lo + eth0
      for (const i of stable) expect(inside.out).toContain(`${i}:`);
      await rt.removeSandbox(host.id);
    }, 40_000);

    test("image pull policies: Never → ImageNotPresentError, failed pulls → ImagePullError", async () => {
      const missing = `localhost/kite-test/absent-${run}:1`;
      expect(await rt.imageExists(missing)).toBe(false);
      expect(await rt.imageExists(TEST_IMAGE)).toBe(true);
      await expect(rt.ensureImage(missing, "Never")).rejects.toBeInstanceOf(ImageNotPresentError);
      // Both failing pulls at once (podman retries each for about 3 s).
      const [err, always] = await Promise.all([
        rt.ensureImage(missing, "IfNotPresent").catch((e) => e),
        rt.ensureImage(TEST_IMAGE, "Always").catch((e) => e),
      ]);
      expect(err).toBeInstanceOf(ImagePullError);
      expect((err as ImagePullError).image).toBe(missing);
      expect((err as ImagePullError).details.stderr).toBeTruthy(); // the engine's own message
      expect(await rt.ensureImage(TEST_IMAGE, "IfNotPresent")).toBe("present");
      expect(await rt.ensureImage(TEST_IMAGE, "Never")).toBe("present");
      // Always pulls even when present; with no registry here that fails.
      expect(always).toBeInstanceOf(ImagePullError);
      // Creating from a missing image never pulls behind our back.
      await expect(rt.createContainer(spec({ image: missing }))).rejects.toBeInstanceOf(NotFoundError);
      expect((await rt.listImages()).some((i) => i.tags.includes(TEST_IMAGE))).toBe(true);

      // Image GC: remove a throwaway image; removing it again is fine.
      const throwaway = `localhost/kite-test/throwaway-${run}:1`;
      await rt.cli.ok(["import", "-", throwaway], { stdin: pauseRootfs() });
      expect(await rt.imageExists(throwaway)).toBe(true);
      await rt.removeImage(throwaway);
      expect(await rt.imageExists(throwaway)).toBe(false);
      await rt.removeImage(throwaway);
    }, 60_000);

    test("bad input: typed errors and nothing created", async () => {
      await Promise.all([
        expect(rt.inspectContainer("kt-no-such-container")).rejects.toBeInstanceOf(NotFoundError),
        rt.removeContainer("kt-no-such-container"),
        expect(rt.stopContainer("kt-no-such-container", 1)).rejects.toBeInstanceOf(NotFoundError),
        expect(rt.startContainer("kt-no-such-container")).rejects.toBeInstanceOf(NotFoundError),
        expect(rt.inspectSandbox("kt-no-such-sandbox")).rejects.toBeInstanceOf(NotFoundError),
        expect(rt.createContainer(spec({ sandboxId: "kt-no-such-sandbox" }))).rejects.toBeInstanceOf(NotFoundError),
      ]);

      const dup = name("dup");
      const first = await rt.createContainer(spec({ name: dup, args: ["true"] }));
      await expect(rt.createContainer(spec({ name: dup, args: ["true"] }))).rejects.toBeInstanceOf(AlreadyExistsError);
      await rt.removeContainer(first);

      const bad = name("bad");
      await expect(rt.createContainer(spec({ name: bad, workingDir: "relative" }))).rejects.toBeInstanceOf(InvalidSpecError);
      await expect(rt.createContainer(spec({ name: bad, mounts: [{ hostPath: "/a:b", containerPath: "/x" }] }))).rejects.toBeInstanceOf(
        InvalidSpecError,
      );
      await expect(rt.createContainer(spec({ name: bad, image: "Not/Valid" }))).rejects.toBeInstanceOf(InvalidSpecError);
      await expect(
        rt.createSandbox({ name: name("badsb"), labels: labels(), ports: [{ containerPort: 80, hostPort: 70000 }] }),
      ).rejects.toBeInstanceOf(InvalidSpecError);
      expect((await rt.listContainers({ [TEST_RUN_LABEL]: run })).some((c) => c.name === bad)).toBe(false);
    }, 30_000);
  });
}
