import { describe, expect, test } from "bun:test";
import { Cli, engineMessage, isAlreadyExists, isNotFound, isUnavailable } from "./cli.ts";
import { RuntimeError, RuntimeTimeoutError, RuntimeUnavailableError } from "./types.ts";

describe("Cli with real processes", () => {
  const sh = new Cli("test", "/bin/sh", { KITE_CLI_TEST: "from-env" }, 5000);

  test("captures stdout, stderr, exit code, env and stdin", async () => {
    const r = await sh.run(["-c", 'echo "$KITE_CLI_TEST"; cat; echo err >&2; exit 3'], { stdin: new TextEncoder().encode("piped\n") });
    expect(r).toEqual({ exitCode: 3, stdout: "from-env\npiped\n", stderr: "err\n" });
  });

  test("ok() throws a RuntimeError carrying stderr", async () => {
    const e = await sh.ok(["-c", "echo 'Error: boom' >&2; exit 2"]).catch((x) => x);
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e.message).toContain("boom");
    expect(e.details.exitCode).toBe(2);
  });

  test("a hung CLI is killed at the time limit, even if a grandchild holds its pipes", async () => {
    const t0 = performance.now();
    // The background `sleep 2` keeps stdout open after the CLI dies, and ends by itself.
    const e = await sh.run(["-c", "sleep 2 & exec sleep 30"], { timeoutMs: 200 }).catch((x) => x);
    expect(e).toBeInstanceOf(RuntimeTimeoutError);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  test("a missing binary is RuntimeUnavailableError", async () => {
    const missing = new Cli("test", "/nonexistent/kite-cli");
    await expect(missing.run(["x"])).rejects.toBeInstanceOf(RuntimeUnavailableError);
    expect(() => missing.spawn(["x"])).toThrow(RuntimeUnavailableError);
  });

  test("an unreachable docker daemon is RuntimeUnavailableError", async () => {
    const e = await sh.run(["-c", "echo 'Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?' >&2; exit 1"]).catch((x) => x);
    expect(e).toBeInstanceOf(RuntimeUnavailableError);
  });
});

describe("message classifiers (real engine messages)", () => {
  test.each([
    ['Error: no container with name or ID "nope" found: no such container', "container", true],
    ["Error: No such container: nope", "container", true],
    ["Error: No such object: nope", "container", true],
    ["Error: no pod with name or ID nope found: no such pod", "sandbox", true],
    ["Error: inspecting object: localhost/nope:1: image not known", "image", true],
    ["Error: No such image: localhost/nope:1", "image", true],
    // An OCI error about the command is not a missing container.
    ['Error: runc create failed: exec: "/x": stat /x: no such file or directory: OCI runtime attempted to invoke a command that was not found', "container", false],
    ["Error: No such image: x", "container", false],
  ] as const)("%s → %s %p", (msg, kind, want) => {
    expect(isNotFound(msg, kind)).toBe(want);
  });

  test("already exists / unavailable", () => {
    expect(isAlreadyExists('Error: creating container storage: the container name "x" is already in use by abc')).toBe(true);
    expect(isAlreadyExists('docker: Error response from daemon: Conflict. The container name "/x" is already in use')).toBe(true);
    expect(isUnavailable("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")).toBe(true);
    expect(isUnavailable("Error: No such container: x")).toBe(false);
  });

  test("engineMessage strips CLI decoration and warnings", () => {
    expect(engineMessage('time="2026" level=warning msg="x"\nError: initializing source docker://localhost/x:1: pinging\n')).toBe(
      "initializing source docker://localhost/x:1: pinging",
    );
    expect(engineMessage("Error response from daemon: Get \"https://localhost/v2/\": dial tcp: connection refused")).toBe(
      'Get "https://localhost/v2/": dial tcp: connection refused',
    );
    expect(engineMessage("")).toBe("(no message)");
  });
});
