import { expect, test } from "bun:test";
import { FakeRuntime } from "./fake-runtime.ts";
import { cacheLocator } from "./locator.ts";
import { containerLabels, sandboxLabels } from "./names.ts";
import { RuntimeCache } from "./runtime-cache.ts";
import { runtimeLocator } from "./streaming/locator.ts";

test("containers and pod IPs come from the cache; unknown ones from the engine; other nodes never", async () => {
  const rt = new FakeRuntime();
  const pod = { namespace: "ns", name: "p", uid: "uid-1" };
  const sb = await rt.createSandbox({ name: "sb", labels: sandboxLabels("n1", pod) });
  const ids: string[] = [];
  for (const rc of [0, 1]) {
    const id = await rt.createContainer({ name: `c${rc}`, sandboxId: sb.id, image: "localhost/img:1", labels: containerLabels("n1", pod, { name: "app", type: "regular", restartCount: rc, hash: "h" }) });
    ids.push(id);
  }
  await rt.createSandbox({ name: "sb2", labels: sandboxLabels("n2", { ...pod, uid: "uid-2" }) });
  const cache = new RuntimeCache(rt, "n1", { relistMs: 60_000, onPodChange() {} });
  await cache.start();
  try {
    const loc = cacheLocator(cache, "n1", runtimeLocator(rt, "n1"));
    rt.calls.length = 0;
    const got = await loc.container(pod, "app");
    expect(got.current?.id).toBe(ids[1]);
    expect(got.previous?.id).toBe(ids[0]);
    expect(await loc.podIP(pod)).toBe("10.88.0.2");
    expect((await loc.containerById(pod, `podman://${ids[0]}`))?.id).toBe(ids[0]);
    expect(rt.calls).toEqual([]);
    // Created after the last relist: found through the engine.
    const late = await rt.createContainer({ name: "late", sandboxId: sb.id, image: "localhost/img:1", labels: containerLabels("n1", pod, { name: "side", type: "regular", restartCount: 0, hash: "h" }) });
    expect((await loc.container(pod, "side")).current?.id).toBe(late);
    // The other node's pod of the same name is invisible.
    expect(await loc.podIP({ ...pod, uid: "uid-2" })).toBeNull();
  } finally {
    cache.stop();
  }
});
