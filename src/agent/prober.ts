/**
 * @module agent/prober
 * Liveness, readiness and startup probe workers, one per (pod, container, kind) while
 * the container runs, with the kubelet's semantics: nothing before initialDelaySeconds,
 * then one probe every periodSeconds with timeoutSeconds; a result flips after
 * successThreshold consecutive successes or failureThreshold consecutive failures;
 * liveness and readiness wait for the startup probe. Initial results: readiness
 * failure, liveness success, startup unknown (an adopted container keeps what the API
 * last said of the same container id). A changed result calls `onChange(podUid)`.
 */
import type { KObj } from "../client/client.ts";
import type { ProbeOutcome, ProbeTarget } from "./probes.ts";

export type ProbeKind = "liveness" | "readiness" | "startup";
export type ProbeResult = "success" | "failure" | "unknown";

export interface ProbeContainer {
  name: string;
  spec: KObj;
  containerId: string;
  /** Epoch ms the container started. */
  startedAt: number;
  /** What the API last reported for this same container id, if anything. */
  reported?: { ready?: boolean; started?: boolean };
}

export interface ProberDeps {
  run(probe: KObj, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome>;
  target(podUid: string, containerName: string): ProbeTarget | null;
  onChange(podUid: string): void;
  /** Called after every failed attempt (for the Unhealthy event). */
  onFailure(podUid: string, containerName: string, kind: ProbeKind, message: string): void;
  now?: () => number;
}

const FIELD: Record<ProbeKind, string> = { liveness: "livenessProbe", readiness: "readinessProbe", startup: "startupProbe" };

interface Worker {
  podUid: string;
  container: ProbeContainer;
  kind: ProbeKind;
  probe: KObj;
  result: ProbeResult;
  successes: number;
  failures: number;
  timer: ReturnType<typeof setTimeout> | null;
  stopped: boolean;
  /** After a liveness/startup failure the worker pauses until the container is replaced. */
  paused: boolean;
}

function seconds(v: unknown, dflt: number, min = 0): number {
  const n = typeof v === "number" && Number.isFinite(v) ? v : dflt;
  return Math.max(min, n);
}

export class Prober {
  private readonly workers = new Map<string, Worker>();
  private readonly now: () => number;

  constructor(private readonly deps: ProberDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Makes the workers of a pod match its running containers: starts workers for new
   * container ids, stops the ones whose container is gone or was replaced.
   */
  sync(podUid: string, running: ProbeContainer[]): void {
    const want = new Set<string>();
    for (const c of running) {
      for (const kind of ["startup", "liveness", "readiness"] as ProbeKind[]) {
        const probe = c.spec[FIELD[kind]];
        if (!probe) continue;
        const key = `${podUid}/${c.name}/${kind}`;
        want.add(key);
        const w = this.workers.get(key);
        if (w && w.container.containerId === c.containerId) continue;
        if (w) this.stopWorker(key, w);
        this.startWorker(key, podUid, c, kind, probe);
      }
    }
    for (const [key, w] of this.workers) if (w.podUid === podUid && !want.has(key)) this.stopWorker(key, w);
  }

  stopPod(podUid: string): void {
    for (const [key, w] of this.workers) if (w.podUid === podUid) this.stopWorker(key, w);
  }

  stopAll(): void {
    for (const [key, w] of this.workers) this.stopWorker(key, w);
  }

  /**
   * Current result for a container id; containers without such a probe count as
   * success. A container id without a worker yet gets the kind's initial value.
   */
  result(podUid: string, container: string, kind: ProbeKind, containerId: string): ProbeResult {
    const w = this.workers.get(`${podUid}/${container}/${kind}`);
    if (!w || w.container.containerId !== containerId) return kind === "liveness" ? "success" : kind === "readiness" ? "failure" : "unknown";
    return w.result;
  }

  has(podUid: string, container: string, kind: ProbeKind): boolean {
    return this.workers.has(`${podUid}/${container}/${kind}`);
  }

  get size(): number {
    return this.workers.size;
  }

  private startWorker(key: string, podUid: string, c: ProbeContainer, kind: ProbeKind, probe: KObj) {
    let result: ProbeResult = kind === "liveness" ? "success" : kind === "readiness" ? "failure" : "unknown";
    if (kind === "readiness" && c.reported?.ready) result = "success";
    if (kind === "startup" && c.reported?.started) result = "success";
    const w: Worker = { podUid, container: c, kind, probe, result, successes: 0, failures: 0, timer: null, stopped: false, paused: false };
    this.workers.set(key, w);
    if (kind === "startup" && result === "success") return; // done already
    const initialDelay = seconds(probe.initialDelaySeconds, 0) * 1000;
    const wait = Math.max(0, c.startedAt + initialDelay - this.now());
    w.timer = setTimeout(() => void this.tick(w), wait);
  }

  private stopWorker(key: string, w: Worker) {
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
    this.workers.delete(key);
  }

  private startupDone(w: Worker): boolean {
    if (w.kind === "startup") return true;
    const s = this.workers.get(`${w.podUid}/${w.container.name}/startup`);
    return !s || s.container.containerId !== w.container.containerId || s.result === "success";
  }

  private async tick(w: Worker) {
    if (w.stopped) return;
    const period = seconds(w.probe.periodSeconds, 10, 1) * 1000;
    if (!w.paused && this.startupDone(w)) {
      const target = this.deps.target(w.podUid, w.container.name);
      if (target && target.containerId === w.container.containerId) {
        const timeout = seconds(w.probe.timeoutSeconds, 1, 1) * 1000;
        let out: ProbeOutcome;
        try {
          out = await this.deps.run(w.probe, target, timeout);
        } catch (e) {
          out = { status: "failure", message: (e as Error).message };
        }
        if (w.stopped) return;
        this.record(w, out);
      }
    }
    if (!w.stopped && !(w.kind === "startup" && w.result === "success")) w.timer = setTimeout(() => void this.tick(w), period);
  }

  private record(w: Worker, out: ProbeOutcome) {
    const successThreshold = w.kind === "readiness" ? seconds(w.probe.successThreshold, 1, 1) : 1;
    const failureThreshold = seconds(w.probe.failureThreshold, 3, 1);
    let next = w.result;
    if (out.status === "success") {
      w.failures = 0;
      w.successes++;
      if (w.successes >= successThreshold) next = "success";
    } else {
      w.successes = 0;
      w.failures++;
      this.deps.onFailure(w.podUid, w.container.name, w.kind, out.message);
      if (w.failures >= failureThreshold) next = "failure";
    }
    // A failed liveness/startup result means a restart: stop probing this container id.
    if (next === "failure" && w.kind !== "readiness") w.paused = true;
    if (next !== w.result) {
      w.result = next;
      this.deps.onChange(w.podUid);
    }
  }
}
