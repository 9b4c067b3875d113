/**
 * @module store/vacuum
 * Background upkeep loop after compaction: removes unreachable history in
 * small steps (one short transaction each, yielding to the event loop between
 * steps so writers interleave), then, if many pages are free, returns them to
 * the file system and truncates the WAL.
 */
import type { MvccStateMachine } from "./mvcc.ts";

export interface VacuumLoopOptions {
  /** Most history rows examined per step (one transaction). */
  stepRows?: number;
  /** Time budget per step, ms (the write lock is held about this long). */
  stepBudgetMs?: number;
  /** Pages freed per reclaim step. */
  reclaimPages?: number;
  /** Reclaim when free pages exceed this share of the file (and at least 1 MiB). */
  reclaimFreeRatio?: number;
}

export class VacuumLoop {
  private running = false;
  /** Reclaiming free pages (continues until none are left once started). */
  private reclaiming = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly stepRows: number;
  private readonly stepBudgetMs: number;
  private readonly reclaimPages: number;
  private readonly reclaimFreeRatio: number;

  constructor(private readonly sm: MvccStateMachine, opts: VacuumLoopOptions = {}) {
    this.stepRows = opts.stepRows ?? 5000;
    this.stepBudgetMs = opts.stepBudgetMs ?? 2;
    this.reclaimPages = opts.reclaimPages ?? 256;
    this.reclaimFreeRatio = opts.reclaimFreeRatio ?? 0.25;
  }

  /** Starts the loop if there is work and it is not running. */
  kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    setImmediate(() => this.step());
  }

  /** Resolves when the loop has nothing left to do. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.finish();
  }

  private finish(): void {
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private step(): void {
    if (this.stopped) return;
    try {
      if (this.sm.vacuumPending()) {
        this.sm.vacuumStep(this.stepRows, this.stepBudgetMs);
        setImmediate(() => this.step());
        return;
      }
      if (this.shouldReclaim()) {
        const left = this.sm.reclaimSpace(this.reclaimPages);
        if (left > 0) {
          setImmediate(() => this.step());
          return;
        }
        this.sm.checkpoint();
      }
    } catch (err) {
      console.error("store: vacuum step failed (will retry on the next compaction):", err);
    }
    this.finish();
  }

  private shouldReclaim(): boolean {
    const { free, total, pageSize } = this.sm.pageStats();
    // Hysteresis: once started, reclaim until nothing is free.
    if (this.reclaiming) {
      this.reclaiming = free > 0;
      return this.reclaiming;
    }
    this.reclaiming = free * pageSize >= 1 << 20 && free >= total * this.reclaimFreeRatio;
    return this.reclaiming;
  }
}
