/**
 * @module agent/host-info
 * Facts about the machine the agent runs on, read from /proc, /etc and statfs: CPUs,
 * memory, disk of the data dir, kernel, OS image, machine/boot ids, architecture in
 * Kubernetes' spelling, and the pressure signals the kubelet's eviction thresholds
 * use (memory.available < 100Mi, nodefs.available < 10 %, pids).
 */
import { readFileSync, statfsSync } from "node:fs";
import { availableParallelism, release } from "node:os";

function read(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

/** process.arch → GOARCH spelling used in node labels and nodeInfo. */
export function goArch(arch: string = process.arch): string {
  switch (arch) {
    case "x64":
      return "amd64";
    case "ia32":
      return "386";
    case "ppc64":
      return "ppc64le";
    default:
      return arch;
  }
}

/** /proc/meminfo field in bytes (0 when missing). */
export function meminfo(field: string, text = read("/proc/meminfo")): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

export function osImage(text = read("/etc/os-release")): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
  return m?.[1] ?? "Linux";
}

export interface DiskInfo {
  totalBytes: number;
  availableBytes: number;
}

export function disk(path: string): DiskInfo {
  try {
    const s = statfsSync(path);
    return { totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: 0, availableBytes: 0 };
  }
}

export interface HostFacts {
  cpus: number;
  memoryBytes: number;
  disk: DiskInfo;
  kernelVersion: string;
  osImage: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
  architecture: string;
}

export function hostFacts(dataDir: string): HostFacts {
  const machineID = read("/etc/machine-id") || read("/var/lib/dbus/machine-id");
  return {
    cpus: availableParallelism(),
    memoryBytes: meminfo("MemTotal"),
    disk: disk(dataDir),
    kernelVersion: release(),
    osImage: osImage(),
    machineID,
    systemUUID: read("/sys/class/dmi/id/product_uuid").toLowerCase() || machineID,
    bootID: read("/proc/sys/kernel/random/boot_id"),
    architecture: goArch(),
  };
}

export interface Pressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

/** The kubelet's default hard eviction signals, evaluated now. */
export function pressure(dataDir: string): Pressure {
  const avail = meminfo("MemAvailable");
  const d = disk(dataDir);
  const pidMax = Number(read("/proc/sys/kernel/pid_max")) || 32768;
  let threads = 0;
  const loadavg = read("/proc/loadavg").split(" ")[3] ?? "";
  const m = /\/(\d+)$/.exec(loadavg);
  if (m) threads = Number(m[1]);
  return {
    memory: avail > 0 && avail < 100 * 1024 * 1024,
    disk: d.totalBytes > 0 && d.availableBytes / d.totalBytes < 0.1,
    pid: threads > 0 && threads / pidMax > 0.9,
  };
}
