/**
 * @module agent/runtime-cache
 * The agent's view of its engine (the kubelet's PLEG, for a CLI engine): one relist
 * of every sandbox and container carrying this node's label per period, plus the
 * engine's event stream for containers that die behind the agent's back. Pod workers
 * read from here instead of asking the engine per pod, and report what they create.
 * Each entry remembers the sequence number of the observation it came from, so an
 * older observation (a relist that started before a worker created something) never
 * overwrites or deletes a newer one. Changes call onPodChange(podUid).
 */
import { logger } from "../util/log.ts";
import { type ContainerInfo, type ContainerRuntime, LABELS, NotFoundError, type SandboxInfo } from "./runtime/types.ts";

const log = logger("agent/runtime-cache");

export interface PodRuntimeState {
  sandboxes: SandboxInfo[];
  containers: ContainerInfo[];
}

interface Entry<T> {
  info: T;
  seq: number;
}

export interface RuntimeCacheOptions {
  relistMs?: number;
  onPodChange(podUid: string): void;
  /** Called after each successful relist. */
  onRelist?(): void;
}

function sig(x: ContainerInfo | SandboxInfo): string {
  const c = x as ContainerInfo;
  return "exitCode" in c ? `${c.id}:${c.state}:${c.exitCode}:${c.startedAt?.getTime()}:${c.error}` : `${x.id}:${(x as SandboxInfo).state}:${(x as SandboxInfo).ip}`;
}

export class RuntimeCache {
  private readonly sandboxes = new Map<string, Entry<SandboxInfo>>();
  private readonly containers = new Map<string, Entry<ContainerInfo>>();
  /** Ids removed, with the seq of the removal (so an older relist does not resurrect them). */
  private readonly tombstones = new Map<string, number>();
  private counter = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private events: { close(): void } | null = null;
  private stopped = false;
  private relisting: Promise<void> | null = null;
  private lastEventAt = new Date();
  synced = false;
  /** Error of the last relist, null when it worked (the runtime's health). */
  lastError: Error | null = null;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly nodeName: string,
    private readonly opts: RuntimeCacheOptions,
  ) {}

  /** A sequence number to take before asking the engine about something. */
  seq(): number {
    return ++this.counter;
  }

  async start(): Promise<void> {
    await this.relist();
    this.watchEvents();
    this.timer = setInterval(() => void this.relist(), this.opts.relistMs ?? 10_000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.events?.close();
  }

  pod(uid: string): PodRuntimeState {
    const sandboxes: SandboxInfo[] = [];
    const containers: ContainerInfo[] = [];
    for (const e of this.sandboxes.values()) if (e.info.labels[LABELS.podUid] === uid) sandboxes.push(e.info);
    for (const e of this.containers.values()) if (e.info.labels[LABELS.podUid] === uid) containers.push(e.info);
    return { sandboxes, containers };
  }

  /** Pod UIDs that have anything on the engine. */
  uids(): Set<string> {
    const out = new Set<string>();
    for (const e of this.sandboxes.values()) out.add(e.info.labels[LABELS.podUid] ?? "");
    for (const e of this.containers.values()) out.add(e.info.labels[LABELS.podUid] ?? "");
    out.delete("");
    return out;
  }

  get containerCount(): number {
    return this.containers.size;
  }

  putContainer(info: ContainerInfo, seq: number): void {
    this.put(this.containers, info, seq);
  }

  putSandbox(info: SandboxInfo, seq: number): void {
    this.put(this.sandboxes, info, seq);
  }

  dropContainer(id: string, seq: number): void {
    this.drop(this.containers, id, seq);
  }

  dropSandbox(id: string, seq: number): void {
    this.drop(this.sandboxes, id, seq);
  }

  private put<T extends ContainerInfo | SandboxInfo>(m: Map<string, Entry<T>>, info: T, seq: number): boolean {
    const cur = m.get(info.id);
    if (cur && cur.seq > seq) return false;
    const dead = this.tombstones.get(info.id);
    if (dead !== undefined && dead > seq) return false;
    m.set(info.id, { info, seq });
    return !cur || sig(cur.info) !== sig(info);
  }

  private drop<T extends ContainerInfo | SandboxInfo>(m: Map<string, Entry<T>>, id: string, seq: number): boolean {
    const cur = m.get(id);
    if (!cur || cur.seq > seq) return false;
    m.delete(id);
    this.tombstones.set(id, seq);
    if (this.tombstones.size > 4096) {
      const floor = this.counter - 10_000;
      for (const [k, s] of this.tombstones) if (s < floor) this.tombstones.delete(k);
    }
    return true;
  }

  /** Inspects one container and records the result (null when it is gone). */
  async refreshContainer(id: string): Promise<ContainerInfo | null> {
    const s = this.seq();
    try {
      const info = await this.runtime.inspectContainer(id);
      this.putContainer(info, s);
      return info;
    } catch (e) {
      if (e instanceof NotFoundError) {
        this.dropContainer(id, s);
        return null;
      }
      throw e;
    }
  }

  /** Lists everything of this node once (shared by concurrent callers). */
  relist(): Promise<void> {
    this.relisting ??= this.doRelist().finally(() => {
      this.relisting = null;
    });
    return this.relisting;
  }

  private async doRelist(): Promise<void> {
    if (this.stopped) return;
    const s = this.seq();
    const filter = { [LABELS.nodeName]: this.nodeName };
    let sandboxes: SandboxInfo[];
    let containers: ContainerInfo[];
    try {
      [sandboxes, containers] = await Promise.all([this.runtime.listSandboxes(filter), this.runtime.listContainers(filter)]);
      this.lastError = null;
    } catch (e) {
      this.lastError = e as Error;
      log.warn("relist failed", { error: e as Error });
      return;
    }
    const changed = new Set<string>();
    const apply = <T extends ContainerInfo | SandboxInfo>(m: Map<string, Entry<T>>, list: T[]) => {
      const seen = new Set<string>();
      for (const info of list) {
        seen.add(info.id);
        if (this.put(m, info, s)) changed.add(info.labels[LABELS.podUid] ?? "");
      }
      for (const [id, e] of m) {
        if (!seen.has(id) && this.drop(m, id, s)) changed.add(e.info.labels[LABELS.podUid] ?? "");
      }
    };
    apply(this.sandboxes, sandboxes);
    apply(this.containers, containers);
    this.synced = true;
    changed.delete("");
    for (const uid of changed) this.opts.onPodChange(uid);
    this.opts.onRelist?.();
  }

  private watchEvents(): void {
    if (this.stopped) return;
    const stream = this.runtime.events({ [LABELS.nodeName]: this.nodeName }, { since: this.lastEventAt });
    this.events = stream;
    void (async () => {
      try {
        for await (const ev of stream) {
          if (ev.time > this.lastEventAt) this.lastEventAt = ev.time;
          if (ev.action !== "die" && ev.action !== "oom" && ev.action !== "destroy") continue;
          const uid = ev.labels[LABELS.podUid];
          if (!uid) continue;
          if (ev.labels[LABELS.kind] === "sandbox") {
            // A sandbox changed: the next relist has the details; wake the pod now.
            void this.relist();
            continue;
          }
          try {
            await this.refreshContainer(ev.id);
          } catch (e) {
            log.debug("inspect after event failed", { id: ev.id, error: e as Error });
          }
          this.opts.onPodChange(uid);
        }
      } catch (e) {
        log.debug("event stream ended", { error: e as Error });
      }
      if (!this.stopped) {
        await Bun.sleep(1000);
        this.watchEvents();
      }
    })();
  }
}
