/**
 * @module agent/volumes/host
 * Volumes backed by host directories: emptyDir (on disk, or tmpfs for medium Memory),
 * hostPath with its type checks, and persistentVolumeClaim bound to a PV with a local
 * path (spec.local.path or spec.hostPath.path). Also tmpfs mount bookkeeping, so pod
 * clean-up unmounts before deleting.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isNotFound, type KObj } from "../../client/client.ts";
import { R } from "../../client/resources.ts";
import { Quantity } from "../../api/resources/quantity.ts";
import { type MountedVolume, VolumeError, type VolumeContext } from "./types.ts";

/** Mount points under `prefix` (from /proc/self/mountinfo), deepest first. */
export function mountsUnder(prefix: string): string[] {
  let text = "";
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const mp = line.split(" ")[4]?.replace(/\\040/g, " ");
    if (mp && (mp === prefix || mp.startsWith(`${prefix}/`))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

export async function emptyDir(vol: KObj, ctx: VolumeContext): Promise<MountedVolume> {
  const dir = join(ctx.podDir, "volumes", "empty-dir", vol.name);
  mkdirSync(dir, { recursive: true, mode: 0o777 });
  if (vol.emptyDir?.medium === "Memory" && ctx.canMount && mountsUnder(dir).length === 0) {
    const size = Quantity.tryParse(vol.emptyDir.sizeLimit);
    const opts = ["mode=0777", ...(size && size.sign() > 0 ? [`size=${size.value()}`] : [])];
    const p = Bun.spawn(["mount", "-t", "tmpfs", "-o", opts.join(","), "tmpfs", dir], { stdout: "ignore", stderr: "pipe" });
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new VolumeError(vol.name, `mounting tmpfs: ${err.trim()}`);
  }
  return { hostPath: dir, readOnly: false };
}

function kindOf(path: string): string | null {
  try {
    const s = statSync(path);
    if (s.isDirectory()) return "Directory";
    if (s.isFile()) return "File";
    if (s.isSocket()) return "Socket";
    if (s.isCharacterDevice()) return "CharDevice";
    if (s.isBlockDevice()) return "BlockDevice";
    return "Other";
  } catch {
    return null;
  }
}

export function hostPath(vol: KObj): MountedVolume {
  const path: string = vol.hostPath.path;
  const type: string = vol.hostPath.type ?? "";
  if (!path.startsWith("/")) throw new VolumeError(vol.name, `hostPath ${JSON.stringify(path)} must be absolute`);
  const have = kindOf(path);
  switch (type) {
    case "":
      break;
    case "DirectoryOrCreate":
      if (!have) mkdirSync(path, { recursive: true, mode: 0o755 });
      else if (have !== "Directory") throw new VolumeError(vol.name, `hostPath type check failed: ${path} is not a directory`);
      break;
    case "FileOrCreate":
      if (!have) {
        mkdirSync(join(path, ".."), { recursive: true, mode: 0o755 });
        closeSync(openSync(path, "a", 0o644));
      } else if (have !== "File") throw new VolumeError(vol.name, `hostPath type check failed: ${path} is not a file`);
      break;
    case "Directory":
    case "File":
    case "Socket":
    case "CharDevice":
    case "BlockDevice":
      if (have !== type) {
        throw new VolumeError(vol.name, have ? `hostPath type check failed: ${path} is not a ${type.toLowerCase()}` : `hostPath type check failed: ${path} does not exist`);
      }
      break;
    default:
      throw new VolumeError(vol.name, `unknown hostPath type ${JSON.stringify(type)}`);
  }
  return { hostPath: path, readOnly: false };
}

export async function persistentVolumeClaim(vol: KObj, ctx: VolumeContext): Promise<MountedVolume> {
  const ns = ctx.pod.metadata.namespace;
  const claimName: string = vol.persistentVolumeClaim.claimName;
  let pvc: KObj;
  try {
    pvc = await ctx.client.get(R.persistentvolumeclaims, ns, claimName);
  } catch (e) {
    if (isNotFound(e)) throw new VolumeError(vol.name, `persistentvolumeclaim "${claimName}" not found`);
    throw new VolumeError(vol.name, (e as Error).message);
  }
  const pvName: string | undefined = pvc.spec?.volumeName;
  if (!pvName || pvc.status?.phase !== "Bound") throw new VolumeError(vol.name, `persistentvolumeclaim "${claimName}" is not bound`);
  let pv: KObj;
  try {
    pv = await ctx.client.get(R.persistentvolumes, undefined, pvName);
  } catch (e) {
    throw new VolumeError(vol.name, isNotFound(e) ? `persistentvolume "${pvName}" not found` : (e as Error).message);
  }
  const path: string | undefined = pv.spec?.local?.path ?? pv.spec?.hostPath?.path;
  if (!path) throw new VolumeError(vol.name, `persistentvolume "${pvName}" has no local or hostPath source (only local paths are supported)`);
  if (!existsSync(path)) {
    if (pv.spec?.hostPath) mkdirSync(path, { recursive: true, mode: 0o777 });
    else throw new VolumeError(vol.name, `local path ${path} of persistentvolume "${pvName}" does not exist`);
  }
  return { hostPath: path, readOnly: vol.persistentVolumeClaim.readOnly === true || pv.spec?.accessModes?.every((m: string) => m === "ReadOnlyMany") === true };
}
