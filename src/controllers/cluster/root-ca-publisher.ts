/**
 * @module controllers/cluster/root-ca-publisher
 * Publishes the cluster CA as the `kube-root-ca.crt` ConfigMap (key ca.crt) in every
 * active namespace and puts it back when it is edited or deleted, like upstream's
 * root-ca-cert-publisher. The CA comes from `<dataDir>/server/tls/ca.crt` of the server
 * running the controllers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type KObj, type KubeClient } from "../../client/client.ts";
import type { Informer } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { isNamespaceTerminating } from "./api-errors.ts";
import { namespaceActive } from "./serviceaccounts.ts";
import { Worker } from "./worker.ts";

const log = logger("root-ca-cert-publisher");
export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
export const DESCRIPTION_ANNOTATION = "kubernetes.io/description";
export const DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

export class RootCAPublisher implements Controller {
  readonly name = "root-ca-cert-publisher";
  private worker?: Worker;
  private client!: KubeClient;
  private namespaces!: Informer;
  private configmaps!: Informer;
  private caPem = "";

  /** `caPem` overrides reading the CA from the data dir (for tests and servers that pass it in). */
  constructor(private readonly opts: { caPem?: string } = {}) {}

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    try {
      this.caPem = this.opts.caPem ?? readFileSync(join(ctx.options.dataDir, "server", "tls", "ca.crt"), "utf8");
    } catch (e) {
      log.error("cannot read the cluster CA; kube-root-ca.crt is not published", { error: e as Error });
      return;
    }
    this.namespaces = ctx.informers.for(R.namespaces);
    this.configmaps = ctx.informers.for(R.configmaps, { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}` });
    const w = (this.worker = new Worker({ informers: [this.namespaces, this.configmaps], handler: (k) => this.sync(k), log }));
    this.namespaces.addHandlers({ add: (ns) => w.queue.add(ns.metadata.name), update: (_a, ns) => w.queue.add(ns.metadata.name) });
    this.configmaps.addHandlers({ update: (_a, cm) => w.queue.add(cm.metadata.namespace), delete: (cm) => w.queue.add(cm.metadata.namespace) });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private async sync(ns: string) {
    if (!namespaceActive(this.namespaces.get(undefined, ns))) return;
    const cur = this.configmaps.get(ns, ROOT_CA_CONFIGMAP);
    const data = { "ca.crt": this.caPem };
    try {
      if (!cur) {
        await this.client.create(R.configmaps, ns, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data });
        return;
      }
      if (JSON.stringify(cur.data ?? {}) === JSON.stringify(data) && !cur.binaryData && cur.metadata.annotations?.[DESCRIPTION_ANNOTATION] === DESCRIPTION) return;
      const next: KObj = { ...cur, data, metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION } } };
      delete next.binaryData;
      await this.client.update(R.configmaps, ns, next);
    } catch (e) {
      // AlreadyExists/Conflict/NotFound mean the cache is behind: the retry sees the update.
      if (isNamespaceTerminating(e)) return;
      throw e;
    }
  }
}
