/**
 * @module agent/runtime/podman
 * ContainerRuntime over the podman CLI. A sandbox is a podman pod: its infra
 * container (podman's own pause image, which podman builds locally — no pull)
 * owns the network namespace, hostname and published ports; containers join
 * with --pod.
 *
 * podman 4.3 + conmon 2.1 quirk handled here: conmon writes its "oom" marker
 * into its working directory, while podman looks for it in the container's
 * static dir, so OOM kills were reported as plain exit 137. `start` therefore
 * runs podman from the container's static dir.
 */
import { existsSync } from "node:fs";
import { containerArgs, labelArgs, sandboxNetArgs } from "./args.ts";
import { CliRuntime, type EngineOptions } from "./base.ts";
import { hasLabels, parseInspectArray, parseTime, stringMap } from "./inspect.ts";
import {
  type ContainerSpec,
  LABELS,
  NotFoundError,
  RuntimeError,
  type RuntimeInfo,
  type SandboxInfo,
  type SandboxSpec,
} from "./types.ts";

interface PodJson {
  Id?: string;
  Name?: string;
  Labels?: Record<string, string> | null;
  Created?: string;
  InfraId?: string;
  InfraContainerID?: string;
}

interface InfraJson {
  Id?: string;
  State?: { Status?: string };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> | null };
}

function infraIp(j: InfraJson): string {
  const ns = j.NetworkSettings ?? {};
  if (ns.IPAddress) return ns.IPAddress;
  for (const n of Object.values(ns.Networks ?? {})) if (n.IPAddress) return n.IPAddress;
  return "";
}

export class PodmanRuntime extends CliRuntime {
  readonly name = "podman" as const;

  constructor(opts: EngineOptions = {}) {
    super("podman", opts);
  }

  async info(): Promise<RuntimeInfo> {
    void this.containersDir(); // warm: the first container start then needs no extra call
    const out = await this.cli.ok(["version", "--format", "json"], { timeoutMs: 30_000 });
    const v = JSON.parse(out) as { Client?: { Version?: string; APIVersion?: string }; Server?: { Version?: string } };
    const version = v.Server?.Version ?? v.Client?.Version ?? "";
    if (!version) throw new RuntimeError("podman version printed no version");
    return { name: "podman", version, runtimeVersion: `podman://${version}`, apiVersion: v.Client?.APIVersion };
  }

  // ------------------------------------------------------------ sandboxes

  async createSandbox(spec: SandboxSpec): Promise<{ id: string; ip: string }> {
    const share = spec.shareProcessNamespace ? "ipc,net,uts,pid" : "ipc,net,uts";
    const args = [
      "pod",
      "create",
      "--name",
      spec.name,
      "--infra-name",
      `${spec.name}-infra`,
      "--share",
      share,
      ...labelArgs({ ...spec.labels, [LABELS.kind]: "sandbox" }),
      ...sandboxNetArgs(spec),
    ];
    const id = (await this.must(args, "sandbox", spec.name)).trim();
    try {
      await this.must(["pod", "start", id], "sandbox", id);
      // The infra container by its name: one CLI call instead of `pod inspect` + inspect.
      const infra = parseInspectArray(await this.must(["container", "inspect", `${spec.name}-infra`], "sandbox", id)) as InfraJson[];
      return { id, ip: infra[0] ? infraIp(infra[0]) : "" };
    } catch (e) {
      await this.removeSandbox(id).catch(() => {});
      throw e;
    }
  }

  async stopSandbox(id: string, graceSeconds = 10): Promise<void> {
    const t = Math.max(0, Math.ceil(graceSeconds));
    await this.mustOrGone(["pod", "stop", "--time", String(t), id], "sandbox", id, t * 1000 + 60_000);
  }

  async removeSandbox(id: string): Promise<void> {
    await this.mustOrGone(["pod", "rm", "--force", "--time", "0", id], "sandbox", id);
  }

  private async infraById(ids: string[]): Promise<Map<string, InfraJson>> {
    const m = new Map<string, InfraJson>();
    if (ids.length === 0) return m;
    const r = await this.cli.run(["container", "inspect", ...ids]);
    for (const j of parseInspectArray(r.stdout) as InfraJson[]) if (j.Id) m.set(j.Id, j);
    return m;
  }

  private toSandbox(p: PodJson, infra: InfraJson | undefined): SandboxInfo {
    const running = infra?.State?.Status === "running";
    return {
      id: p.Id ?? "",
      name: p.Name ?? "",
      labels: stringMap(p.Labels),
      state: running ? "ready" : "notready",
      ip: running && infra ? infraIp(infra) : "",
      createdAt: parseTime(p.Created),
    };
  }

  async inspectSandbox(id: string): Promise<SandboxInfo> {
    const out = await this.must(["pod", "inspect", id], "sandbox", id);
    const arr = parseInspectArray(out) as PodJson[];
    const pod = arr[0];
    if (!pod?.Id) throw new NotFoundError("sandbox", id);
    const infraId = pod.InfraContainerID ?? "";
    const infra = await this.infraById(infraId ? [infraId] : []);
    return this.toSandbox(pod, infra.get(infraId));
  }

  async listSandboxes(labelFilter: Record<string, string>): Promise<SandboxInfo[]> {
    const args = ["pod", "ps", "--format", "json", "--filter", `label=${LABELS.kind}=sandbox`];
    const first = Object.entries(labelFilter)[0];
    if (first) args.push("--filter", `label=${first[0]}=${first[1]}`);
    const pods = (parseInspectArray(await this.cli.ok(args)) as PodJson[]).filter(
      (p) => hasLabels(stringMap(p.Labels), { ...labelFilter, [LABELS.kind]: "sandbox" }),
    );
    const infra = await this.infraById(pods.map((p) => p.InfraId ?? "").filter(Boolean));
    return pods.map((p) => this.toSandbox(p, infra.get(p.InfraId ?? "")));
  }

  // ------------------------------------------------------------ containers

  async createContainer(spec: ContainerSpec): Promise<string> {
    const { flags, image, cmd } = containerArgs(spec, this.logMaxBytes);
    const args = [
      "create",
      "--pod",
      spec.sandboxId,
      "--pull",
      "never",
      "--log-driver",
      "k8s-file",
      ...labelArgs({ [LABELS.kind]: "container", [LABELS.sandboxId]: spec.sandboxId }),
      ...flags,
    ];
    // Kubernetes gives a read-only root no tmpfs mounts; podman adds them by default.
    if (spec.securityContext?.readOnlyRootFilesystem) args.push("--read-only-tmpfs=false");
    args.push(image, ...cmd);
    const r = await this.cli.run(args);
    if (r.exitCode !== 0) {
      if (/no pod with name or id/i.test(r.stderr)) throw new NotFoundError("sandbox", spec.sandboxId);
      if (/image not known|no such image/i.test(r.stderr)) throw new NotFoundError("image", image);
      throw this.error(args, r, "container", spec.name);
    }
    return r.stdout.trim();
  }

  async startContainer(id: string): Promise<void> {
    // See the module comment: run from the static dir so conmon's OOM marker lands where podman
    // reads it. The dir is <graphRoot>/<driver>-containers/<id>/userdata; asked of podman only
    // when that guess does not exist.
    const root = await this.containersDir();
    let dir = root && /^[0-9a-f]{64}$/.test(id) ? `${root}/${id}/userdata` : "";
    if (!dir || !existsSync(dir)) dir = (await this.must(["container", "inspect", "--format", "{{.StaticDir}}", id], "container", id)).trim();
    const cwd = dir && existsSync(dir) ? dir : undefined;
    await this.runStart(id, { cwd });
  }

  private containersDirP: Promise<string | undefined> | undefined;

  /** Where podman keeps containers' static dirs, from `podman info` once (undefined if it cannot tell). */
  private containersDir(): Promise<string | undefined> {
    this.containersDirP ??= this.cli
      .ok(["info", "--format", "{{.Store.GraphRoot}} {{.Store.GraphDriverName}}"], { timeoutMs: 30_000 })
      .then((out) => {
        const [root, driver] = out.trim().split(/\s+/);
        return root?.startsWith("/") && driver ? `${root}/${driver}-containers` : undefined;
      })
      .catch(() => undefined);
    return this.containersDirP;
  }

  protected override rmArgs(ids: string[]): string[] {
    return ["rm", "--force", "--time", "0", ...ids];
  }

  protected eventArgs(): string[] {
    return ["events", "--format", "json"];
  }
}
