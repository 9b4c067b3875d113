/**
 * @module controllers/cluster/serviceaccounts
 * The serviceaccounts controller: every active namespace has a `default` ServiceAccount;
 * deleting it brings it back (pods default to spec.serviceAccountName "default").
 */
import { isAlreadyExists, type KObj, type KubeClient } from "../../client/client.ts";
import type { Informer } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { isNamespaceTerminating } from "./api-errors.ts";
import { Worker } from "./worker.ts";

const log = logger("serviceaccount-controller");
export const DEFAULT_SERVICE_ACCOUNT = "default";

export function namespaceActive(ns: KObj | undefined): boolean {
  return Boolean(ns) && !ns!.metadata.deletionTimestamp && (ns!.status?.phase ?? "Active") === "Active";
}

export class ServiceAccountsController implements Controller {
  readonly name = "serviceaccount";
  private worker?: Worker;
  private client!: KubeClient;
  private namespaces!: Informer;
  private accounts!: Informer;

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.namespaces = ctx.informers.for(R.namespaces);
    this.accounts = ctx.informers.for(R.serviceaccounts, { fieldSelector: `metadata.name=${DEFAULT_SERVICE_ACCOUNT}` });
    const w = (this.worker = new Worker({ informers: [this.namespaces, this.accounts], handler: (k) => this.sync(k), log }));
    this.namespaces.addHandlers({ add: (ns) => w.queue.add(ns.metadata.name), update: (_a, ns) => w.queue.add(ns.metadata.name) });
    this.accounts.addHandlers({ delete: (sa) => w.queue.add(sa.metadata.namespace) });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private async sync(ns: string) {
    if (!namespaceActive(this.namespaces.get(undefined, ns))) return;
    if (this.accounts.get(ns, DEFAULT_SERVICE_ACCOUNT)) return;
    try {
      await this.client.create(R.serviceaccounts, ns, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: ns } });
      log.debug("created default service account", { namespace: ns });
    } catch (e) {
      if (isAlreadyExists(e) || isNamespaceTerminating(e)) return;
      throw e;
    }
  }
}
