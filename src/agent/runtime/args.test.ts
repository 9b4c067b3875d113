import { describe, expect, test } from "bun:test";
import { containerArgs, portArg, sandboxNetArgs } from "./args.ts";
import { type ContainerSpec, InvalidSpecError, LABELS } from "./types.ts";

const base: ContainerSpec = { name: "c1", sandboxId: "sb", image: "busybox", labels: { a: "1" } };

describe("containerArgs", () => {
  test("command → --entrypoint plus positional rest; args after it", () => {
    const a = containerArgs({ ...base, command: ["sh", "-c"], args: ["echo hi", "x"] }, 0);
    expect(a.image).toBe("docker.io/library/busybox:latest");
    expect(a.flags).toContain("--entrypoint");
    expect(a.flags[a.flags.indexOf("--entrypoint") + 1]).toBe("sh");
    expect(a.cmd).toEqual(["-c", "echo hi", "x"]);
  });

  test("args only keep the image ENTRYPOINT", () => {
    const a = containerArgs({ ...base, args: ["true"] }, 0);
    expect(a.flags).not.toContain("--entrypoint");
    expect(a.cmd).toEqual(["true"]);
  });

  test("env, workdir, mounts, security, resources, stdin/tty, log cap", () => {
    const { flags } = containerArgs(
      {
        ...base,
        env: [{ name: "A", value: "x=y z" }],
        workingDir: "/w",
        mounts: [
          { hostPath: "/h", containerPath: "/c", readOnly: true },
          { hostPath: "/h2", containerPath: "/c2" },
        ],
        securityContext: {
          runAsUser: 1000,
          runAsGroup: 2000,
          supplementalGroups: [3000],
          privileged: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
        },
        resources: { cpuLimit: 0.5, cpuRequest: 0.25, memoryLimitBytes: 64 * 1024 * 1024 },
        stdin: true,
        tty: true,
      },
      1024,
    );
    const pairs = (flag: string) => flags.flatMap((f, i) => (f === flag ? [flags[i + 1]] : []));
    expect(pairs("--env")).toEqual(["A=x=y z"]);
    expect(pairs("--workdir")).toEqual(["/w"]);
    expect(pairs("--volume")).toEqual(["/h:/c:ro", "/h2:/c2"]);
    expect(pairs("--user")).toEqual(["1000:2000"]);
    expect(pairs("--group-add")).toEqual(["3000"]);
    expect(pairs("--cap-drop")).toEqual(["ALL"]);
    expect(pairs("--cap-add")).toEqual(["NET_ADMIN"]);
    expect(pairs("--security-opt")).toEqual(["no-new-privileges"]);
    expect(pairs("--cpus")).toEqual(["0.5"]);
    expect(pairs("--cpu-shares")).toEqual(["256"]);
    expect(pairs("--memory")).toEqual(["67108864b"]);
    expect(pairs("--memory-swap")).toEqual(["67108864b"]);
    expect(pairs("--log-opt")).toEqual(["max-size=1024b"]);
    for (const f of ["--privileged", "--read-only", "--interactive", "--tty"]) expect(flags).toContain(f);
    expect(pairs("--label")).toEqual(["a=1"]);
  });

  test("runAsGroup alone keeps the image user", () => {
    const { flags } = containerArgs({ ...base, securityContext: { runAsGroup: 5 } }, 0);
    expect(flags[flags.indexOf("--user") + 1]).toBe(":5");
  });

  test.each<[string, Partial<ContainerSpec>]>([
    ["short name", { name: "x" }],
    ["name with slash", { name: "a/b" }],
    ["relative workingDir", { workingDir: "w" }],
    ["mount with colon", { mounts: [{ hostPath: "/a:b", containerPath: "/c" }] }],
    ["relative mount", { mounts: [{ hostPath: "a", containerPath: "/c" }] }],
    ["env name with =", { env: [{ name: "A=B", value: "" }] }],
    ["negative uid", { securityContext: { runAsUser: -1 } }],
    ["bad capability", { securityContext: { capabilities: { add: ["net admin"] } } }],
    ["tiny memory", { resources: { memoryLimitBytes: 1024 } }],
    ["zero cpu", { resources: { cpuLimit: 0 } }],
    ["reserved label", { labels: { [LABELS.kind]: "sandbox" } }],
    ["bad image", { image: "UPPER" }],
    ["no sandbox", { sandboxId: "" }],
  ])("rejects %s", (_what, over) => {
    expect(() => containerArgs({ ...base, ...over }, 0)).toThrow(InvalidSpecError);
  });
});

describe("sandbox args", () => {
  test("ports with host IPs and protocols", () => {
    expect(portArg({ containerPort: 80, hostPort: 8080 })).toBe("8080:80/tcp");
    expect(portArg({ containerPort: 53, hostPort: 5353, hostIP: "127.0.0.1", protocol: "UDP" })).toBe("127.0.0.1:5353:53/udp");
    expect(portArg({ containerPort: 80, hostPort: 80, hostIP: "::1" })).toBe("[::1]:80:80/tcp");
    expect(() => portArg({ containerPort: 0, hostPort: 1 })).toThrow(InvalidSpecError);
    expect(() => portArg({ containerPort: 1, hostPort: 1, hostIP: "localhost" })).toThrow(InvalidSpecError);
  });

  test("hostname, dns, host aliases; host network drops hostname and ports", () => {
    const a = sandboxNetArgs({
      name: "sb1",
      labels: {},
      hostname: "pod-1",
      ports: [{ containerPort: 80, hostPort: 81 }],
      dns: { servers: ["10.0.0.10"], searches: ["svc.local"], options: ["ndots:5"] },
      hostAliases: [{ ip: "10.1.1.1", hostnames: ["foo", "bar"] }],
    });
    expect(a).toEqual([
      "--hostname", "pod-1", "-p", "81:80/tcp", "--dns", "10.0.0.10", "--dns-search", "svc.local",
      "--dns-option", "ndots:5", "--add-host", "foo:10.1.1.1", "--add-host", "bar:10.1.1.1",
    ]);
    const h = sandboxNetArgs({ name: "sb2", labels: {}, hostNetwork: true, hostname: "x", ports: [{ containerPort: 1, hostPort: 1 }] });
    expect(h).toEqual(["--network", "host"]);
    expect(() => sandboxNetArgs({ name: "sb3", labels: {}, hostname: "bad_host!" })).toThrow(InvalidSpecError);
  });
});
