import { describe, expect, test } from "bun:test";
import type { Obj } from "../../../registry/types.ts";
import { podDef } from "./pod.ts";
import { memRegistry, testCtx } from "./testing.ts";

const def = podDef({ defaultUnreachableTolerationSeconds: 300 });
const lr = (limits: Obj[]) => ({ group: "", plural: "limitranges", obj: { metadata: { name: "lr", namespace: "default" }, spec: { limits } } });

async function create(containers: Obj[], ranges: Obj[]): Promise<Obj> {
  const pod: Obj = { metadata: { name: "web", namespace: "default" }, spec: { containers } };
  def.defaults!(pod);
  await def.prepareForCreate!(pod, testCtx(), memRegistry(ranges.map((l) => lr([l]))));
  return pod;
}

describe("LimitRanger admission", () => {
  test("container defaults are applied and recorded; QoS follows", async () => {
    const pod = await create([{ name: "app", image: "x" }, { name: "side", image: "y", resources: { limits: { cpu: "200m" } } }], [{ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } }]);
    expect(pod.spec.containers[0].resources).toEqual({ limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } });
    expect(pod.spec.containers[1].resources).toEqual({ limits: { cpu: "200m", memory: "256Mi" }, requests: { cpu: "200m", memory: "128Mi" } });
    expect(pod.metadata.annotations["kubernetes.io/limit-ranger"]).toBe("LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; memory request for container side; memory limit for container side");
    expect(pod.status.qosClass).toBe("Burstable");
  });

  test("min and max are enforced with 403 Forbidden", async () => {
    await expect(create([{ name: "app", image: "x", resources: { requests: { cpu: "50m" }, limits: { cpu: "2" } } }], [{ type: "Container", min: { cpu: "100m" }, max: { cpu: "1" } }])).rejects.toThrow(
      'pods "web" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, maximum cpu usage per Container is 1, but limit is 2]',
    );
    await expect(create([{ name: "a", image: "x", resources: { limits: { memory: "1Gi" } } }, { name: "b", image: "x", resources: { limits: { memory: "1Gi" } } }], [{ type: "Pod", max: { memory: "1536Mi" } }])).rejects.toThrow(
      'pods "web" is forbidden: maximum memory usage per Pod is 1536Mi, but limit is 2Gi',
    );
    const ok = await create([{ name: "a", image: "x", resources: { limits: { cpu: "1" } } }], [{ type: "Container", max: { cpu: "1" } }]);
    expect(ok.status.phase).toBe("Pending");
  });

  test("no limit ranges: nothing changes", async () => {
    const pod = await create([{ name: "a", image: "x" }], []);
    expect(pod.spec.containers[0].resources).toEqual({});
    expect(pod.metadata.annotations).toBeUndefined();
  });
});
