import { expect, test } from "bun:test";
import { FakeRuntime } from "./fake-runtime.ts";
import { containerLabels, sandboxLabels } from "./names.ts";
import { RuntimeCache } from "./runtime-cache.ts";
import { RuntimeUnavailableError } from "./runtime/types.ts";

const pod = { namespace: "ns", name: "p", uid: "u1" };

async function seed(rt: FakeRuntime, node = "n1") {
  const sb = await rt.createSandbox({ name: `sb-${node}`, labels: sandboxLabels(node, pod) });
  const id = await rt.createContainer({ name: `c-${node}`, sandboxId: sb.id, image: "localhost/img:1", labels: containerLabels(node, pod, { name: "app", type: "regular", restartCount: 0, hash: "h" }) });
  await rt.startContainer(id);
  return { sb, id };
}

test("relist shows only this node's objects and reports changed pods", async () => {
  const rt = new FakeRuntime();
  await seed(rt, "n1");
  await seed(rt, "n2");
  const changed: string[] = [];
  const cache = new RuntimeCache(rt, "n1", { relistMs: 60_000, onPodChange: (u) => changed.push(u) });
  await cache.start();
  try {
    expect(cache.pod("u1").containers.length).toBe(1);
    expect(cache.pod("u1").sandboxes.length).toBe(1);
    expect(changed).toEqual(["u1"]);
    await cache.relist();
    expect(changed).toEqual(["u1"]); // nothing changed: no wake-up
  } finally {
    cache.stop();
  }
});

test("an older relist never deletes or overwrites what a worker recorded after it began", async () => {
  const rt = new FakeRuntime();
  const cache = new RuntimeCache(rt, "n1", { relistMs: 60_000, onPodChange() {} });
  await cache.start();
  try {
    const { id } = await seed(rt);
    // A relist starts (its listing happens now) ...
    const origList = rt.listContainers.bind(rt);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    rt.listContainers = async (f) => {
      const snapshot = await origList(f);
      await gate;
      return snapshot.map((c) => ({ ...c, state: "created" as const }));
    };
    const relist = cache.relist();
    await Bun.sleep(5);
    // ... meanwhile a worker records the running container it just started.
    await cache.refreshContainer(id);
    release();
    await relist;
    expect(cache.pod("u1").containers[0]!.state).toBe("running");
    // A removal recorded after a relist began is not undone by that relist.
    rt.listContainers = origList;
    const s = cache.seq();
    cache.dropContainer(id, s + 1);
    cache.putContainer((await rt.listContainers({}))[0]!, s);
    expect(cache.pod("u1").containers).toEqual([]);
  } finally {
    cache.stop();
  }
});

test("a container dying behind the agent's back wakes its pod through the event stream", async () => {
  const rt = new FakeRuntime();
  const { id } = await seed(rt);
  const changed: string[] = [];
  const cache = new RuntimeCache(rt, "n1", { relistMs: 60_000, onPodChange: (u) => changed.push(u) });
  await cache.start();
  try {
    changed.length = 0;
    rt.exit(id, 9);
    for (let i = 0; i < 100 && changed.length === 0; i++) await Bun.sleep(10);
    expect(changed).toEqual(["u1"]);
    expect(cache.pod("u1").containers[0]).toMatchObject({ state: "exited", exitCode: 9 });
  } finally {
    cache.stop();
  }
});

test("an engine that stops answering is reported, and the cache keeps its last view", async () => {
  const rt = new FakeRuntime();
  await seed(rt);
  const cache = new RuntimeCache(rt, "n1", { relistMs: 60_000, onPodChange() {} });
  await cache.start();
  try {
    rt.listContainers = async () => {
      throw new RuntimeUnavailableError("podman is not reachable");
    };
    await cache.relist();
    expect(cache.lastError?.message).toContain("not reachable");
    expect(cache.pod("u1").containers.length).toBe(1);
  } finally {
    cache.stop();
  }
});
