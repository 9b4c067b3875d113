import { expect, test } from "bun:test";
import { Backoff } from "./backoff.ts";
import { ImageManager } from "./images.ts";
import { type ContainerRuntime, ImagePullError } from "./runtime/types.ts";

function fakeRuntime(have: Set<string>, pullable: Set<string>, calls: string[]) {
  return {
    async imageExists(ref: string) {
      calls.push(`exists ${ref}`);
      return have.has(ref);
    },
    async pullImage(ref: string) {
      calls.push(`pull ${ref}`);
      if (!pullable.has(ref)) throw new ImagePullError(ref, "manifest unknown");
      have.add(ref);
    },
  } as unknown as ContainerRuntime;
}

test("IfNotPresent: present image is remembered; missing image is pulled once", async () => {
  const calls: string[] = [];
  const events: string[] = [];
  const ev = (_t: string, r: string, m: string) => events.push(`${r}: ${m}`);
  const m = new ImageManager(fakeRuntime(new Set(["localhost/a:1"]), new Set(["docker.io/library/b:2"]), calls), new Backoff());
  expect(await m.ensure("u", { image: "localhost/a:1" }, "IfNotPresent", ev)).toBeNull();
  expect(await m.ensure("u", { image: "localhost/a:1" }, "IfNotPresent", ev)).toBeNull();
  expect(calls).toEqual(["exists localhost/a:1"]);
  expect(await m.ensure("u", { image: "b:2" }, "IfNotPresent", ev)).toBeNull();
  expect(calls.slice(1)).toEqual(["exists docker.io/library/b:2", "pull docker.io/library/b:2"]);
  expect(events[0]).toBe('Pulled: Container image "localhost/a:1" already present on machine');
  expect(events.some((e) => /^Pulling: Pulling image "b:2"$/.test(e))).toBe(true);
  expect(events.some((e) => /^Pulled: Successfully pulled image "b:2" in \d+\.\d{3}s$/.test(e))).toBe(true);
});

test("failed pull: ErrImagePull, then ImagePullBackOff until the back-off ends", async () => {
  let now = 0;
  const calls: string[] = [];
  const events: string[] = [];
  const m = new ImageManager(fakeRuntime(new Set(), new Set(), calls), new Backoff({ now: () => now }), 60_000, () => now);
  const ev = (_t: string, r: string) => events.push(r);
  expect(await m.ensure("u", { image: "nope:1" }, "IfNotPresent", ev)).toEqual({ reason: "ErrImagePull", message: "pull of docker.io/library/nope:1 failed: manifest unknown" });
  expect((await m.ensure("u", { image: "nope:1" }, "IfNotPresent", ev))?.reason).toBe("ImagePullBackOff");
  expect(m.retryAt("u", "nope:1")).toBe(10_000);
  now = 10_000;
  expect((await m.ensure("u", { image: "nope:1" }, "IfNotPresent", ev))?.reason).toBe("ErrImagePull");
  expect(m.retryAt("u", "nope:1")).toBe(30_000);
  expect(calls.filter((c) => c.startsWith("pull")).length).toBe(2);
  expect(events).toContain("BackOff");
});

test("Never: ErrImageNeverPull; invalid names: InvalidImageName", async () => {
  const m = new ImageManager(fakeRuntime(new Set(), new Set(), []), new Backoff());
  const w = await m.ensure("u", { image: "x:1" }, "Never", () => {});
  expect(w).toEqual({ reason: "ErrImageNeverPull", message: 'Container image "x:1" is not present with pull policy of Never' });
  expect((await m.ensure("u", { image: "Bad Image" }, "IfNotPresent", () => {}))?.reason).toBe("InvalidImageName");
});
