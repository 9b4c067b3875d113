import { afterEach, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KObj } from "../../client/client.ts";
import { ConfigSource } from "../config-source.ts";
import { fakeGetClient, testPod } from "../testing.ts";
import { containerMounts, removePodDir, setupVolumes } from "./manager.ts";
import { mountsUnder } from "./host.ts";
import { TokenSource } from "./tokens.ts";
import { VolumeError, type VolumeContext } from "./types.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) {
    await removePodDir(d);
    rmSync(d, { recursive: true, force: true });
  }
});

function ctx(pod: KObj, objects: Record<string, KObj>, tokenServed = false): VolumeContext {
  const podDir = mkdtempSync("/tmp/kite-vol-");
  dirs.push(podDir);
  const map = new Map(Object.entries(objects));
  const client = fakeGetClient(map, [], (method, path, body) => {
    if (method === "POST" && path.endsWith("/serviceaccounts/default/token") && tokenServed) {
      expect(body?.spec?.boundObjectRef?.uid).toBe(pod.metadata.uid);
      return new Response(JSON.stringify({ status: { token: "jwt-token", expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() } }));
    }
    return undefined;
  });
  return { pod, podDir, client, source: new ConfigSource(client, 0), tokens: new TokenSource(client), addresses: { podIPs: ["10.0.0.9"], hostIPs: ["127.0.0.1"] }, allocatable: { cpu: "2", memory: "1Gi" }, canMount: process.getuid?.() === 0 };
}

const cm = (data: Record<string, string>) => ({ "/api/v1/namespaces/ns/configmaps/cm": { data } });

test("configMap, secret, downwardAPI and projected volumes; updates swap in place", async () => {
  const hostDir = mkdtempSync("/tmp/kite-hp-");
  dirs.push(hostDir);
  const pod = testPod({
    containers: [{ name: "c", resources: { limits: { memory: "32Mi" } } }],
    volumes: [
      { name: "cfg", configMap: { name: "cm" } },
      { name: "sec", secret: { secretName: "s", items: [{ key: "pw", path: "nested/password", mode: 0o400 }] } },
      { name: "down", downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }, { path: "mem", resourceFieldRef: { containerName: "c", resource: "limits.memory", divisor: "1Mi" } }] } },
      { name: "proj", projected: { sources: [{ configMap: { name: "cm", items: [{ key: "a", path: "a.txt" }] } }, { serviceAccountToken: { path: "token", expirationSeconds: 3600 } }, { downwardAPI: { items: [{ path: "ns", fieldRef: { fieldPath: "metadata.namespace" } }] } }] } },
      { name: "scratch", emptyDir: {} },
      { name: "host", hostPath: { path: join(hostDir, "made"), type: "DirectoryOrCreate" } },
    ],
  });
  const objects: Record<string, KObj> = { ...cm({ a: "one", b: "two" }), "/api/v1/namespaces/ns/secrets/s": { data: { pw: Buffer.from("hunter2").toString("base64") } } };
  const c = ctx(pod, objects, true);
  const r = await setupVolumes(c);
  expect(r.notes).toEqual([]);
  const at = (v: string, f: string) => readFileSync(join(r.volumes.get(v)!.hostPath, f), "utf8");
  expect(at("cfg", "a")).toBe("one");
  expect(at("sec", "nested/password")).toBe("hunter2");
  expect(statSync(join(r.volumes.get("sec")!.hostPath, "nested/password")).mode & 0o777).toBe(0o400);
  expect(at("down", "labels")).toBe('app="x"');
  expect(at("down", "mem")).toBe("32");
  expect(at("proj", "a.txt")).toBe("one");
  expect(at("proj", "token")).toBe("jwt-token");
  expect(at("proj", "ns")).toBe("ns");
  expect(existsSync(join(hostDir, "made"))).toBe(true);
  expect(r.volumes.get("cfg")!.readOnly).toBe(true);
  expect(r.volumes.get("scratch")!.readOnly).toBe(false);

  // An update rewrites only what changed.
  Object.assign(objects, cm({ a: "ONE" }));
  const r2 = await setupVolumes({ ...c, source: new ConfigSource(fakeGetClient(new Map(Object.entries(objects))), 0) }, { onlyApi: true });
  expect(r2.updated.sort()).toEqual(["cfg", "proj"]);
  expect(at("cfg", "a")).toBe("ONE");
  expect(existsSync(join(r.volumes.get("cfg")!.hostPath, "b"))).toBe(false);
});

test("missing objects fail the mount unless optional; token subresource absent is a note", async () => {
  const pod = testPod({ containers: [], volumes: [{ name: "cfg", configMap: { name: "nope" } }] });
  await expect(setupVolumes(ctx(pod, {}))).rejects.toThrow(/MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found/);
  const pod2 = testPod({ containers: [], volumes: [{ name: "cfg", configMap: { name: "nope", optional: true } }, { name: "key", configMap: { name: "cm", items: [{ key: "zz", path: "z" }] } }] });
  await expect(setupVolumes(ctx(pod2, cm({ a: "1" })))).rejects.toThrow(/non-existent config key: zz/);
  const pod3 = testPod({ containers: [], volumes: [{ name: "proj", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } }] });
  const r = await setupVolumes(ctx(pod3, {}));
  expect(r.notes[0]).toMatch(/token file token left out/);
  const pod4 = testPod({ containers: [], volumes: [{ name: "hp", hostPath: { path: "/definitely/not/here", type: "Directory" } }] });
  await expect(setupVolumes(ctx(pod4, {}))).rejects.toThrow(VolumeError);
});

test("persistentVolumeClaim bound to a local PV", async () => {
  const local = mkdtempSync("/tmp/kite-pv-");
  dirs.push(local);
  const pod = testPod({ containers: [], volumes: [{ name: "data", persistentVolumeClaim: { claimName: "claim" } }, { name: "unbound", persistentVolumeClaim: { claimName: "pending" } }] });
  const objects = {
    "/api/v1/namespaces/ns/persistentvolumeclaims/claim": { spec: { volumeName: "pv1" }, status: { phase: "Bound" } },
    "/api/v1/namespaces/ns/persistentvolumeclaims/pending": { spec: {}, status: { phase: "Pending" } },
    "/api/v1/persistentvolumes/pv1": { spec: { local: { path: local }, accessModes: ["ReadWriteOnce"] } },
  };
  await expect(setupVolumes(ctx(pod, objects))).rejects.toThrow(/"pending" is not bound/);
  pod.spec.volumes.pop();
  const r = await setupVolumes(ctx(pod, objects));
  expect(r.volumes.get("data")).toEqual({ hostPath: local, readOnly: false });
});

test("container mounts: subPath, subPathExpr, readOnly, no escape", async () => {
  const pod = testPod({ containers: [], volumes: [{ name: "cfg", configMap: { name: "cm" } }, { name: "scratch", emptyDir: {} }] });
  const c = ctx(pod, cm({ a: "1" }));
  const { volumes } = await setupVolumes(c);
  const mounts = containerMounts(
    { volumeMounts: [{ name: "cfg", mountPath: "/etc/a", subPath: "a" }, { name: "scratch", mountPath: "/w", subPathExpr: "$(POD)/x" }, { name: "scratch", mountPath: "/ro", readOnly: true }] },
    volumes,
    new Map([["POD", "p"]]),
  );
  expect(mounts[0]!.readOnly).toBe(true);
  expect(readFileSync(mounts[0]!.hostPath, "utf8")).toBe("1");
  expect(lstatSync(mounts[0]!.hostPath).isSymbolicLink()).toBe(false);
  expect(mounts[1]!.hostPath.endsWith("/scratch/p/x")).toBe(true);
  expect(mounts[2]).toMatchObject({ containerPath: "/ro", readOnly: true });
  expect(() => containerMounts({ volumeMounts: [{ name: "scratch", mountPath: "/x", subPath: "../../etc" }] }, volumes, new Map())).toThrow(VolumeError);
  writeFileSync(join(volumes.get("scratch")!.hostPath, "..", "outside"), "x");
  const { symlinkSync } = await import("node:fs");
  symlinkSync("/etc", join(volumes.get("scratch")!.hostPath, "evil"));
  expect(() => containerMounts({ volumeMounts: [{ name: "scratch", mountPath: "/x", subPath: "evil" }] }, volumes, new Map())).toThrow(/outside the volume/);
});

test.if(process.getuid?.() === 0)("Memory emptyDir is a tmpfs, unmounted when the pod dir goes", async () => {
  const pod = testPod({ containers: [], volumes: [{ name: "mem", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }] });
  const c = ctx(pod, {});
  const { volumes } = await setupVolumes(c);
  expect(mountsUnder(c.podDir)).toEqual([volumes.get("mem")!.hostPath]);
  await setupVolumes(c); // idempotent: no second mount
  expect(mountsUnder(c.podDir).length).toBe(1);
  await removePodDir(c.podDir);
  expect(mountsUnder(c.podDir)).toEqual([]);
  expect(existsSync(c.podDir)).toBe(false);
});
