/**
 * @module agent/runtime/docker
 * ContainerRuntime over the docker CLI. A sandbox is a "pause" container
 * (localhost/kite/pause, generated locally from pause-image.ts and imported
 * when missing: no registry needed) that owns the network namespace,
 * hostname, published ports and a shareable IPC namespace; containers join
 * with --network/--ipc (and --pid) container:<pause>.
 */
import { containerArgs, labelArgs, sandboxNetArgs } from "./args.ts";
import { CliRuntime, type EngineOptions } from "./base.ts";
import { isNotFound } from "./cli.ts";
import { hasLabels, parseInspectArray, parseTime, stringMap } from "./inspect.ts";
import { PAUSE_IMAGE, pauseRootfs } from "./pause-image.ts";
import {
  type ContainerSpec,
  LABELS,
  NotFoundError,
  RuntimeError,
  RuntimeUnavailableError,
  type RuntimeInfo,
  type SandboxInfo,
  type SandboxSpec,
} from "./types.ts";

/** Label on the pause container recording that the pod shares one PID namespace. */
const SHARE_PID = "io.kite.share-pid";

interface PauseJson {
  Id?: string;
  Name?: string;
  Created?: string;
  State?: { Status?: string };
  Config?: { Labels?: Record<string, string> | null };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> | null };
}

function pauseIp(j: PauseJson): string {
  const ns = j.NetworkSettings ?? {};
  if (ns.IPAddress) return ns.IPAddress;
  for (const n of Object.values(ns.Networks ?? {})) if (n.IPAddress) return n.IPAddress;
  return "";
}

function toSandbox(j: PauseJson): SandboxInfo {
  const running = j.State?.Status === "running";
  return {
    id: j.Id ?? "",
    name: (j.Name ?? "").replace(/^\//, ""),
    labels: stringMap(j.Config?.Labels),
    state: running ? "ready" : "notready",
    ip: running ? pauseIp(j) : "",
    createdAt: parseTime(j.Created),
  };
}

export class DockerRuntime extends CliRuntime {
  readonly name = "docker" as const;
  private pauseReady: Promise<void> | null = null;

  constructor(opts: EngineOptions = {}) {
    super("docker", opts);
  }

  async info(): Promise<RuntimeInfo> {
    const r = await this.cli.run(["version", "--format", "{{json .}}"], { timeoutMs: 30_000 });
    let v: { Server?: { Version?: string; ApiVersion?: string } | null } = {};
    try {
      v = JSON.parse(r.stdout.trim() || "{}");
    } catch {
      /* fall through */
    }
    const version = v.Server?.Version;
    if (!version) {
      throw new RuntimeUnavailableError(`docker engine is not reachable: ${r.stderr.trim() || "no server version"}`, {
        runtime: "docker",
        exitCode: r.exitCode,
        stderr: r.stderr,
      });
    }
    return { name: "docker", version, runtimeVersion: `docker://${version}`, apiVersion: v.Server?.ApiVersion };
  }

  /** Imports the pause image once per runtime object if the engine lacks it. */
  ensurePauseImage(): Promise<void> {
    this.pauseReady ??= (async () => {
      if (await this.imageExists(PAUSE_IMAGE)) return;
      await this.cli.ok(["import", "--change", 'ENTRYPOINT ["/pause"]', "-", PAUSE_IMAGE], {
        stdin: pauseRootfs(),
      });
    })().catch((e) => {
      this.pauseReady = null;
      throw e;
    });
    return this.pauseReady;
  }

  // ------------------------------------------------------------ sandboxes

  async createSandbox(spec: SandboxSpec): Promise<{ id: string; ip: string }> {
    const net = sandboxNetArgs(spec);
    await this.ensurePauseImage();
    const labels: Record<string, string> = { ...spec.labels, [LABELS.kind]: "sandbox" };
    if (spec.shareProcessNamespace) labels[SHARE_PID] = "true";
    const args = [
      "run",
      "--detach",
      "--name",
      spec.name,
      "--ipc",
      "shareable",
      "--restart",
      "no",
      "--log-driver",
      "json-file",
      ...labelArgs(labels),
      ...net,
      PAUSE_IMAGE,
    ];
    const r = await this.cli.run(args);
    const id = r.stdout.trim().split("\n").pop() ?? "";
    if (r.exitCode !== 0) {
      // `run` may have created the container before failing to start it (e.g. port in use).
      if (id && /^[0-9a-f]{64}$/.test(id)) await this.removeSandbox(id).catch(() => {});
      else await this.removeSandbox(spec.name).catch(() => {});
      throw this.error(args, r, "sandbox", spec.name);
    }
    try {
      const info = await this.inspectSandbox(id);
      return { id, ip: info.ip };
    } catch (e) {
      await this.removeSandbox(id).catch(() => {});
      throw e;
    }
  }

  private async members(sandboxId: string): Promise<string[]> {
    return this.psIds("container", { [LABELS.sandboxId]: sandboxId });
  }

  async stopSandbox(id: string, graceSeconds = 10): Promise<void> {
    const t = Math.max(0, Math.ceil(graceSeconds));
    await Promise.all(
      (await this.members(id)).map((c) =>
        this.mustOrGone(["stop", "--time", String(t), c], "container", c, t * 1000 + 60_000),
      ),
    );
    await this.mustOrGone(["stop", "--time", "2", id], "sandbox", id);
  }

  async removeSandbox(id: string): Promise<void> {
    const ids = [...(await this.members(id)), id];
    const args = this.rmArgs(ids);
    const r = await this.cli.run(args);
    if (r.exitCode !== 0 && !isNotFound(r.stderr, "container")) throw this.error(args, r, "sandbox", id);
  }

  async inspectSandbox(id: string): Promise<SandboxInfo> {
    const out = await this.must(["container", "inspect", id], "sandbox", id);
    const j = parseInspectArray(out)[0] as PauseJson | undefined;
    if (!j?.Id || j.Config?.Labels?.[LABELS.kind] !== "sandbox") throw new NotFoundError("sandbox", id);
    return toSandbox(j);
  }

  async listSandboxes(labelFilter: Record<string, string>): Promise<SandboxInfo[]> {
    const ids = await this.psIds("sandbox", labelFilter);
    if (ids.length === 0) return [];
    const r = await this.cli.run(["container", "inspect", ...ids]);
    return (parseInspectArray(r.stdout) as PauseJson[])
      .map(toSandbox)
      .filter((s) => hasLabels(s.labels, { ...labelFilter, [LABELS.kind]: "sandbox" }));
  }

  // ------------------------------------------------------------ containers

  async createContainer(spec: ContainerSpec): Promise<string> {
    const { flags, image, cmd } = containerArgs(spec, this.logMaxBytes);
    const sb = await this.must(
      ["container", "inspect", "--format", `{{index .Config.Labels "${LABELS.kind}"}} {{index .Config.Labels "${SHARE_PID}"}}`, spec.sandboxId],
      "sandbox",
      spec.sandboxId,
    );
    const [kind, sharePid] = sb.trim().split(" ");
    if (kind !== "sandbox") throw new NotFoundError("sandbox", spec.sandboxId);
    const join = `container:${spec.sandboxId}`;
    const args = [
      "create",
      "--network",
      join,
      "--ipc",
      join,
      ...(sharePid === "true" ? ["--pid", join] : []),
      "--pull",
      "never",
      "--restart",
      "no",
      "--log-driver",
      "json-file",
      ...labelArgs({ [LABELS.kind]: "container", [LABELS.sandboxId]: spec.sandboxId }),
      ...flags,
      image,
      ...cmd,
    ];
    const r = await this.cli.run(args);
    if (r.exitCode !== 0) {
      if (/no such image|pull access denied|not found: manifest unknown/i.test(r.stderr) || /Unable to find image/i.test(r.stderr)) {
        throw new NotFoundError("image", image);
      }
      throw this.error(args, r, "container", spec.name);
    }
    const id = r.stdout.trim().split("\n").pop() ?? "";
    if (!/^[0-9a-f]{64}$/.test(id)) throw new RuntimeError(`docker create printed no id: ${r.stdout}`);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    await this.runStart(id);
  }

  protected eventArgs(): string[] {
    return ["events", "--format", "{{json .}}"];
  }
}
