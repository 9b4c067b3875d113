/**
 * Server-side handlers with an in-process agent (TunnelRegistry.connectLocal): pods/log
 * end to end down to the Response body, upstream's validation wording, and the final
 * Status of exec/attach.
 */
import { describe, expect, test } from "bun:test";
import { ApiError } from "../errors.ts";
import type { Obj, OpContext, SubresourceRequest } from "../registry/types.ts";
import type { TunnelStream } from "../../tunnel/mux.ts";
import { logSubresource, parseLogOptions } from "./log.ts";
import { chooseContainer, logContainerId, runningContainerId } from "./pod-target.ts";
import { finalStatus, parseCommandOptions } from "./remotecommand.ts";
import { TunnelRegistry } from "./tunnels.ts";

function pod(over: Obj = {}): Obj {
  return {
    metadata: { name: "web", namespace: "default", uid: "uid-1", ...(over.metadata ?? {}) },
    spec: { nodeName: "n1", containers: [{ name: "a" }, { name: "b" }], ...(over.spec ?? {}) },
    status: {
      phase: "Running",
      containerStatuses: [
        { name: "a", state: { running: {} }, containerID: "podman://aaa" },
        { name: "b", state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, containerID: "podman://b0" } }, containerID: "podman://b0" },
      ],
      ...(over.status ?? {}),
    },
  };
}

const errOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error("no error");
};

function subreq(url: string, p: Obj): { req: SubresourceRequest; pods: { get: () => Promise<Obj | null> } } {
  const u = new URL(url, "https://kite.test");
  return {
    req: { request: new Request(u), method: "GET", namespace: "default", name: p.metadata.name, ctx: {} as OpContext, url: u },
    pods: { get: async () => p },
  };
}

describe("pod target", () => {
  test("container choice and upstream's messages", () => {
    const p = pod({ spec: { initContainers: [{ name: "init" }] } });
    expect(chooseContainer(p, "b")).toBe("b");
    expect(errOf(() => chooseContainer(p, null)).message).toBe("a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [init]");
    expect(errOf(() => chooseContainer(p, "zz")).message).toBe("container zz is not valid for pod web");
    expect(chooseContainer(pod({ spec: { containers: [{ name: "only" }] } }), undefined)).toBe("only");
    expect(chooseContainer(pod({ metadata: { annotations: { "kubectl.kubernetes.io/default-container": "b" } } }), null)).toBe("b");
  });

  test("log instance selection follows the kubelet", () => {
    const p = pod();
    expect(logContainerId(p, "a", false)).toBe("podman://aaa");
    expect(logContainerId(p, "b", true)).toBe("podman://b0");
    // Waiting but with a terminated previous instance: its logs (like the kubelet).
    expect(logContainerId(p, "b", false)).toBe("podman://b0");
    const e = errOf(() => logContainerId(p, "a", true));
    expect([e.code, e.message]).toEqual([400, 'previous terminated container "a" in pod "web" not found']);
    const creating = pod({ status: { phase: "Pending", containerStatuses: [{ name: "a", state: { waiting: { reason: "ContainerCreating" } } }] } });
    expect(errOf(() => logContainerId(creating, "a", false)).message).toBe('container "a" in pod "web" is waiting to start: ContainerCreating');
    expect(errOf(() => logContainerId(pod({ status: { phase: "Pending", containerStatuses: [] } }), "a", false)).message).toBe('container "a" in pod "web" is waiting to start: ContainerCreating');
    const pull = pod({ status: { containerStatuses: [{ name: "a", state: { waiting: { reason: "ImagePullBackOff" } } }] } });
    expect(errOf(() => logContainerId(pull, "a", false)).message).toBe('container "a" in pod "web" is waiting to start: trying and failing to pull image');
  });

  test("exec needs a running container in a pod that has not completed", () => {
    expect(runningContainerId(pod(), "a", "exec")).toBe("podman://aaa");
    expect(errOf(() => runningContainerId(pod(), "b", "exec")).message).toBe('unable to upgrade connection: container not found ("b")');
    expect(errOf(() => runningContainerId(pod({ status: { phase: "Succeeded" } }), "a", "exec")).message).toBe("cannot exec into a container in a completed pod; current phase is Succeeded");
    expect(errOf(() => runningContainerId(pod({ status: { phase: "Failed" } }), "a", "attach")).message).toBe("cannot attach to a container in a completed pod; current phase is Failed");
  });
});

describe("options", () => {
  test("PodLogOptions", () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(parseLogOptions(q("container=a&follow=true&tailLines=2&timestamps=1&limitBytes=10"), "web")).toEqual({
      container: "a",
      params: { follow: true, previous: false, timestamps: true, tailLines: 2, limitBytes: 10 },
    });
    const since = parseLogOptions(q("sinceSeconds=60"), "web", Date.parse("2026-01-01T00:01:00Z"));
    expect(since.params.sinceTime).toBe("2026-01-01T00:00:00.000Z");
    const inv = errOf(() => parseLogOptions(q("tailLines=-1&limitBytes=0"), "web"));
    expect([inv.code, inv.reason]).toEqual([422, "Invalid"]);
    expect(inv.message).toContain("tailLines: Invalid value: -1: must be greater than or equal to 0");
    expect(errOf(() => parseLogOptions(q("sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z"), "web")).message).toContain("at most one of `sinceTime` or `sinceSeconds` may be specified");
    expect(errOf(() => parseLogOptions(q("follow=yes"), "web")).code).toBe(400);
    expect(errOf(() => parseLogOptions(q("tailLines=abc"), "web")).code).toBe(400);
  });

  test("PodExecOptions", () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(parseCommandOptions(q("command=sh&command=-c&command=echo+hi&stdout=true&stderr=true&container=a"), "exec")).toEqual({
      container: "a",
      command: ["sh", "-c", "echo hi"],
      stdin: false,
      stdout: true,
      stderr: true,
      tty: false,
    });
    expect(errOf(() => parseCommandOptions(q("command=ls"), "exec")).message).toBe("you must specify at least 1 of stdin, stdout, stderr");
    expect(errOf(() => parseCommandOptions(q("stdout=true"), "exec")).message).toBe("you must specify at least one command for the container");
    expect(parseCommandOptions(q("stdout=true&stderr=true&tty=true&stdin=true"), "attach")).toMatchObject({ tty: true, stderr: false });
  });

  test("the final Status per protocol", () => {
    expect(finalStatus("exec", ["sh"], { exitCode: 0 }, "v5.channel.k8s.io")).toBe('{"metadata":{},"status":"Success"}');
    expect(JSON.parse(finalStatus("exec", ["sh", "-c", "exit 3"], { exitCode: 3 }, "v4.channel.k8s.io")!)).toEqual({
      metadata: {},
      status: "Failure",
      message: "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    });
    expect(finalStatus("attach", [], { exitCode: 137 }, "v5.channel.k8s.io")).toBe('{"metadata":{},"status":"Success"}');
    expect(finalStatus("exec", ["x"], { exitCode: 0 }, "channel.k8s.io")).toBeNull();
    expect(finalStatus("exec", ["x"], { exitCode: 2 }, "v3.channel.k8s.io")).toContain("exit code 2");
    expect(JSON.parse(finalStatus("exec", ["x"], { error: { code: 500, reason: "InternalError", message: "boom" } }, "v5.channel.k8s.io")!)).toMatchObject({ status: "Failure", message: "boom", code: 500 });
  });
});

describe("pods/log handler", () => {
  function setup(serve: (s: TunnelStream) => void) {
    const tunnels = new TunnelRegistry();
    const local = tunnels.connectLocal("n1", serve);
    return { tunnels, close: () => local.close() };
  }

  test("streams the agent's bytes as text/plain and passes the request through", async () => {
    let seen: TunnelStream | null = null;
    const { tunnels, close } = setup((s) => {
      seen = s;
      s.accept();
      void (async () => {
        for (const line of ["one\n", "two\n", "three\n"]) await s.write(1, new TextEncoder().encode(line));
        s.exit({ exitCode: 0 });
      })();
    });
    try {
      const { req, pods } = subreq("/api/v1/namespaces/default/pods/web/log?container=b&previous=true&tailLines=5", pod());
      const res = await logSubresource({ tunnels, pods }).handle(req);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain");
      expect(await res.text()).toBe("one\ntwo\nthree\n");
      expect(seen!.request).toEqual({ kind: "log", pod: { namespace: "default", name: "web", uid: "uid-1" }, container: "b", containerId: "podman://b0", log: { follow: false, previous: true, timestamps: false, tailLines: 5 } });
    } finally {
      close();
    }
  });

  test("the agent's refusal is the response Status", async () => {
    const { tunnels, close } = setup((s) => s.reject({ code: 404, reason: "NotFound", message: 'container not found ("a")' }));
    try {
      const { req, pods } = subreq("/log?container=a", pod());
      const err = await logSubresource({ tunnels, pods })
        .handle(req)
        .catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect([err.code, err.message]).toEqual([404, 'container not found ("a")']);
    } finally {
      close();
    }
  });

  test("a client that does not read stops the agent after one window; cancelling resets the stream", async () => {
    let written = 0;
    let reset = "";
    const { tunnels, close } = setup((s) => {
      s.accept();
      s.setHandlers({ reset: (r) => (reset = r) });
      void (async () => {
        const chunk = new Uint8Array(16 * 1024);
        try {
          for (;;) {
            await s.write(1, chunk);
            written += chunk.length;
          }
        } catch {
          /* reset */
        }
      })();
    });
    try {
      const { req, pods } = subreq("/log?container=a&follow=true", pod());
      const res = await logSubresource({ tunnels, pods }).handle(req);
      await Bun.sleep(50);
      expect(written).toBeLessThanOrEqual(256 * 1024);
      const reader = res.body!.getReader();
      let got = 0;
      while (got < 1024 * 1024) got += (await reader.read()).value!.length;
      expect(written).toBeGreaterThanOrEqual(got);
      expect(written - got).toBeLessThanOrEqual(512 * 1024);
      await reader.cancel();
      await Bun.sleep(20);
      expect(reset).toBe("the client closed the log stream");
    } finally {
      close();
    }
  });
});
