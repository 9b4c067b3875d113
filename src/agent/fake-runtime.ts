/**
 * @module agent/fake-runtime
 * An in-memory ContainerRuntime for the agent's unit tests: sandboxes and containers
 * with states, exits decided by the test (`exitOnStart`, `exit()`), recorded calls, and
 * an event stream the test can push to. Real engines are covered by test/agent.
 */
import {
  AlreadyExistsError,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  LABELS,
  NotFoundError,
  type RuntimeEvent,
  type RuntimeEventStream,
  type RuntimeInfo,
  type SandboxInfo,
  type SandboxSpec,
  type StreamSession,
} from "./runtime/types.ts";

export class FakeRuntime implements ContainerRuntime {
  readonly name = "podman" as const;
  readonly calls: string[] = [];
  readonly sandboxes = new Map<string, SandboxInfo & { spec: SandboxSpec }>();
  readonly containers = new Map<string, ContainerInfo & { spec: ContainerSpec }>();
  readonly images = new Set<string>(["localhost/img:1"]);
  /** Exit code a container's process has right after start (undefined: keeps running). */
  exitOnStart: (spec: ContainerSpec) => number | undefined = () => undefined;
  /** Exit code of exec probes/hooks. */
  execResult: (id: string, cmd: string[]) => number = () => 0;
  private seq = 0;
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();

  private id(): string {
    return (++this.seq).toString(16).padStart(64, "0");
  }

  private emit(action: RuntimeEvent["action"], c: ContainerInfo) {
    for (const l of this.listeners) l({ action, rawAction: action, id: c.id, name: c.name, labels: c.labels, time: new Date() });
  }

  async info(): Promise<RuntimeInfo> {
    return { name: "podman", version: "4.3.1", runtimeVersion: "podman://4.3.1" };
  }
  async imageExists(image: string) {
    this.calls.push(`imageExists ${image}`);
    return this.images.has(image);
  }
  async pullImage(image: string) {
    this.calls.push(`pull ${image}`);
    this.images.add(image);
  }
  async ensureImage(): Promise<"present"> {
    return "present";
  }
  async listImages() {
    return [];
  }
  async removeImage() {}

  async createSandbox(spec: SandboxSpec) {
    this.calls.push(`createSandbox ${spec.name}`);
    for (const s of this.sandboxes.values()) if (s.name === spec.name) throw new AlreadyExistsError(`sandbox ${spec.name}: name in use`);
    const id = this.id();
    const ip = `10.88.0.${this.sandboxes.size + 2}`;
    this.sandboxes.set(id, { id, name: spec.name, labels: { ...spec.labels, [LABELS.kind]: "sandbox" }, state: "ready", ip, createdAt: new Date(), spec });
    return { id, ip };
  }
  async stopSandbox(id: string) {
    this.calls.push(`stopSandbox ${id}`);
    const s = this.sandboxes.get(id);
    if (s) {
      s.state = "notready";
      s.ip = "";
    }
    for (const c of this.containers.values()) if (c.sandboxId === id && c.state === "running") this.exit(c.id, 137);
  }
  async removeSandbox(id: string) {
    this.calls.push(`removeSandbox ${id}`);
    this.sandboxes.delete(id);
    for (const c of [...this.containers.values()]) if (c.sandboxId === id) this.containers.delete(c.id);
  }
  async inspectSandbox(id: string): Promise<SandboxInfo> {
    const s = this.sandboxes.get(id);
    if (!s) throw new NotFoundError("sandbox", id);
    return { ...s };
  }
  async listSandboxes(filter: Record<string, string>) {
    return [...this.sandboxes.values()].filter((s) => Object.entries(filter).every(([k, v]) => s.labels[k] === v)).map((s) => ({ ...s }));
  }

  async createContainer(spec: ContainerSpec) {
    this.calls.push(`createContainer ${spec.name}`);
    if (!this.sandboxes.has(spec.sandboxId)) throw new NotFoundError("sandbox", spec.sandboxId);
    for (const c of this.containers.values()) if (c.name === spec.name) throw new AlreadyExistsError(`container ${spec.name}: name in use`);
    const id = this.id();
    this.containers.set(id, {
      id,
      name: spec.name,
      labels: { ...spec.labels, [LABELS.kind]: "container", [LABELS.sandboxId]: spec.sandboxId },
      state: "created",
      exitCode: null,
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
      oomKilled: false,
      image: spec.image,
      imageId: "sha256:" + "ab".repeat(32),
      sandboxId: spec.sandboxId,
      error: "",
      pid: 0,
      spec,
    });
    return id;
  }
  async startContainer(id: string) {
    this.calls.push(`startContainer ${id}`);
    const c = this.containers.get(id);
    if (!c) throw new NotFoundError("container", id);
    c.state = "running";
    c.startedAt = new Date();
    c.pid = 4242;
    const code = this.exitOnStart(c.spec);
    if (code !== undefined) this.exit(id, code);
  }
  /** The container's process exits now. */
  exit(id: string, code: number) {
    const c = this.containers.get(id);
    if (!c || c.state !== "running") return;
    c.state = "exited";
    c.exitCode = code;
    c.finishedAt = new Date();
    c.pid = 0;
    this.emit("die", c);
  }
  async stopContainer(id: string, grace: number) {
    this.calls.push(`stopContainer ${id} ${grace}`);
    if (!this.containers.has(id)) throw new NotFoundError("container", id);
    this.exit(id, 137);
  }
  async removeContainer(id: string) {
    this.calls.push(`removeContainer ${id}`);
    this.containers.delete(id);
  }
  async inspectContainer(idOrName: string): Promise<ContainerInfo> {
    const c = this.containers.get(idOrName) ?? [...this.containers.values()].find((x) => x.name === idOrName);
    if (!c) throw new NotFoundError("container", idOrName);
    const { spec: _s, ...info } = c;
    return { ...info };
  }
  async listContainers(filter: Record<string, string>) {
    return [...this.containers.values()].filter((c) => Object.entries(filter).every(([k, v]) => c.labels[k] === v)).map(({ spec: _s, ...info }) => ({ ...info }));
  }
  async logs(): Promise<ReadableStream<Uint8Array>> {
    return new Response("").body!;
  }
  async exec(id: string, cmd: string[]): Promise<StreamSession> {
    this.calls.push(`exec ${id} ${cmd.join(" ")}`);
    return { stdin: null, stdout: new Response("").body!, stderr: null, exited: Promise.resolve(this.execResult(id, cmd)), resize() {}, close() {} };
  }
  async attach(): Promise<StreamSession> {
    throw new Error("not supported by the fake");
  }
  events(): RuntimeEventStream {
    const queue: RuntimeEvent[] = [];
    let wake: (() => void) | null = null;
    let closed = false;
    const push = (e: RuntimeEvent) => {
      queue.push(e);
      wake?.();
    };
    this.listeners.add(push);
    const listeners = this.listeners;
    return {
      async *[Symbol.asyncIterator]() {
        while (!closed) {
          if (queue.length === 0) await new Promise<void>((r) => (wake = r));
          while (queue.length) yield queue.shift()!;
        }
      },
      close() {
        closed = true;
        listeners.delete(push);
        wake?.();
      },
    };
  }
}
