/**
 * @module agent/volumes/manager
 * A pod's volumes on this node: sets each one up under the pod's directory (or points
 * at a host path), re-renders the API-backed ones when their source changed (atomic
 * swap), turns a container's volumeMounts into engine bind mounts (subPath,
 * subPathExpr, readOnly), and removes the pod's directory (unmounting tmpfs first).
 */
import { existsSync, mkdirSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { KObj } from "../../client/client.ts";
import { expandVars } from "../env.ts";
import type { Mount } from "../runtime/types.ts";
import { configMapPayload, downwardAPIPayload, projectedPayload, secretPayload } from "./api-data.ts";
import { type Payload, PayloadPathError, writeAtomic } from "./atomic-writer.ts";
import { emptyDir, hostPath, mountsUnder, persistentVolumeClaim } from "./host.ts";
import { type MountedVolume, VolumeError, type VolumeContext } from "./types.ts";

export interface VolumeSetup {
  volumes: Map<string, MountedVolume>;
  /** Names of volumes whose content was (re)written by this call. */
  updated: string[];
  /** Notes for events (e.g. token files left out). */
  notes: string[];
}

const API_KINDS = ["configMap", "secret", "downwardAPI", "projected"] as const;

function apiDir(ctx: VolumeContext, kind: string, name: string): string {
  return join(ctx.podDir, "volumes", kind.toLowerCase(), name);
}

function write(vol: KObj, dir: string, payload: Payload): boolean {
  try {
    return writeAtomic(dir, payload);
  } catch (e) {
    if (e instanceof PayloadPathError) throw new VolumeError(vol.name, e.message);
    throw new VolumeError(vol.name, `writing files: ${(e as Error).message}`);
  }
}

/** Whether a volume's files come from the API (and so may change while the pod runs). */
export function isApiVolume(vol: KObj): boolean {
  return API_KINDS.some((k) => vol[k] !== undefined && vol[k] !== null);
}

/**
 * Sets up (or refreshes) the pod's volumes. `only` limits the pass to API-backed
 * volumes (the periodic refresh). Throws VolumeError for the first volume that fails.
 */
export async function setupVolumes(ctx: VolumeContext, opts: { onlyApi?: boolean } = {}): Promise<VolumeSetup> {
  const volumes = new Map<string, MountedVolume>();
  const updated: string[] = [];
  const notes: string[] = [];
  mkdirSync(join(ctx.podDir, "volumes"), { recursive: true, mode: 0o750 });
  for (const vol of (ctx.pod.spec.volumes ?? []) as KObj[]) {
    if (opts.onlyApi && !isApiVolume(vol)) continue;
    if (vol.emptyDir !== undefined && vol.emptyDir !== null) volumes.set(vol.name, await emptyDir(vol, ctx));
    else if (vol.hostPath) volumes.set(vol.name, hostPath(vol));
    else if (vol.persistentVolumeClaim) volumes.set(vol.name, await persistentVolumeClaim(vol, ctx));
    else if (vol.configMap || vol.secret || vol.downwardAPI || vol.projected) {
      const kind = API_KINDS.find((k) => vol[k])!;
      const dir = apiDir(ctx, kind, vol.name);
      let payload: Payload;
      if (kind === "configMap") payload = await configMapPayload(vol, ctx);
      else if (kind === "secret") payload = await secretPayload(vol, ctx);
      else if (kind === "downwardAPI") payload = downwardAPIPayload(vol, ctx);
      else {
        const r = await projectedPayload(vol, ctx);
        payload = r.payload;
        for (const p of r.missingTokens) notes.push(`volume ${vol.name}: token file ${p} left out (the server does not serve serviceaccounts/token)`);
      }
      if (write(vol, dir, payload)) updated.push(vol.name);
      volumes.set(vol.name, { hostPath: dir, readOnly: true });
    } else {
      const kind = Object.keys(vol).find((k) => k !== "name") ?? "unknown";
      throw new VolumeError(vol.name, `volume type ${kind} is not supported by kite`);
    }
  }
  return { volumes, updated, notes };
}

function inside(base: string, p: string): boolean {
  return p === base || p.startsWith(base.endsWith("/") ? base : `${base}/`);
}

/** Engine mounts of one container's volumeMounts; `env` expands subPathExpr. */
export function containerMounts(container: KObj, volumes: Map<string, MountedVolume>, env: ReadonlyMap<string, string>): Mount[] {
  const out: Mount[] = [];
  for (const vm of (container.volumeMounts ?? []) as KObj[]) {
    const v = volumes.get(vm.name);
    if (!v) throw new VolumeError(vm.name, `volume ${JSON.stringify(vm.name)} is not set up`);
    let host = v.hostPath;
    const sub: string = vm.subPathExpr ? expandVars(vm.subPathExpr, env) : (vm.subPath ?? "");
    if (sub) {
      if (sub.startsWith("/") || sub.split("/").includes("..")) throw new VolumeError(vm.name, `invalid subPath ${JSON.stringify(sub)}`);
      const candidate = join(host, sub);
      if (!existsSync(candidate)) {
        if (v.readOnly) throw new VolumeError(vm.name, `subPath ${JSON.stringify(sub)} does not exist in the volume`);
        mkdirSync(candidate, { recursive: true, mode: 0o755 });
      }
      // Resolve symlinks (configMap entries are links through ..data) and stay inside the volume.
      const real = realpathSync(candidate);
      if (!inside(realpathSync(host), real)) throw new VolumeError(vm.name, `subPath ${JSON.stringify(sub)} points outside the volume`);
      host = real;
    }
    out.push({ hostPath: host, containerPath: vm.mountPath, readOnly: v.readOnly || vm.readOnly === true });
  }
  return out;
}

/** Removes the pod's directory, unmounting anything mounted under it first. */
export async function removePodDir(podDir: string): Promise<void> {
  for (const mp of mountsUnder(podDir)) {
    const p = Bun.spawn(["umount", "-l", mp], { stdout: "ignore", stderr: "ignore" });
    await p.exited;
  }
  if (mountsUnder(podDir).length > 0) throw new Error(`cannot remove ${podDir}: still mounted`);
  rmSync(podDir, { recursive: true, force: true });
}
