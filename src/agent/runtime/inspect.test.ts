import { describe, expect, test } from "bun:test";
import { hasLabels, mapState, parseContainer, parseEvent, parseTime } from "./inspect.ts";
import { LABELS, terminationReason } from "./types.ts";

// Trimmed from real `podman container inspect` (4.3.1) and `docker container inspect` (20.10) output.
const podmanExited = {
  Id: "94903a511672155f15680ff69ff78ccdb02cefc7d8ecbe248486533bf2586584",
  Created: "2026-11-27T20:06:42.439137475Z",
  State: {
    Status: "exited",
    OOMKilled: false,
    Pid: 0,
    ExitCode: 3,
    Error: "",
    StartedAt: "2026-11-27T20:06:43.222781808Z",
    FinishedAt: "2026-11-27T20:06:43.219953649Z",
  },
  Image: "5faa81b88274867ecf18f0fdf5318a79fd8530a3dbe3c875da78d83d2eac41ad",
  ImageName: "localhost/kite-test/busybox:1",
  Name: "rtx-fx",
  Pod: "39a5e8e820eed0168196993bd29cac0b003fc84f826edadf1011f5799f06097d",
  Config: { Labels: { a: "b" }, Image: "localhost/kite-test/busybox:1" },
};

const dockerOom = {
  Id: "a09b1abb172a54479bab2cc6ef9d7c01b2cee7bbc460230a720f64411ab13f9b",
  Created: "2026-11-27T19:48:34.50Z",
  Name: "/oom",
  State: {
    Status: "exited",
    Running: false,
    OOMKilled: true,
    Pid: 0,
    ExitCode: 137,
    Error: "",
    StartedAt: "2026-11-27T19:48:34.704915866Z",
    FinishedAt: "2026-11-27T19:48:35.894337223Z",
  },
  Image: "sha256:69e4dcab36c660b9c82b12bda267bfe3c05ec0fe356d480b1fd5aa7729cc0d69",
  Config: {
    Image: "localhost/kite-test/busybox:1",
    Labels: { [LABELS.sandboxId]: "85a0fab40906", [LABELS.kind]: "container" },
  },
};

describe("parseContainer", () => {
  test("podman: image name and id, pod as sandbox, finish clamped to start", () => {
    const c = parseContainer(podmanExited);
    expect(c).toMatchObject({
      id: podmanExited.Id,
      name: "rtx-fx",
      state: "exited",
      exitCode: 3,
      oomKilled: false,
      image: "localhost/kite-test/busybox:1",
      imageId: `sha256:${podmanExited.Image}`,
      sandboxId: podmanExited.Pod,
      labels: { a: "b" },
    });
    expect(c.startedAt!.toISOString()).toBe("2026-11-27T20:06:43.222Z");
    // podman stamped the exit 3 ms before the start; we never report finish < start.
    expect(c.finishedAt!.getTime()).toBe(c.startedAt!.getTime());
    expect(terminationReason(c)).toBe("Error");
  });

  test("docker: leading slash dropped, sandbox from label, OOMKilled", () => {
    const c = parseContainer(dockerOom);
    expect(c).toMatchObject({ name: "oom", exitCode: 137, oomKilled: true, sandboxId: "85a0fab40906" });
    expect(c.imageId).toBe(dockerOom.Image);
    expect(c.finishedAt!.toISOString()).toBe("2026-11-27T19:48:35.894Z");
    expect(terminationReason(c)).toBe("OOMKilled");
  });

  test("running and created containers have no exit code or finish time", () => {
    const running = parseContainer({ ...dockerOom, State: { ...dockerOom.State, Status: "running", Pid: 42, ExitCode: 0 } });
    expect(running).toMatchObject({ state: "running", exitCode: null, finishedAt: null, pid: 42 });
    const created = parseContainer({
      ...podmanExited,
      State: { Status: "created", StartedAt: "0001-01-01T00:00:00Z", FinishedAt: "0001-01-01T00:00:00Z", Error: "" },
    });
    expect(created).toMatchObject({ state: "created", exitCode: null, startedAt: null, finishedAt: null });
  });

  test("a failed start with an error is a StartError", () => {
    const c = parseContainer({
      ...dockerOom,
      State: { Status: "created", OOMKilled: false, ExitCode: 128, Error: "exec: \"x\": not found", StartedAt: "0001-01-01T00:00:00Z" },
    });
    expect(terminationReason(c)).toBe("StartError");
  });

  test("garbage is tolerated", () => {
    const c = parseContainer(null);
    expect(c).toMatchObject({ id: "", state: "unknown", labels: {}, startedAt: null });
  });
});

test("mapState covers both engines' words", () => {
  expect(["created", "configured", "running", "paused", "stopped", "exited", "dead", "removing"].map(mapState)).toEqual([
    "created", "created", "running", "running", "exited", "exited", "exited", "unknown",
  ]);
});

test("parseTime: zero time and garbage are null, nanoseconds truncated", () => {
  expect(parseTime("0001-01-01T00:00:00Z")).toBeNull();
  expect(parseTime("nonsense")).toBeNull();
  expect(parseTime(17)).toBeNull();
  expect(parseTime("2026-01-02T03:04:05.999999999Z")!.toISOString()).toBe("2026-01-02T03:04:05.999Z");
});

test("hasLabels needs every pair", () => {
  expect(hasLabels({ a: "1", b: "2" }, { a: "1" })).toBe(true);
  expect(hasLabels({ a: "1" }, { a: "1", b: "2" })).toBe(false);
  expect(hasLabels({ a: "1" }, { a: "2" })).toBe(false);
  expect(hasLabels({}, {})).toBe(true);
});

describe("parseEvent", () => {
  test("podman died event", () => {
    const ev = parseEvent(
      '{"ContainerExitCode":3,"ID":"2ca6","Image":"localhost/kite-test/busybox:1","Name":"rtxev","Status":"died","Time":"2026-11-27T19:50:38.201206491Z","Type":"container","Attributes":{"rtxev":"1"}}',
    );
    expect(ev).toEqual({
      action: "die",
      rawAction: "died",
      id: "2ca6",
      name: "rtxev",
      labels: { rtxev: "1" },
      time: new Date("2026-11-27T19:50:38.201Z"),
      exitCode: 3,
    });
  });

  test("docker die event: labels without name/image/exitCode", () => {
    const ev = parseEvent(
      JSON.stringify({
        status: "die",
        id: "abc",
        Type: "container",
        Action: "die",
        Actor: { ID: "abc", Attributes: { exitCode: "4", image: "x", name: "c1", "io.kite.test-run": "r" } },
        time: 1795809000,
        timeNano: 1795809000123456789,
      }),
    );
    expect(ev).toMatchObject({ action: "die", id: "abc", name: "c1", labels: { "io.kite.test-run": "r" }, exitCode: 4 });
    expect(ev!.time.getTime()).toBeCloseTo(1795809000123, -1);
  });

  test("non-container events and junk are skipped", () => {
    expect(parseEvent('{"Type":"image","Status":"pull"}')).toBeNull();
    expect(parseEvent("not json")).toBeNull();
    expect(parseEvent('{"Type":"container","Status":"exec_died","ID":"x"}')!.action).toBe("other");
  });
});
