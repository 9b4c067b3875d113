import { expect, test } from "bun:test";
import { EventRecorder } from "./events.ts";
import type { KubeClient } from "./client.ts";

test("repeats fold into one Event with a count, and an object's burst of new events is capped at 100", async () => {
  const creates: unknown[] = [];
  const patches: unknown[] = [];
  const fake = {
    create: async (_r: unknown, _ns: unknown, ev: unknown) => {
      creates.push(ev);
      return ev;
    },
    patch: async (_r: unknown, _ns: unknown, _n: unknown, p: unknown) => {
      patches.push(p);
      return p;
    },
  } as unknown as KubeClient;
  const rec = new EventRecorder(fake, "test");
  const obj = { kind: "Pod", apiVersion: "v1", metadata: { name: "p", namespace: "default", uid: "u1" } };
  for (let i = 0; i < 3; i++) {
    rec.event(obj, "Normal", "Pulled", "same message");
    await Bun.sleep(5);
  }
  expect(creates.length).toBe(1);
  expect(patches.map((p) => (p as { count: number }).count)).toEqual([2, 3]);
  for (let i = 0; i < 120; i++) {
    rec.event(obj, "Normal", "Created", `message ${i}`);
    await Bun.sleep(1);
  }
  // 1 (above) + 99 more distinct events fit the burst of 100.
  expect(creates.length).toBe(100);
});
