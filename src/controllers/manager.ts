/**
 * @module controllers/manager
 * Runs a set of controllers (and the scheduler, which has the same shape) on exactly one
 * server at a time: a Lease-based leader election starts them on the leader and stops them
 * when leadership is lost, like kube-controller-manager's --leader-elect.
 */
import type { KubeClient } from "../client/client.ts";
import { EventRecorder } from "../client/events.ts";
import { InformerFactory } from "../client/informer.ts";
import { LeaderElector } from "./framework/leader-election.ts";
import type { Controller, ControllerContext, ControllerOptions } from "./types.ts";
import { logger } from "../util/log.ts";

const log = logger("controller-manager");

export interface ManagerOptions extends ControllerOptions {
  /** Lease name (kube-system). */
  leaseName: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryMs?: number;
}

export class ControllerManager {
  private elector: LeaderElector;
  private running?: { informers: InformerFactory; controllers: Controller[] };
  private starting?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly factories: (() => Controller)[],
    private readonly opts: ManagerOptions,
  ) {
    this.elector = new LeaderElector(client, {
      name: opts.leaseName,
      identity: opts.identity,
      leaseDurationSeconds: opts.leaseDurationSeconds,
      retryMs: opts.retryMs,
      onStartedLeading: () => {
        this.starting = this.startControllers();
      },
      onStoppedLeading: () => void this.stopControllers(),
    });
  }

  start() {
    this.elector.start();
  }

  isLeader() {
    return this.elector.isLeader();
  }

  private async startControllers() {
    const informers = new InformerFactory(this.client);
    const ctx: ControllerContext = {
      client: this.client,
      informers,
      recorder: (component) => new EventRecorder(this.client, component, this.opts.hostName),
      options: this.opts,
    };
    const controllers = this.factories.map((f) => f());
    this.running = { informers, controllers };
    for (const c of controllers) {
      try {
        await c.start(ctx);
      } catch (e) {
        log.error("controller failed to start", { controller: c.name, error: e as Error });
      }
    }
    informers.startAll();
    log.info("controllers started", { lease: this.opts.leaseName, controllers: controllers.map((c) => c.name).join(",") });
  }

  private async stopControllers() {
    await this.starting;
    const r = this.running;
    this.running = undefined;
    if (!r) return;
    for (const c of r.controllers) {
      try {
        await c.stop();
      } catch (e) {
        log.warn("controller failed to stop", { controller: c.name, error: e as Error });
      }
    }
    r.informers.stopAll();
  }

  async stop() {
    await this.elector.stop();
    await this.stopControllers();
  }
}
