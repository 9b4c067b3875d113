/**
 * The whole path with the REAL kubelet: `kite server` with its built-in agent (which dials
 * the server's tunnel endpoint like `kite agent` does) runs a pod on podman and on docker;
 * kubectl logs -f, exec (exit code), cp and port-forward go through the tunnel to it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRuntime } from "../../src/agent/runtime/detect.ts";
import { type ContainerRuntime, LABELS } from "../../src/agent/runtime/types.ts";
import { podmanTestEnv, startDockerd } from "../lib/container-env.ts";
import { freePort, type KiteServer, startServer } from "../lib/kite.ts";
import { curl, readUntil } from "./harness.ts";
import { ensureStreamingImage, STREAMING_IMAGE } from "./image.ts";

setDefaultTimeout(180_000);

const MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: main
    image: ${STREAMING_IMAGE}
    imagePullPolicy: Never
    command: ["sh", "-c", "echo started; httpd -p 8080 -h /www; i=0; while true; i=$((i+1)); do echo tick $i; sleep 0.3; done"]
`;

for (const engine of ["podman", "docker"] as const) {
  describe(`built-in agent on ${engine}`, () => {
    let server: KiteServer | null = null;
    let rt: ContainerRuntime | null = null;
    let cleanupEngine: () => Promise<void> | void = () => {};
    let tmp = "";
    const nodeOf = () => `node-${server!.port}`;

    beforeAll(async () => {
      process.env.KITE_TEST_SOURCE ??= "1";
      tmp = mkdtempSync("/tmp/kite-stream-builtin-");
      let env: Record<string, string>;
      if (engine === "podman") {
        const p = podmanTestEnv();
        env = p.env;
        cleanupEngine = () => p.cleanup();
      } else {
        const d = await startDockerd();
        env = d.env;
        cleanupEngine = () => d.stop();
      }
      rt = createRuntime(engine, { env });
      await ensureStreamingImage(engine, env);
      server = await startServer({ withAgent: true, env, args: ["--container-runtime", engine] });
      writeFileSync(join(tmp, "pod.yaml"), MANIFEST);
      const apply = await server.kubectl(["apply", "-f", join(tmp, "pod.yaml")]);
      expect(apply.code).toBe(0);
      const wait = await server.kubectl(["wait", "--for=condition=Ready", "pod/web", "--timeout=120s"], { timeoutMs: 130_000 });
      if (wait.code !== 0) throw new Error(`pod not ready: ${wait.stderr}\n${server.log().slice(-3000)}`);
    });

    afterAll(async () => {
      const node = server ? nodeOf() : "";
      await server?.stop();
      if (rt && node) {
        for (const s of await rt.listSandboxes({ [LABELS.nodeName]: node }).catch(() => [])) await rt.removeSandbox(s.id).catch(() => {});
        for (const c of await rt.listContainers({ [LABELS.nodeName]: node }).catch(() => [])) await rt.removeContainer(c.id).catch(() => {});
      }
      await cleanupEngine();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    test("kubectl logs -f streams", async () => {
      const p = Bun.spawn(["kubectl", "--kubeconfig", server!.kubeconfig, "logs", "-f", "web"], { stdout: "pipe", stderr: "pipe" });
      try {
        const out = await readUntil(p.stdout, /tick 3\n[^]*tick 5\n/, 30_000);
        expect(out).toStartWith("started\n");
      } finally {
        p.kill();
        await p.exited;
      }
    });

    test("kubectl exec returns the command's exit code; stdin and cp work", async () => {
      const r = await server!.kubectl(["exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
      expect(r.code).toBe(7);
      expect(r.stdout).toBe("out\n");
      expect(r.stderr).toContain("err\n");
      expect(r.stderr).toContain("command terminated with exit code 7");
      const cat = await server!.kubectl(["exec", "-i", "web", "--", "cat"], { stdin: "piped\n" });
      expect(cat).toMatchObject({ code: 0, stdout: "piped\n" });
      writeFileSync(join(tmp, "f.txt"), "copied in\n");
      expect((await server!.kubectl(["cp", join(tmp, "f.txt"), "web:/tmp/f.txt"])).code).toBe(0);
      expect((await server!.kubectl(["cp", "web:/tmp/f.txt", join(tmp, "back.txt")])).code).toBe(0);
      expect(readFileSync(join(tmp, "back.txt"), "utf8")).toBe("copied in\n");
    });

    test("kubectl port-forward reaches the pod's httpd", async () => {
      const port = freePort();
      const p = Bun.spawn(["kubectl", "--kubeconfig", server!.kubeconfig, "port-forward", "pod/web", `${port}:8080`], { stdout: "pipe", stderr: "pipe" });
      try {
        await readUntil(p.stdout, /Forwarding from 127\.0\.0\.1/, 20_000);
        const c = await curl(`http://127.0.0.1:${port}/index.html`);
        expect(c).toMatchObject({ code: 0, stdout: "hello from the pod\n" });
      } finally {
        p.kill();
        await p.exited;
      }
    });
  });
}
