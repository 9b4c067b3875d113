/**
 * @module agent/pod-worker
 * Drives one pod toward its spec, one sync at a time (syncs requested meanwhile fold
 * into one): volumes, the sandbox, init containers in order, then the containers with
 * their restart policy, back-off, probes and hooks; then the status, written only
 * when it changed. A pod with a deletionTimestamp (or gone from the API) is killed
 * within its grace period and confirmed with DELETE (uid precondition). Everything
 * the worker knows about the engine comes from the runtime cache.
 */
import { join } from "node:path";
import { isNotFound, type KObj } from "../client/client.ts";
import { R } from "../client/resources.ts";
import { logger } from "../util/log.ts";
import { sandboxSpec } from "./container-spec.ts";
import { killContainer, type PodEvent, PRIORITY_CONTAINER, probeTarget, startContainer, terminationMessage } from "./container-runner.ts";
import { type AgentContext, fieldPath, podRef } from "./context.ts";
import { AGENT_LABELS, containerHash, restartCountOf, sandboxLabels, sandboxName } from "./names.ts";
import { killPod } from "./pod-kill.ts";
import type { ProbeContainer } from "./prober.ts";
import { AlreadyExistsError, type ContainerInfo, LABELS, type SandboxInfo } from "./runtime/types.ts";
import { buildStatus, type ContainerView, statusPatch, type Waiting } from "./status.ts";
import { isApiVolume, setupVolumes, type VolumeSetup } from "./volumes/manager.ts";
import { VolumeError } from "./volumes/types.ts";

const log = logger("agent/pod");

type Kind = "init" | "regular";

function rvNum(o: KObj | undefined): bigint {
  try {
    return BigInt(o?.metadata?.resourceVersion ?? "0");
  } catch {
    return 0n;
  }
}

function isDone(c: ContainerInfo): boolean {
  return c.state === "exited" || (c.state === "created" && !!c.error);
}

export class PodWorker {
  pod: KObj;
  readonly uid: string;
  readonly podDir: string;
  private dirty = false;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = 0;
  private removed = false;
  private finished = false;
  private stopped = false;
  private readonly waiting = new Map<string, Waiting>();
  private volumes: VolumeSetup | null = null;
  private volumesAt = 0;
  private mountFailures = 0;
  private sandboxFailures = 0;
  private syncErrors = 0;
  private readonly messages: Record<string, string> = {};
  private readonly firstSeen = new Date();
  private terminalHandled = false;
  /** Set when the agent failed the pod itself (DeadlineExceeded). */
  private failure: { reason: string; message: string } | null = null;
  /** Old attempts being removed (so concurrent syncs do not remove them twice). */
  private readonly removing = new Set<string>();
  /** Resolves when the worker has finished (pod killed and confirmed). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly ctx: AgentContext,
    pod: KObj,
    private readonly onFinished: (uid: string) => void,
  ) {
    this.pod = pod;
    this.uid = pod.metadata.uid;
    this.podDir = join(ctx.podsDir, this.uid);
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** A newer version of the pod from the API (informer or our own write). */
  update(pod: KObj): void {
    if (pod.metadata.uid !== this.uid) return;
    if (rvNum(pod) < rvNum(this.pod)) return;
    this.pod = pod;
    this.request();
  }

  /** The pod is gone from the API. */
  remove(): void {
    this.removed = true;
    this.request();
  }

  /** Stops scheduling work (agent shutdown); containers keep running. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  request(delayMs = 0): void {
    if (this.stopped || this.finished) return;
    if (delayMs <= 0) {
      this.dirty = true;
      if (!this.running) void this.loop();
      return;
    }
    const at = Date.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.request();
    }, delayMs);
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.stopped && !this.finished) {
        this.dirty = false;
        try {
          await this.sync();
          this.syncErrors = 0;
        } catch (e) {
          // Engine or API trouble: retry with a growing delay (2 s … 1 min) instead of hammering them.
          this.syncErrors++;
          log.warn("pod sync failed", { pod: `${this.pod.metadata.namespace}/${this.pod.metadata.name}`, error: e as Error });
          this.request(Math.min(2000 * 2 ** Math.min(this.syncErrors - 1, 5), 60_000));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private event: PodEvent = (type, reason, message, fp) => this.ctx.recorder.event(this.pod, type, reason, message, fp);

  // ------------------------------------------------------------------ sync

  private async sync(): Promise<void> {
    if (this.removed || this.pod.metadata.deletionTimestamp) {
      await this.terminate();
      return;
    }
    const pod = this.pod;
    const spec = pod.spec ?? {};
    const rt = this.ctx.cache.pod(this.uid);

    // A pod that reached Succeeded/Failed runs nothing more: stop its sandbox once.
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") {
      await this.finishTerminal(rt.sandboxes);
      await this.writeStatus(this.ctx.cache.pod(this.uid), null);
      return;
    }

    // Volumes: set up once, API-backed ones re-rendered periodically.
    const now = Date.now();
    if (!this.volumes || now - this.volumesAt >= this.ctx.tunables.volumeRefreshMs) {
      try {
        const fresh = await setupVolumes(this.volumeContext(), { onlyApi: this.volumes !== null });
        if (this.volumes) for (const [k, v] of fresh.volumes) this.volumes.volumes.set(k, v);
        else this.volumes = fresh;
        for (const n of fresh.notes) this.event("Normal", "TokenNotMounted", n);
        this.volumesAt = now;
        this.mountFailures = 0;
      } catch (e) {
        if (!(e instanceof VolumeError)) throw e;
        this.event("Warning", "FailedMount", e.message);
        this.mountFailures++;
        if (!this.volumes) {
          await this.writeStatus(rt, null);
          this.request(Math.min(2000 * 2 ** Math.min(this.mountFailures - 1, 5), 60_000));
          return;
        }
        this.volumesAt = now; // keep the old content; retry at the next refresh
      }
    }
    if (((spec.volumes ?? []) as KObj[]).some(isApiVolume)) this.request(this.ctx.tunables.volumeRefreshMs);

    // activeDeadlineSeconds: past it, the pod is killed and fails.
    const deadline = this.activeDeadline();
    if (deadline !== null) {
      if (Date.now() >= deadline) {
        await this.failPod("DeadlineExceeded", "Pod was active on the node longer than the specified deadline");
        return;
      }
      this.request(deadline - Date.now() + 50);
    }

    // Sandbox.
    const sandbox = await this.ensureSandbox(rt);
    if (!sandbox) return;
    const state = this.ctx.cache.pod(this.uid);
    const records = this.recordsBySandbox(state.containers, sandbox.id);

    // Init containers in order, then the containers.
    let initDone = true;
    for (const c of (spec.initContainers ?? []) as KObj[]) {
      const recs = records.get(c.name) ?? [];
      const latest = recs[0];
      if (c.restartPolicy === "Always") {
        if (latest?.state === "running") {
          await this.checkLiveness(c, "init", latest, sandbox.ip);
          if (this.startupResult(c, latest) === "success") continue;
          initDone = false;
          break;
        }
        await this.maybeStart(c, "init", latest, sandbox, true);
        initDone = false;
        if (!c.startupProbe) this.request(); // started: the next init container may go
        break;
      }
      if (latest && isDone(latest) && latest.exitCode === 0 && !latest.error) continue;
      initDone = false;
      if (latest?.state === "running") break;
      if (latest && isDone(latest) && spec.restartPolicy === "Never") break; // the pod failed
      await this.maybeStart(c, "init", latest, sandbox, true);
      break;
    }
    for (const c of (spec.containers ?? []) as KObj[]) {
      if (!initDone) {
        this.waiting.set(c.name, { reason: "PodInitializing" });
        continue;
      }
      const latest = (records.get(c.name) ?? [])[0];
      if (latest?.state === "running") {
        this.waiting.delete(c.name);
        if (latest.labels[AGENT_LABELS.containerHash] && latest.labels[AGENT_LABELS.containerHash] !== containerHash(c)) {
          await killContainer(this.ctx, pod, c, latest.id, sandbox.ip, this.grace(), `Container ${c.name} definition changed, will be restarted`, this.event);
          this.request();
          continue;
        }
        if (await this.checkLiveness(c, "regular", latest, sandbox.ip)) this.request();
        continue;
      }
      const policy = spec.restartPolicy ?? "Always";
      if (latest && isDone(latest) && (policy === "Never" || (policy === "OnFailure" && latest.exitCode === 0 && !latest.error))) {
        this.waiting.delete(c.name);
        continue;
      }
      await this.maybeStart(c, "regular", latest, sandbox, latest !== undefined && isDone(latest));
    }

    this.syncProbes(sandbox.ip);
    this.gcAttempts(records);
    await this.writeStatus(this.ctx.cache.pod(this.uid), sandbox);
  }

  private grace(probe?: KObj): number {
    return Number(probe?.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30);
  }

  private startupResult(c: KObj, latest: ContainerInfo) {
    if (!c.startupProbe) return "success";
    return this.ctx.prober.result(this.uid, c.name, "startup", latest.id);
  }

  /** Kills a running container whose liveness (or startup) probe failed. True when it did. */
  private async checkLiveness(c: KObj, kind: Kind, latest: ContainerInfo, ip: string): Promise<boolean> {
    const prober = this.ctx.prober;
    let probe: KObj | undefined;
    let what = "";
    if (c.startupProbe && prober.result(this.uid, c.name, "startup", latest.id) === "failure") {
      probe = c.startupProbe;
      what = "startup";
    } else if (c.livenessProbe && prober.result(this.uid, c.name, "liveness", latest.id) === "failure") {
      probe = c.livenessProbe;
      what = "liveness";
    }
    if (!probe) return false;
    await killContainer(this.ctx, this.pod, c, latest.id, ip, this.grace(probe), `Container ${c.name} failed ${what} probe, will be restarted`, this.event, kind);
    return true;
  }

  /** Starts a first or next attempt of a container, unless its back-off holds it. */
  private async maybeStart(c: KObj, kind: Kind, latest: ContainerInfo | undefined, sandbox: { id: string; ip: string }, isRestart: boolean): Promise<void> {
    const key = `${this.uid}/${c.name}`;
    if (latest && latest.state === "created" && !latest.error) {
      // Created but never started (e.g. the agent stopped in between): start it now.
      try {
        await this.ctx.limiter.run(() => this.ctx.runtime.startContainer(latest.id), PRIORITY_CONTAINER + 1);
        this.event("Normal", "Started", `Started container ${c.name}`, fieldPath(kind, c.name));
      } catch (e) {
        this.event("Warning", "Failed", `Error: ${(e as Error).message}`, fieldPath(kind, c.name));
      }
      await this.ctx.cache.refreshContainer(latest.id).catch(() => null);
      this.request();
      return;
    }
    if (isRestart && latest) {
      const finished = (latest.finishedAt ?? latest.createdAt ?? new Date()).getTime();
      const until = this.ctx.backoff.blockedUntil(key, finished);
      if (until !== null) {
        const secs = Math.round(this.ctx.backoff.delay(key) / 1000);
        this.waiting.set(c.name, { reason: "CrashLoopBackOff", message: `back-off ${secs}s restarting failed container=${c.name} pod=${podRef(this.pod)}` });
        this.event("Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${podRef(this.pod)}`, fieldPath(kind, c.name));
        this.request(until - Date.now() + 50);
        return;
      }
      this.ctx.backoff.next(key);
    }
    const restartCount = this.nextRestartCount(c.name, latest, kind);
    const r = await startContainer(this.ctx, {
      pod: this.pod,
      container: c,
      type: kind,
      restartCount,
      sandbox,
      volumes: this.volumes?.volumes ?? new Map(),
      podDir: this.podDir,
      event: this.event,
    });
    if (r.waiting) {
      this.waiting.set(c.name, r.waiting);
      const retry = this.ctx.images.retryAt(this.uid, c.image);
      this.request(retry ? retry - Date.now() + 50 : 5000);
    } else {
      this.waiting.delete(c.name);
      if (r.info && r.info.state !== "running") this.request(50);
    }
  }

  private nextRestartCount(name: string, latest: ContainerInfo | undefined, kind: Kind): number {
    if (latest) return restartCountOf(latest.labels) + 1;
    const list = (kind === "init" ? this.pod.status?.initContainerStatuses : this.pod.status?.containerStatuses) ?? [];
    const st = (list as KObj[]).find((s) => s.name === name);
    return st?.containerID ? Number(st.restartCount ?? 0) + 1 : 0;
  }

  /** Attempts per container name in this sandbox, newest first. */
  private recordsBySandbox(containers: ContainerInfo[], sandboxId: string): Map<string, ContainerInfo[]> {
    const m = new Map<string, ContainerInfo[]>();
    for (const c of containers) {
      if (c.sandboxId && c.sandboxId !== sandboxId) continue;
      const n = c.labels[LABELS.containerName] ?? "";
      const list = m.get(n) ?? [];
      list.push(c);
      m.set(n, list);
    }
    for (const list of m.values()) {
      list.sort((a, b) => restartCountOf(b.labels) - restartCountOf(a.labels) || (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    }
    return m;
  }

  /** Keeps the latest two attempts of each container (current and previous, for logs --previous). */
  private gcAttempts(records: Map<string, ContainerInfo[]>): void {
    for (const list of records.values()) {
      for (const old of list.slice(2)) {
        if (!isDone(old) || this.removing.has(old.id)) continue;
        this.removing.add(old.id);
        const s = this.ctx.cache.seq();
        void this.ctx.runtime
          .removeContainer(old.id)
          .then(
            () => this.ctx.cache.dropContainer(old.id, s),
            () => {},
          )
          .finally(() => this.removing.delete(old.id));
      }
    }
  }

  private volumeContext() {
    const ip = this.ctx.cache.pod(this.uid).sandboxes.find((s) => s.state === "ready")?.ip;
    return {
      pod: this.pod,
      podDir: this.podDir,
      client: this.ctx.client,
      source: this.ctx.source,
      tokens: this.ctx.tokens,
      addresses: { podIPs: ip ? [ip] : [], hostIPs: this.ctx.hostIPs() },
      allocatable: this.ctx.allocatable(),
      canMount: this.ctx.canMount,
    };
  }

  /** Returns the ready sandbox, creating one (after removing dead ones) when needed. */
  private async ensureSandbox(rt: { sandboxes: SandboxInfo[]; containers: ContainerInfo[] }): Promise<{ id: string; ip: string } | null> {
    const ready = rt.sandboxes.filter((s) => s.state === "ready").sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    const keep = ready[0];
    const stale = rt.sandboxes.filter((s) => s !== keep);
    for (const s of stale) {
      const seq = this.ctx.cache.seq();
      await this.ctx.runtime.removeSandbox(s.id).catch((e) => log.warn("removing a dead sandbox failed", { id: s.id, error: e as Error }));
      this.ctx.cache.dropSandbox(s.id, seq);
      for (const c of rt.containers) if (c.sandboxId === s.id) this.ctx.cache.dropContainer(c.id, seq);
    }
    if (keep) {
      const ip = this.pod.spec?.hostNetwork ? (this.ctx.hostIPs()[0] ?? "") : keep.ip;
      return { id: keep.id, ip };
    }
    if (stale.length) this.event("Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
    const name = sandboxName(this.pod.metadata);
    const labels = sandboxLabels(this.ctx.nodeName, this.pod.metadata);
    const seq = this.ctx.cache.seq();
    try {
      const sb = await this.ctx.limiter.run(() => this.ctx.runtime.createSandbox(sandboxSpec(this.pod, name, labels)));
      this.ctx.cache.putSandbox({ id: sb.id, name, labels, state: "ready", ip: sb.ip, createdAt: new Date() }, seq);
      this.sandboxFailures = 0;
      const ip = this.pod.spec?.hostNetwork ? (this.ctx.hostIPs()[0] ?? "") : sb.ip;
      return { id: sb.id, ip };
    } catch (e) {
      if (e instanceof AlreadyExistsError && this.sandboxFailures < 2) {
        // Left by an earlier agent that stopped mid-create: the relist brings it into the cache.
        this.sandboxFailures++;
        await this.ctx.cache.relist();
        this.request(100);
        return null;
      }
      this.sandboxFailures++;
      this.event("Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${(e as Error).message}`);
      await this.writeStatus(this.ctx.cache.pod(this.uid), null);
      this.request(Math.min(1000 * 2 ** Math.min(this.sandboxFailures - 1, 6), 60_000));
      return null;
    }
  }

  private syncProbes(ip: string): void {
    const running: ProbeContainer[] = [];
    const state = this.ctx.cache.pod(this.uid);
    const reported = new Map<string, KObj>();
    for (const s of [...(this.pod.status?.containerStatuses ?? []), ...(this.pod.status?.initContainerStatuses ?? [])] as KObj[]) reported.set(s.name, s);
    const specs = [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])] as KObj[];
    for (const c of state.containers) {
      if (c.state !== "running") continue;
      const spec = specs.find((s) => s.name === c.labels[LABELS.containerName]);
      if (!spec || !(spec.livenessProbe || spec.readinessProbe || spec.startupProbe)) continue;
      const rep = reported.get(spec.name);
      const same = rep?.containerID?.endsWith(`://${c.id}`);
      running.push({ name: spec.name, spec, containerId: c.id, startedAt: c.startedAt?.getTime() ?? Date.now(), reported: same ? { ready: rep!.ready, started: rep!.started } : undefined });
    }
    this.probeIP = ip;
    this.ctx.prober.sync(this.uid, running);
  }

  probeIP = "";

  /** Probe target of one of this pod's containers (for the prober). */
  target(containerName: string) {
    const c = this.ctx.cache
      .pod(this.uid)
      .containers.filter((x) => x.labels[LABELS.containerName] === containerName && x.state === "running")
      .sort((a, b) => restartCountOf(b.labels) - restartCountOf(a.labels))[0];
    const spec = ([...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])] as KObj[]).find((s) => s.name === containerName);
    if (!c || !spec) return null;
    return probeTarget(this.ctx, this.pod, spec, c.id, this.probeIP);
  }

  // ------------------------------------------------------------------ status

  private views(kind: Kind, containers: ContainerInfo[], sandboxId: string | null): ContainerView[] {
    const specs = ((kind === "init" ? this.pod.spec?.initContainers : this.pod.spec?.containers) ?? []) as KObj[];
    const records = this.recordsBySandbox(containers, sandboxId ?? "");
    const reported = ((kind === "init" ? this.pod.status?.initContainerStatuses : this.pod.status?.containerStatuses) ?? []) as KObj[];
    return specs.map((c) => {
      const recs = sandboxId === null ? containers.filter((x) => x.labels[LABELS.containerName] === c.name).sort((a, b) => restartCountOf(b.labels) - restartCountOf(a.labels)) : (records.get(c.name) ?? []);
      const latest = recs[0] ?? null;
      const running = latest?.state === "running";
      const started = running && this.startupResult(c, latest) === "success";
      const ready = started && (!c.readinessProbe || this.ctx.prober.result(this.uid, c.name, "readiness", latest.id) === "success");
      const old = reported.find((s) => s.name === c.name);
      return {
        name: c.name,
        image: c.image,
        latest,
        previous: recs[1] ?? null,
        restartCount: latest ? restartCountOf(latest.labels) : Number(old?.restartCount ?? 0),
        waiting: latest?.state === "running" ? undefined : this.waiting.get(c.name),
        ready,
        started,
        messages: this.messages,
      };
    });
  }

  private async loadMessages(containers: ContainerInfo[]): Promise<void> {
    const specs = [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])] as KObj[];
    for (const c of containers) {
      if (!isDone(c) || c.id in this.messages) continue;
      const spec = specs.find((s) => s.name === c.labels[LABELS.containerName]);
      this.messages[c.id] = await terminationMessage(this.ctx, this.podDir, spec, c, restartCountOf(c.labels));
    }
  }

  private async writeStatus(state: { sandboxes: SandboxInfo[]; containers: ContainerInfo[] }, sandbox: { id: string; ip: string } | null): Promise<void> {
    await this.loadMessages(state.containers);
    const sb = sandbox ?? state.sandboxes.find((s) => s.state === "ready") ?? null;
    const hostIPs = this.ctx.hostIPs();
    const ip = this.pod.spec?.hostNetwork ? (hostIPs[0] ?? "") : (sb?.ip ?? "");
    const next = buildStatus({
      pod: this.pod,
      runtime: this.ctx.runtimeName,
      init: this.views("init", state.containers, sb?.id ?? null),
      regular: this.views("regular", state.containers, sb?.id ?? null),
      sandboxReady: !!sb,
      podIPs: ip ? [ip] : [],
      hostIPs,
      startTime: this.firstSeen,
      now: new Date(),
      failure: this.failure ?? undefined,
    });
    const patch = statusPatch(this.pod.status, next);
    if (!patch) return;
    try {
      const res = await this.ctx.client.patch(R.pods, this.pod.metadata.namespace, this.pod.metadata.name, { metadata: { uid: this.uid }, status: patch }, "merge", { subresource: "status" });
      if (res?.metadata?.uid === this.uid) this.update(res);
      if (next.phase === "Succeeded" || next.phase === "Failed") this.request();
    } catch (e) {
      if (isNotFound(e)) return; // gone; the informer will tell us
      log.warn("status update failed", { pod: `${this.pod.metadata.namespace}/${this.pod.metadata.name}`, error: e as Error });
      this.request(1000);
    }
  }

  // ------------------------------------------------------------------ endings

  private activeDeadline(): number | null {
    const ads = this.pod.spec?.activeDeadlineSeconds;
    if (typeof ads !== "number" || ads <= 0) return null;
    const start = Date.parse(this.pod.status?.startTime ?? "") || this.firstSeen.getTime();
    return start + ads * 1000;
  }

  /** Kills the pod's containers and reports it Failed with `reason` (the kubelet's DeadlineExceeded path). */
  private async failPod(reason: string, message: string): Promise<void> {
    this.event("Normal", reason, message);
    const state = this.ctx.cache.pod(this.uid);
    const specs = [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])] as KObj[];
    const ip = state.sandboxes.find((s) => s.state === "ready")?.ip ?? "";
    await Promise.all(
      state.containers
        .filter((c) => c.state === "running")
        .map((c) => killContainer(this.ctx, this.pod, specs.find((x) => x.name === c.labels[LABELS.containerName]), c.id, ip, this.grace(), `Stopping container ${c.labels[LABELS.containerName]}`, this.event)),
    );
    this.failure = { reason, message };
    await this.writeStatus(this.ctx.cache.pod(this.uid), null);
  }

  private async finishTerminal(sandboxes: SandboxInfo[]): Promise<void> {
    if (this.terminalHandled) return;
    this.terminalHandled = true;
    this.ctx.prober.stopPod(this.uid);
    for (const s of sandboxes) {
      if (s.state !== "ready") continue;
      const seq = this.ctx.cache.seq();
      await this.ctx.runtime.stopSandbox(s.id, this.grace()).catch((e) => log.warn("stopping the sandbox of a finished pod failed", { error: e as Error }));
      this.ctx.cache.putSandbox({ ...s, state: "notready", ip: "" }, seq);
    }
  }

  private async terminate(): Promise<void> {
    await killPod(this.ctx, this.pod, { podDir: this.podDir, removed: this.removed, event: this.event });
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.onFinished(this.uid);
    this.resolveDone();
  }
}
