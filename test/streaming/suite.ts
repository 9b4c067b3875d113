/**
 * @module test/streaming/suite
 * kubectl logs / exec / cp / attach / port-forward end to end: real kubectl (several
 * versions) → real kite server → the node's tunnel → the agent side → real podman or
 * docker. podman.test.ts and docker.test.ts run it with their engine.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CliRuntime } from "../../src/agent/runtime/base.ts";
import { api, freePort, kubectlBinary, waitFor } from "../lib/kite.ts";
import { curl, type Harness, readUntil, startHarness, type TestPod } from "./harness.ts";

export interface EngineSetup {
  runtime: CliRuntime;
  teardown(): Promise<void>;
}

const hasKubectl = (v: string) => {
  try {
    kubectlBinary(v);
    return true;
  } catch {
    return false;
  }
};

/** `versions`: also run the kubectl version matrix (older/newer clients, opt-ins); one engine is enough. */
export function streamingSuite(engine: "podman" | "docker", setup: () => Promise<EngineSetup>, opts: { versions?: boolean } = {}): void {
  const matrix = (vs: string[]) => (opts.versions ? vs : vs.slice(0, 1));
  // Each kubectl run costs about a second (several on a loaded 2-core machine).
  setDefaultTimeout(120_000);
  describe(`streaming over ${engine}`, () => {
    let env: EngineSetup;
    let h: Harness;
    let web: TestPod;
    let tmp: string;

    beforeAll(async () => {
      env = await setup();
      try {
        h = await startHarness(engine, env.runtime);
        tmp = mkdtempSync("/tmp/kite-stream-test-");
        web = await h.pod("web", [
          { name: "main", command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; httpd -p 8080 -h /www; while true; do echo tick; sleep 0.3; done"] },
          { name: "side", command: ["sh", "-c", "echo side-says-hi; exec sleep 100000"] },
        ]);
      } catch (e) {
        await h?.stop();
        await env.teardown();
        throw e;
      }
    }, 120_000);

    afterAll(async () => {
      await h?.stop();
      await env?.teardown();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }, 120_000);

    // ---------------------------------------------------------------- logs

    test("kubectl logs: -c, --tail, --timestamps, --limit-bytes", async () => {
      const all = await h.kubectl(["logs", "web", "-c", "main"]);
      expect(all.code).toBe(0);
      // stdout in order; stderr merged in (docker keeps the two apart, so where it lands varies).
      expect(all.stdout.replace("oops\n", "")).toStartWith("line1\nline2\nline3\nline4\nline5\n");
      expect(all.stdout).toContain("oops\n");
      const side = await h.kubectl(["logs", "web", "-c", "side"]);
      expect(side.stdout).toBe("side-says-hi\n");
      const tail = await h.kubectl(["logs", "web", "-c", "side", "--tail=1"]);
      expect(tail.stdout).toBe("side-says-hi\n");
      const ts = await h.kubectl(["logs", "web", "-c", "side", "--timestamps"]);
      expect(ts.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) side-says-hi\n$/);
      const limited = await h.kubectl(["logs", "web", "-c", "side", "--limit-bytes=8"]);
      expect(limited.stdout).toBe("side-say");
      const since = await h.kubectl(["logs", "web", "-c", "main", "--since=1s"]);
      expect(since.code).toBe(0);
      expect(since.stdout).not.toContain("line1");
    });

    test("kubectl logs -f streams until kubectl stops", async () => {
      const p = h.spawnKubectl(["logs", "-f", "web", "-c", "main", "--tail=1"]);
      try {
        // New lines keep arriving while the stream is open.
        const out = await readUntil(p.stdout, /(tick\n[^]*){4}/, 20_000);
        expect(out.split("\n").filter((l) => l === "tick").length).toBeGreaterThanOrEqual(4);
      } finally {
        p.kill();
        await p.exited;
      }
      // The agent stops following once kubectl is gone.
      await waitFor(() => h.streams.filter((s) => s.request.kind === "log").every((s) => !s.isOpen), 10_000, "the log stream to end");
    });

    test("kubectl logs -f ends (exit 0) when the container stops", async () => {
      const pod = await h.pod("short", [{ name: "c", command: ["sh", "-c", "echo start; sleep 2; echo end"] }]);
      const r = await h.kubectl(["logs", "-f", pod.name], { timeoutMs: 30_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("start\nend\n");
    });

    test("kubectl logs --previous serves the terminated instance", async () => {
      const pod = await h.pod("again", [{ name: "c", command: ["sh", "-c", "echo first-run"] }]);
      await waitFor(async () => (await h.runtime.inspectContainer(pod.containers.c!)).state === "exited", 10_000, "the first instance to exit");
      await h.restart(pod, "c", ["sh", "-c", "echo second-run; exec sleep 100000"]);
      const prev = await h.kubectl(["logs", pod.name, "--previous"]);
      expect(prev.stdout).toBe("first-run\n");
      await waitFor(async () => (await h.kubectl(["logs", pod.name])).stdout === "second-run\n", 10_000, "the new instance's log");
      const none = await h.kubectl(["logs", "web", "-c", "side", "--previous"]);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('previous terminated container "side" in pod "web" not found');
    });

    test("log errors are upstream's Status", async () => {
      const pending = await api(h.server, "POST", "/api/v1/namespaces/default/pods", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "pending" },
        spec: { nodeName: h.nodeName, containers: [{ name: "a", image: "x" }, { name: "b", image: "x" }] },
      });
      expect(pending.status).toBe(201);
      const cur = await (await api(h.server, "GET", "/api/v1/namespaces/default/pods/pending")).json();
      cur.status = { phase: "Pending", containerStatuses: [{ name: "a", ready: false, restartCount: 0, image: "x", imageID: "", state: { waiting: { reason: "ContainerCreating" } } }] };
      expect((await api(h.server, "PUT", "/api/v1/namespaces/default/pods/pending/status", cur)).status).toBe(200);
      const noName = await api(h.server, "GET", "/api/v1/namespaces/default/pods/pending/log");
      expect(noName.status).toBe(400);
      expect((await noName.json()).message).toBe("a container name must be specified for pod pending, choose one of: [a b]");
      const waiting = await h.kubectl(["logs", "pending", "-c", "a"]);
      expect(waiting.code).toBe(1);
      expect(waiting.stderr).toContain('Error from server (BadRequest): container "a" in pod "pending" is waiting to start: ContainerCreating');
      const bad = await api(h.server, "GET", "/api/v1/namespaces/default/pods/web/log?container=main&tailLines=-3");
      expect(bad.status).toBe(422);
      const missing = await h.kubectl(["logs", "nope"]);
      expect(missing.stderr).toContain('pods "nope" not found');
    });

    // ---------------------------------------------------------------- exec

    for (const version of matrix(["1.32", "1.33", "1.30"])) {
      test.skipIf(!hasKubectl(version))(`kubectl ${version} exec: output, stderr and the exit code`, async () => {
        const ok = await h.kubectl(["exec", "web", "-c", "main", "--", "sh", "-c", "echo hello; echo err >&2"], { version });
        expect(ok).toMatchObject({ code: 0, stdout: "hello\n" });
        expect(ok.stderr).toContain("err\n");
        const three = await h.kubectl(["exec", "web", "-c", "main", "--", "sh", "-c", "exit 3"], { version });
        expect(three.code).toBe(3);
        expect(three.stderr).toContain("command terminated with exit code 3");
        const notFound = await h.kubectl(["exec", "web", "-c", "main", "--", "no-such-binary"], { version });
        expect(notFound.code).not.toBe(0);
      });
    }

    if (opts.versions) test.skipIf(!hasKubectl("1.29"))("kubectl 1.29 exec over WebSocket when asked (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true)", async () => {
      const r = await h.kubectl(["exec", "web", "-c", "main", "--", "sh", "-c", "echo ws; exit 4"], { version: "1.29", env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "true" } });
      expect(r.stdout).toBe("ws\n");
      expect(r.code).toBe(4);
    });

    for (const version of opts.versions ? ["1.27", "1.28"] : []) {
      test.skipIf(!hasKubectl(version))(`kubectl ${version} exec (SPDY only) gets a clear error, not a hang`, async () => {
        const r = await h.kubectl(["exec", "web", "-c", "main", "--", "true"], { version, timeoutMs: 30_000 });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("SPDY/3.1 upgrades are not served on this listener");
      });
    }

    test("kubectl exec -i passes stdin through and closes it at EOF", async () => {
      const input = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n") + "\n";
      const r = await h.kubectl(["exec", "-i", "web", "-c", "main", "--", "sh", "-c", "cat; echo done"], { stdin: input });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(input + "done\n");
      const wc = await h.kubectl(["exec", "-i", "web", "-c", "main", "--", "wc", "-c"], { stdin: "x".repeat(3_000_000) });
      expect(wc.stdout.trim()).toBe("3000000");
    });

    test("kubectl exec of a large output is complete", async () => {
      const r = await h.kubectl(["exec", "web", "-c", "main", "--", "sh", "-c", "dd if=/dev/zero bs=65536 count=128 2>/dev/null | tr '\\0' 'x'"]);
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBe(65536 * 128);
    });

    test("a kubectl that does not read stalls the command instead of filling the agent and server", async () => {
      const before = h.streams.length;
      // kubectl's stdout is a FIFO nobody reads (a Bun pipe would be drained by this process).
      const fifo = join(tmp, "stdout.fifo");
      expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
      const fd = openSync(fifo, constants.O_RDWR);
      // ~6 GB of output.
      const p = h.spawnKubectl(["exec", "web", "-c", "main", "--", "sh", "-c", "dd if=/dev/zero bs=65536 count=100000 2>/dev/null"], { stdout: fd });
      try {
        await waitFor(() => h.streams.length > before && h.streams.at(-1)!.sentBytes > 0, 30_000, "output to start");
        const s = h.streams.at(-1)!;
        let last = -1;
        // Wait until the agent stops sending (everything between it and kubectl is full).
        await waitFor(
          async () => {
            const now = s.sentBytes;
            const stalled = now === last;
            last = now;
            await Bun.sleep(500);
            return stalled;
          },
          30_000,
          "the agent to stall",
        );
        // One tunnel window, the server's socket high-water mark, the kernel's loopback
        // buffers and kubectl's pipe: a few MiB, not the gigabytes dd would write.
        expect(s.sentBytes).toBeLessThan(32 * 1024 * 1024);
        expect(s.isOpen).toBe(true);
      } finally {
        p.kill("SIGKILL");
        await p.exited;
        closeSync(fd);
      }
      // kubectl gone: the server resets the stream and the agent ends the session.
      await waitFor(() => !h.streams.at(-1)!.isOpen, 15_000, "the exec stream to end");
    });

    test("exec errors: unknown container, completed pod, no stream requested", async () => {
      const r = await h.kubectl(["exec", "web", "-c", "nope", "--", "true"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("container nope is not valid for pod web");
      const noStreams = await api(h.server, "POST", "/api/v1/namespaces/default/pods/web/exec?command=true&container=main", undefined, { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" });
      expect(noStreams.status).toBe(400);
      expect((await noStreams.json()).message).toBe("you must specify at least 1 of stdin, stdout, stderr");
    });

    // ---------------------------------------------------------------- cp

    test("kubectl cp both ways", async () => {
      const local = join(tmp, "up.txt");
      const body = "payload ".repeat(10000);
      writeFileSync(local, body);
      const up = await h.kubectl(["cp", local, "web:/tmp/up.txt", "-c", "main"]);
      expect(up.code).toBe(0);
      const check = await h.kubectl(["exec", "web", "-c", "main", "--", "wc", "-c", "/tmp/up.txt"]);
      expect(check.stdout.trim()).toStartWith(String(body.length));
      const down = await h.kubectl(["cp", "web:/www/index.html", join(tmp, "down.html"), "-c", "main"]);
      expect(down.code).toBe(0);
      expect(readFileSync(join(tmp, "down.html"), "utf8")).toBe("hello from the pod\n");
    });

    // ---------------------------------------------------------------- attach

    test("kubectl attach shows the container's output", async () => {
      const p = h.spawnKubectl(["attach", "web", "-c", "main"]);
      try {
        await readUntil(p.stdout, /tick\n[^]*tick\n/, 15_000);
      } finally {
        p.kill();
        await p.exited;
      }
    });

    test("kubectl attach -i sends stdin to the container", async () => {
      const pod = await h.pod("talk", [{ name: "c", stdin: true, command: ["sh", "-c", "while read x; do echo got:$x; done"] }]);
      const p = h.spawnKubectl(["attach", "-i", pod.name]);
      try {
        p.stdin.write("hello\n");
        p.stdin.flush();
        await readUntil(p.stdout, /got:hello/, 15_000);
      } finally {
        p.kill();
        await p.exited;
      }
    });

    // ---------------------------------------------------------------- port-forward

    const pfVersions = [["1.32", {}], ["1.33", {}], ["1.31", {}], ["1.30", { KUBECTL_PORT_FORWARD_WEBSOCKETS: "true" }]] as const;
    for (const [version, env] of opts.versions ? pfVersions : pfVersions.slice(0, 1)) {
      test.skipIf(!hasKubectl(version))(`kubectl ${version} port-forward${Object.keys(env).length ? " (WebSocket opt-in)" : ""}: curl through it to busybox httpd`, async () => {
        const port = freePort();
        const p = h.spawnKubectl(["port-forward", "pod/web", `${port}:8080`], { version, env });
        try {
          await readUntil(p.stdout, /Forwarding from 127\.0\.0\.1/, 15_000);
          for (let i = 0; i < 3; i++) {
            const c = await curl(`http://127.0.0.1:${port}/index.html`);
            expect(c.stderr).toBe("");
            expect(c.stdout).toBe("hello from the pod\n");
          }
          // A port nothing listens on: kubectl reports the agent's error, the forward stays up.
          const p2 = freePort();
          const bad = h.spawnKubectl(["port-forward", "pod/web", `${p2}:9999`], { version, env });
          try {
            await readUntil(bad.stdout, /Forwarding from/, 15_000);
            const c = await curl(`http://127.0.0.1:${p2}/`);
            expect(c.code).not.toBe(0);
            const err = await readUntil(bad.stderr, /connection refused/, 10_000);
            expect(err).toContain("error forwarding port 9999");
          } finally {
            bad.kill();
            await bad.exited;
          }
        } finally {
          p.kill();
          await p.exited;
        }
      });
    }
  });
}
