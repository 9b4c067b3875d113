/**
 * @module controllers/cluster/local-path-provisioner
 * The local-path provisioner (like k3s's): makes sure the default StorageClass
 * `local-path` exists, gives each claim of a class with provisioner kite.io/local-path a
 * hostPath PersistentVolume on one node — the node the scheduler picked for the claim's
 * first pod (annotation volume.kubernetes.io/selected-node) under WaitForFirstConsumer,
 * any Ready node under Immediate — binds claim and volume both ways (claimRef,
 * spec.volumeName, phase Bound), and deletes the volume when its claim is gone and the
 * reclaim policy is Delete (Retain: the volume becomes Released). The data directory on
 * the node is not removed.
 */
import { isAlreadyExists, isConflict, isNotFound, KubeApiError, type KObj, type KubeClient } from "../../client/client.ts";
import type { EventRecorder } from "../../client/events.ts";
import { objectKey, type Informer } from "../../client/informer.ts";
import { R } from "../../client/resources.ts";
import { logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { classFor, LOCAL_PATH_PROVISIONER, localPathRoot, localPathStorageClass, localPathVolume, pickNode, PROVISIONED_BY_ANNOTATION, pvNameFor, requestedClass, SELECTED_NODE_ANNOTATION, unsupported } from "./local-path-volume.ts";
import { Worker } from "./worker.ts";

const log = logger("local-path-provisioner");

export interface LocalPathOptions {
  /** Directory on the nodes that holds the volumes (default: $KITE_LOCAL_PATH_ROOT or /var/lib/kite/storage). */
  root?: string;
  /** Create the `local-path` StorageClass if missing (default true). */
  ensureStorageClass?: boolean;
}

export class LocalPathProvisioner implements Controller {
  readonly name = "local-path-provisioner";
  private worker?: Worker;
  private client!: KubeClient;
  private recorder!: EventRecorder;
  private claims!: Informer;
  private volumes!: Informer;
  private classes!: Informer;
  private nodes!: Informer;
  /** Claims told they wait for a consumer (one event each). */
  private waitingNoted = new Set<string>();

  constructor(private readonly opts: LocalPathOptions = {}) {}

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("kite.io/local-path");
    this.claims = ctx.informers.for(R.persistentvolumeclaims);
    this.volumes = ctx.informers.for(R.persistentvolumes);
    this.classes = ctx.informers.for(R.storageclasses);
    this.nodes = ctx.informers.for(R.nodes);
    const w = (this.worker = new Worker({
      informers: [this.claims, this.volumes, this.classes, this.nodes],
      handler: (k) => (k.startsWith("pv:") ? this.syncVolume(k.slice(3)) : this.syncClaim(k.slice(4))),
      onSynced: () => this.ensureClass(),
      log,
    }));
    const claim = (c: KObj) => w.queue.add(`pvc:${objectKey(c)}`);
    const volume = (v: KObj) => {
      w.queue.add(`pv:${v.metadata.name}`);
      const ref = v.spec?.claimRef;
      if (ref?.namespace && ref?.name) w.queue.add(`pvc:${ref.namespace}/${ref.name}`);
    };
    this.claims.addHandlers({
      add: claim,
      update: (_a, b) => claim(b),
      delete: (c) => {
        this.waitingNoted.delete(c.metadata.uid);
        const pv = c.spec?.volumeName;
        if (pv) w.queue.add(`pv:${pv}`);
        w.queue.add(`pv:${pvNameFor(c)}`); // provisioned but not yet bound
      },
    });
    this.volumes.addHandlers({ add: volume, update: (_a, b) => volume(b), delete: volume });
    // A new class or a node becoming Ready can unblock pending claims.
    const allPending = () => {
      for (const c of this.claims.list((x) => !x.spec?.volumeName)) claim(c);
    };
    this.classes.addHandlers({ add: allPending, update: allPending });
    this.nodes.addHandlers({ add: allPending, update: (a, b) => JSON.stringify(a.status?.conditions?.find((c: KObj) => c.type === "Ready")?.status) !== JSON.stringify(b.status?.conditions?.find((c: KObj) => c.type === "Ready")?.status) && allPending() });
    w.start();
  }

  async stop() {
    await this.worker?.stop();
  }

  private async ensureClass() {
    if (this.opts.ensureStorageClass === false) return;
    const sc = localPathStorageClass();
    if (this.classes.get(undefined, sc.metadata.name)) return;
    try {
      await this.client.create(R.storageclasses, undefined, sc);
      log.info("created the default StorageClass", { name: sc.metadata.name });
    } catch (e) {
      if (!isAlreadyExists(e)) log.warn("could not create the local-path StorageClass", { error: e as Error });
    }
  }

  private async syncClaim(key: string) {
    const pvc = this.claims.store.get(key);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    if (pvc.spec?.volumeName) {
      const pv = this.volumes.get(undefined, pvc.spec.volumeName);
      if (pv && pv.spec?.claimRef?.uid === pvc.metadata.uid) await this.completeBinding(pvc, pv);
      return;
    }
    const sc = classFor(pvc, this.classes.list());
    if (!sc || sc.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const why = unsupported(pvc);
    if (why) {
      this.recorder.event(pvc, "Warning", "ProvisioningFailed", `failed to provision volume with StorageClass "${sc.metadata.name}": ${why}`);
      return;
    }
    let node: KObj | string | undefined;
    if ((sc.volumeBindingMode ?? "Immediate") === "WaitForFirstConsumer") {
      const selected: string | undefined = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
      if (!selected) {
        if (!this.waitingNoted.has(pvc.metadata.uid)) {
          this.waitingNoted.add(pvc.metadata.uid);
          this.recorder.event(pvc, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
        }
        return;
      }
      node = this.nodes.get(undefined, selected) ?? selected;
    } else {
      node = pickNode(this.nodes.list(), this.volumes.list());
      if (!node) {
        this.recorder.event(pvc, "Warning", "ProvisioningFailed", `failed to provision volume with StorageClass "${sc.metadata.name}": no Ready node to place it on`);
        this.worker!.queue.addAfter(`pvc:${key}`, 5000);
        return;
      }
    }
    const name = pvNameFor(pvc);
    let pv = this.volumes.get(undefined, name) ?? null;
    if (!pv) {
      const nodeName = typeof node === "string" ? node : node.metadata.name;
      this.recorder.event(pvc, "Normal", "Provisioning", `External provisioner is provisioning volume for claim "${key}"`);
      try {
        pv = await this.client.create(R.persistentvolumes, undefined, localPathVolume(pvc, sc, node, this.opts.root ?? localPathRoot()));
        log.info("provisioned volume", { claim: key, volume: name, node: nodeName, path: pv.spec.hostPath.path });
        this.recorder.event(pvc, "Normal", "ProvisioningSucceeded", `Successfully provisioned volume ${name} on node ${nodeName}`);
      } catch (e) {
        if (!isAlreadyExists(e)) {
          this.recorder.event(pvc, "Warning", "ProvisioningFailed", `failed to provision volume with StorageClass "${sc.metadata.name}": ${(e as Error).message}`);
          throw e;
        }
        pv = await this.client.get(R.persistentvolumes, undefined, name);
      }
    }
    if (pv!.spec?.claimRef?.uid !== pvc.metadata.uid) return; // not ours to bind
    await this.completeBinding(pvc, pv!);
  }

  /** Volume Bound, claim pointing at it and Bound: each step only if not done yet. */
  private async completeBinding(pvc: KObj, pv: KObj) {
    const ns = pvc.metadata.namespace;
    if (pv.status?.phase !== "Bound") {
      await this.client.updateStatus(R.persistentvolumes, undefined, { ...pv, status: { ...pv.status, phase: "Bound" } });
    }
    let claim = await this.assignDefaultClass(pvc, pv);
    const ann = claim.metadata.annotations ?? {};
    if (claim.spec?.volumeName !== pv.metadata.name || ann["pv.kubernetes.io/bind-completed"] !== "yes") {
      claim = await this.client.update(R.persistentvolumeclaims, ns, {
        ...claim,
        metadata: {
          ...claim.metadata,
          annotations: {
            ...ann,
            "pv.kubernetes.io/bind-completed": "yes",
            "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.kubernetes.io/storage-provisioner": LOCAL_PATH_PROVISIONER,
            "volume.beta.kubernetes.io/storage-provisioner": LOCAL_PATH_PROVISIONER,
          },
        },
        spec: { ...claim.spec, volumeName: pv.metadata.name },
      });
    }
    if (claim.status?.phase !== "Bound") {
      await this.client.updateStatus(R.persistentvolumeclaims, ns, { ...claim, status: { ...claim.status, phase: "Bound", accessModes: pv.spec.accessModes, capacity: pv.spec.capacity } });
      log.info("claim bound", { claim: `${ns}/${claim.metadata.name}`, volume: pv.metadata.name });
    }
  }

  /**
   * Retroactive default class (upstream PV controller, 1.28+): a claim created without a
   * class, served by the default one, gets spec.storageClassName set while still unbound.
   * An API that refuses the change (422) leaves the claim classless; binding goes on.
   */
  private async assignDefaultClass(pvc: KObj, pv: KObj): Promise<KObj> {
    if (requestedClass(pvc) !== undefined || pvc.spec?.volumeName || !pv.spec?.storageClassName) return pvc;
    try {
      return await this.client.update(R.persistentvolumeclaims, pvc.metadata.namespace, { ...pvc, spec: { ...pvc.spec, storageClassName: pv.spec.storageClassName } });
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 422) {
        log.debug("API refused the retroactive default class; claim stays without one", { claim: objectKey(pvc) });
        return pvc;
      }
      throw e;
    }
  }

  /** A volume of ours whose claim is gone: deleted (reclaim policy Delete) or Released. */
  private async syncVolume(name: string) {
    const pv = this.volumes.get(undefined, name);
    if (!pv || pv.metadata.deletionTimestamp) return;
    if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return;
    const ref = pv.spec?.claimRef;
    if (!ref) return;
    const cached = this.claims.get(ref.namespace, ref.name);
    if (cached?.metadata.uid === ref.uid) return;
    // The cache may be behind: only the API saying so counts.
    const live = await this.client.getOrNull(R.persistentvolumeclaims, ref.namespace, ref.name);
    if (live?.metadata.uid === ref.uid) return;
    if ((pv.spec.persistentVolumeReclaimPolicy ?? "Retain") === "Delete") {
      try {
        await this.client.delete(R.persistentvolumes, undefined, name, { preconditions: { uid: pv.metadata.uid } });
        log.info("deleted volume of a deleted claim", { volume: name, claim: `${ref.namespace}/${ref.name}` });
        this.recorder.event(pv, "Normal", "VolumeDeleted", `Deleted volume ${name}: claim ${ref.namespace}/${ref.name} is gone (reclaim policy Delete); its data stays on node ${pv.metadata.annotations?.[SELECTED_NODE_ANNOTATION] ?? "?"}`);
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      return;
    }
    if (pv.status?.phase !== "Released") {
      await this.client.updateStatus(R.persistentvolumes, undefined, { ...pv, status: { ...pv.status, phase: "Released" } });
    }
  }
}
