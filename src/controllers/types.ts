/**
 * @module controllers/types
 * What every controller gets and implements. Controllers (and the scheduler) read from
 * shared informer caches and write through the one API client, like kube-controller-manager.
 */
import type { KubeClient } from "../client/client.ts";
import type { EventRecorder } from "../client/events.ts";
import type { InformerFactory } from "../client/informer.ts";

export interface ControllerOptions {
  /** Seconds without a node heartbeat before the node is NotReady/Unknown (upstream: 40). */
  nodeMonitorGracePeriodSeconds: number;
  /** Node name of this server (for events' source.host). */
  hostName: string;
  /** Data dir of this server (the local-path provisioner keeps volumes under it on its node). */
  dataDir: string;
}

export interface ControllerContext {
  client: KubeClient;
  informers: InformerFactory;
  recorder(component: string): EventRecorder;
  options: ControllerOptions;
}

export interface Controller {
  readonly name: string;
  /** Register informer handlers and start workers. Informers are started by the manager after all controllers registered. */
  start(ctx: ControllerContext): void | Promise<void>;
  stop(): void | Promise<void>;
}
