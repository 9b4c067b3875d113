/**
 * @module agent/runtime/base
 * What podman and docker do alike through their CLIs: images, container
 * inspect/list/stop/remove, logs, exec, attach and events. podman.ts and
 * docker.ts extend it with sandboxes, `create` and `start`, where they differ.
 */
import { Cli, type CliResult, engineMessage, isAlreadyExists, isNotFound, isNotRunning } from "./cli.ts";
import { normalizeImageRef } from "./image-ref.ts";
import { hasLabels, parseContainer, parseEvent, parseInspectArray } from "./inspect.ts";
import { mergedOutput, startSession } from "./streams.ts";
import {
  AlreadyExistsError,
  type AttachOptions,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  ContainerNotRunningError,
  ContainerStartError,
  type ExecOptions,
  type ImageInfo,
  ImageNotPresentError,
  ImagePullError,
  LABELS,
  type LogOptions,
  NotFoundError,
  type PullPolicy,
  type RuntimeEvent,
  type RuntimeEventStream,
  type RuntimeInfo,
  type RuntimeName,
  RuntimeError,
  type SandboxInfo,
  type SandboxSpec,
  type StreamSession,
} from "./types.ts";

export interface EngineOptions {
  /** CLI binary (name on PATH or absolute path); default "podman"/"docker". */
  binary?: string;
  /** Extra environment for the CLI (CONTAINERS_CONF, DOCKER_HOST, …), over process.env. */
  env?: Record<string, string | undefined>;
  /** Time limit of ordinary CLI calls; default 120 s. */
  timeoutMs?: number;
  /** Time limit of a pull; default 15 min. */
  pullTimeoutMs?: number;
  /** Per-container log size cap passed as --log-opt max-size; 0 = engine default. Default 10 MiB. */
  logMaxBytes?: number;
}

export type ObjectKind = NotFoundError["kind"];

export abstract class CliRuntime implements ContainerRuntime {
  abstract readonly name: RuntimeName;
  readonly cli: Cli;
  protected readonly pullTimeoutMs: number;
  protected readonly logMaxBytes: number;

  constructor(runtime: RuntimeName, opts: EngineOptions) {
    this.cli = new Cli(runtime, opts.binary ?? runtime, opts.env ?? {}, opts.timeoutMs ?? 120_000);
    this.pullTimeoutMs = opts.pullTimeoutMs ?? 15 * 60_000;
    this.logMaxBytes = opts.logMaxBytes ?? 10 * 1024 * 1024;
  }

  abstract info(): Promise<RuntimeInfo>;
  abstract createSandbox(spec: SandboxSpec): Promise<{ id: string; ip: string }>;
  abstract stopSandbox(id: string, graceSeconds?: number): Promise<void>;
  abstract removeSandbox(id: string): Promise<void>;
  abstract inspectSandbox(id: string): Promise<SandboxInfo>;
  abstract listSandboxes(labelFilter: Record<string, string>): Promise<SandboxInfo[]>;
  abstract createContainer(spec: ContainerSpec): Promise<string>;
  abstract startContainer(id: string): Promise<void>;

  /** Turns a failed CLI call into the matching typed error. */
  protected error(args: string[], r: CliResult, kind: ObjectKind, ref: string): RuntimeError {
    const details = { runtime: this.name, args, exitCode: r.exitCode, stderr: r.stderr };
    if (isNotFound(r.stderr, kind)) return new NotFoundError(kind, ref, details);
    if (isAlreadyExists(r.stderr)) {
      return new AlreadyExistsError(`${kind} ${ref}: ${engineMessage(r.stderr)}`, details);
    }
    return this.cli.failure(args, r);
  }

  /** Runs; non-zero exit → typed error for `kind`/`ref`. */
  protected async must(args: string[], kind: ObjectKind, ref: string, opts?: { timeoutMs?: number; cwd?: string }) {
    const r = await this.cli.run(args, opts);
    if (r.exitCode !== 0) throw this.error(args, r, kind, ref);
    return r.stdout;
  }

  /** Runs; "not found" counts as success (idempotent deletes). */
  protected async mustOrGone(args: string[], kind: ObjectKind, ref: string, timeoutMs?: number): Promise<void> {
    const r = await this.cli.run(args, { timeoutMs });
    if (r.exitCode !== 0 && !isNotFound(r.stderr, kind)) throw this.error(args, r, kind, ref);
  }

  /** Start failures remembered per container id, for engines that do not keep them (podman). */
  private readonly startErrors = new Map<string, string>();

  /** Runs `start`; a refusal that is not "no such container" becomes ContainerStartError. */
  protected async runStart(id: string, opts: { cwd?: string } = {}): Promise<void> {
    const args = ["start", id];
    const r = await this.cli.run(args, opts);
    if (r.exitCode === 0) {
      this.startErrors.delete(id);
      return;
    }
    if (isNotFound(r.stderr, "container")) throw new NotFoundError("container", id, { runtime: this.name, args, stderr: r.stderr });
    const msg = engineMessage(r.stderr);
    if (this.startErrors.size > 1000) this.startErrors.clear();
    this.startErrors.set(id, msg);
    throw new ContainerStartError(id, msg, { runtime: this.name, args, exitCode: r.exitCode, stderr: r.stderr });
  }

  private withStartError(c: ContainerInfo): ContainerInfo {
    if (!c.error) {
      const e = this.startErrors.get(c.id);
      if (e && c.startedAt === null) c.error = e;
    }
    return c;
  }

  // ------------------------------------------------------------ images

  async imageExists(image: string): Promise<boolean> {
    const ref = normalizeImageRef(image);
    const args = ["image", "inspect", "--format", "{{.Id}}", ref];
    const r = await this.cli.run(args);
    if (r.exitCode === 0) return true;
    if (isNotFound(r.stderr, "image")) return false;
    throw this.error(args, r, "image", ref);
  }

  async pullImage(image: string): Promise<void> {
    const ref = normalizeImageRef(image);
    const args = ["pull", "--quiet", ref];
    let r: CliResult;
    try {
      r = await this.cli.run(args, { timeoutMs: this.pullTimeoutMs });
    } catch (e) {
      if (e instanceof RuntimeError && e.name === "RuntimeTimeoutError") {
        throw new ImagePullError(ref, e.message, e.details);
      }
      throw e;
    }
    if (r.exitCode !== 0) {
      throw new ImagePullError(ref, engineMessage(r.stderr), {
        runtime: this.name,
        args,
        exitCode: r.exitCode,
        stderr: r.stderr,
      });
    }
  }

  async ensureImage(image: string, policy: PullPolicy): Promise<"present" | "pulled"> {
    const ref = normalizeImageRef(image);
    if (policy !== "Always" && (await this.imageExists(ref))) return "present";
    if (policy === "Never") throw new ImageNotPresentError(ref);
    await this.pullImage(ref);
    return "pulled";
  }

  async listImages(): Promise<ImageInfo[]> {
    const ids = (await this.cli.ok(["image", "ls", "--quiet", "--no-trunc"])).split("\n").filter(Boolean);
    if (ids.length === 0) return [];
    const r = await this.cli.run(["image", "inspect", ...new Set(ids)]);
    return parseInspectArray(r.stdout).map((j) => {
      const o = j as { Id?: string; RepoTags?: string[] | null; Size?: number };
      const id = o.Id ?? "";
      return { id: id.includes(":") ? id : `sha256:${id}`, tags: o.RepoTags ?? [], sizeBytes: o.Size ?? 0 };
    });
  }

  async removeImage(image: string): Promise<void> {
    await this.mustOrGone(["image", "rm", image], "image", image);
  }

  // ------------------------------------------------------------ containers

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    const t = Math.max(0, Math.ceil(graceSeconds));
    await this.must(["stop", "--time", String(t), id], "container", id, { timeoutMs: t * 1000 + 60_000 });
  }

  async removeContainer(id: string): Promise<void> {
    await this.mustOrGone(this.rmArgs([id]), "container", id);
    this.startErrors.delete(id);
  }

  protected rmArgs(ids: string[]): string[] {
    return ["rm", "--force", ...ids];
  }

  async inspectContainer(id: string): Promise<ContainerInfo> {
    const out = await this.must(["container", "inspect", id], "container", id);
    const arr = parseInspectArray(out);
    if (arr.length === 0) throw new NotFoundError("container", id);
    return this.withStartError(parseContainer(arr[0]));
  }

  /** Inspects many; ids that vanished meanwhile are skipped. */
  protected async inspectMany(ids: string[]): Promise<ContainerInfo[]> {
    if (ids.length === 0) return [];
    const args = ["container", "inspect", ...ids];
    const r = await this.cli.run(args);
    if (r.exitCode !== 0 && !isNotFound(r.stderr, "container")) throw this.cli.failure(args, r);
    return parseInspectArray(r.stdout).map((j) => this.withStartError(parseContainer(j)));
  }

  /** Ids of containers with the kind label and the first filter label (the CLI narrows, we check all). */
  protected async psIds(kind: "sandbox" | "container", labelFilter: Record<string, string>): Promise<string[]> {
    const args = ["ps", "--all", "--no-trunc", "--quiet", "--filter", `label=${LABELS.kind}=${kind}`];
    const first = Object.entries(labelFilter)[0];
    if (first) args.push("--filter", `label=${first[0]}=${first[1]}`);
    return (await this.cli.ok(args)).split("\n").filter(Boolean);
  }

  async listContainers(labelFilter: Record<string, string>): Promise<ContainerInfo[]> {
    const infos = await this.inspectMany(await this.psIds("container", labelFilter));
    return infos.filter((c) => c.labels[LABELS.kind] === "container" && hasLabels(c.labels, labelFilter));
  }

  // ------------------------------------------------------------ streams

  async logs(id: string, opts: LogOptions = {}): Promise<ReadableStream<Uint8Array>> {
    await this.inspectContainer(id); // NotFoundError before any bytes flow
    const args = ["logs"];
    if (opts.follow) args.push("--follow");
    if (opts.timestamps) args.push("--timestamps");
    if (opts.tail !== undefined) {
      if (!Number.isInteger(opts.tail) || opts.tail < 0) throw new RuntimeError("tail must be a non-negative integer");
      args.push("--tail", String(opts.tail));
    }
    if (opts.since) args.push("--since", opts.since.toISOString());
    args.push(id);
    const proc = this.cli.spawn(args);
    return mergedOutput(proc, (code, tail) =>
      isNotFound(tail, "container")
        ? new NotFoundError("container", id)
        : new RuntimeError(`${this.name} logs failed (exit ${code}): ${engineMessage(tail)}`, {
            runtime: this.name,
            args,
            exitCode: code,
            stderr: tail,
          }),
    );
  }

  /**
   * Tells a failed session from a command that exited non-zero. The CLIs use
   * overlapping exit codes (docker exits 1 when the container is not running,
   * podman 255) and stderr may be unread, so the engine is asked instead.
   */
  private classifier(id: string, args: string[]) {
    return async (code: number, tail: string): Promise<Error | null> => {
      let c: ContainerInfo;
      try {
        c = await this.inspectContainer(id);
      } catch (e) {
        if (e instanceof NotFoundError) return e;
        throw e;
      }
      if (c.state !== "running" || isNotRunning(tail)) return new ContainerNotRunningError(id);
      // The container runs, so the code is the command's (126/127: cannot execute / not found),
      // except podman's 125, which is podman's own failure.
      if (!(this.name === "podman" && code === 125)) return null;
      return new RuntimeError(`${this.name} ${args[0]} failed (exit ${code}): ${engineMessage(tail)}`, {
        runtime: this.name,
        args,
        exitCode: code,
        stderr: tail,
      });
    };
  }

  async exec(id: string, cmd: string[], opts: ExecOptions = {}): Promise<StreamSession> {
    if (cmd.length === 0) throw new RuntimeError("exec needs a command");
    const args = ["exec"];
    if (opts.stdin) args.push("--interactive");
    if (opts.tty) args.push("--tty");
    for (const e of opts.env ?? []) args.push("--env", `${e.name}=${e.value}`);
    if (opts.workingDir) args.push("--workdir", opts.workingDir);
    args.push(id, ...cmd);
    return startSession({
      cli: this.cli,
      args,
      stdin: !!opts.stdin,
      tty: !!opts.tty,
      size: opts.size,
      classify: this.classifier(id, args),
    });
  }

  async attach(id: string, opts: AttachOptions = {}): Promise<StreamSession> {
    const c = await this.inspectContainer(id);
    if (c.state !== "running") throw new ContainerNotRunningError(id);
    const args = ["attach", "--sig-proxy=false"];
    if (!opts.stdin) args.push("--no-stdin");
    args.push(id);
    const session = startSession({
      cli: this.cli,
      args,
      stdin: !!opts.stdin,
      tty: !!opts.tty,
      size: opts.size,
      // We checked it runs; the session ends when it exits, which is no failure.
      classify: async () => null,
    });
    // The client's own exit code is not the container's (podman 4.3 attach exits 0): ask the engine.
    let closed = false;
    const exited = session.exited.then(async (code) => {
      if (closed) return -1;
      for (let i = 0; i < 30; i++) {
        const c = await this.inspectContainer(id).catch(() => null);
        if (!c) return code;
        if (c.state === "exited") return c.exitCode ?? code;
        await Bun.sleep(100);
      }
      return -1;
    });
    exited.catch(() => {});
    return {
      ...session,
      exited,
      close() {
        closed = true;
        session.close();
      },
    };
  }

  protected abstract eventArgs(): string[];

  events(labelFilter: Record<string, string> = {}, opts: { since?: Date } = {}): RuntimeEventStream {
    const args = [...this.eventArgs(), "--filter", "type=container"];
    if (opts.since) args.push("--since", opts.since.toISOString());
    const first = Object.entries(labelFilter)[0];
    if (first) args.push("--filter", `label=${first[0]}=${first[1]}`);
    const proc = this.cli.spawn(args);
    const stdout = proc.stdout as ReadableStream<Uint8Array>;
    async function* lines(): AsyncGenerator<RuntimeEvent> {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of stdout) {
        buf += dec.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const ev = parseEvent(line);
          if (ev && hasLabels(ev.labels, labelFilter)) yield ev;
        }
      }
    }
    return {
      [Symbol.asyncIterator]: lines,
      close() {
        proc.kill("SIGKILL");
      },
    };
  }
}
