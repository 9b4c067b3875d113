/**
 * @module agent/images
 * Image pull policies with the kubelet's events and waiting reasons: Pulling/Pulled
 * ("already present on machine"), ErrImagePull then ImagePullBackOff with the restart
 * back-off curve, ErrImageNeverPull, InvalidImageName. Images known to be present
 * are remembered for a while, so starting many pods of one image does not ask the
 * engine once per container.
 */
import type { KObj } from "../client/client.ts";
import type { Backoff } from "./backoff.ts";
import { normalizeImageRef } from "./runtime/image-ref.ts";
import { type ContainerRuntime, ImagePullError, InvalidSpecError, type PullPolicy } from "./runtime/types.ts";
import type { Waiting } from "./status.ts";

export type EventFn = (type: "Normal" | "Warning", reason: string, message: string) => void;

export class ImageManager {
  private readonly present = new Map<string, number>();
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly backoff: Backoff,
    private readonly knownTtlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The image is gone after all (the engine said so while creating a container). */
  forget(image: string): void {
    try {
      this.present.delete(normalizeImageRef(image));
    } catch {
      /* invalid names were never cached */
    }
  }

  private known(ref: string): boolean {
    const t = this.present.get(ref);
    return t !== undefined && this.now() - t < this.knownTtlMs;
  }

  /**
   * Makes the container's image available per its policy. Resolves null when the
   * container can be created, else the waiting reason to report.
   */
  async ensure(podUid: string, container: KObj, policy: PullPolicy, event: EventFn): Promise<Waiting | null> {
    const image: string = container.image ?? "";
    let ref: string;
    try {
      ref = normalizeImageRef(image);
    } catch (e) {
      const message = `Failed to apply default image tag "${image}": ${(e as InvalidSpecError).message}`;
      event("Warning", "InspectFailed", message);
      return { reason: "InvalidImageName", message };
    }
    const key = `${podUid}|${ref}`;
    if (policy !== "Always" && this.known(ref)) {
      event("Normal", "Pulled", `Container image "${image}" already present on machine`);
      return null;
    }
    if (policy !== "Always") {
      let exists: boolean;
      try {
        exists = await this.runtime.imageExists(ref);
      } catch (e) {
        return { reason: "ErrImagePull", message: (e as Error).message };
      }
      if (exists) {
        this.present.set(ref, this.now());
        event("Normal", "Pulled", `Container image "${image}" already present on machine`);
        return null;
      }
      if (policy === "Never") {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        event("Warning", "ErrImageNeverPull", message);
        return { reason: "ErrImageNeverPull", message };
      }
    }
    const failed = this.failedAt.get(key);
    if (failed !== undefined && this.backoff.blockedUntil(key, failed) !== null) {
      const message = `Back-off pulling image "${image}"`;
      event("Normal", "BackOff", message);
      return { reason: "ImagePullBackOff", message };
    }
    event("Normal", "Pulling", `Pulling image "${image}"`);
    const t0 = this.now();
    try {
      await this.runtime.pullImage(ref);
    } catch (e) {
      this.failedAt.set(key, this.now());
      this.backoff.next(key);
      const why = e instanceof ImagePullError ? e.message : (e as Error).message;
      event("Warning", "Failed", `Failed to pull image "${image}": ${why}`);
      event("Warning", "Failed", "Error: ErrImagePull");
      return { reason: "ErrImagePull", message: why };
    }
    this.failedAt.delete(key);
    this.backoff.reset(key);
    this.present.set(ref, this.now());
    event("Normal", "Pulled", `Successfully pulled image "${image}" in ${((this.now() - t0) / 1000).toFixed(3)}s`);
    return null;
  }

  /** When the pull back-off of an image for a pod ends (null if none). */
  retryAt(podUid: string, image: string): number | null {
    let ref: string;
    try {
      ref = normalizeImageRef(image);
    } catch {
      return null;
    }
    const failed = this.failedAt.get(`${podUid}|${ref}`);
    return failed === undefined ? null : this.backoff.blockedUntil(`${podUid}|${ref}`, failed);
  }

  forgetPod(podUid: string): void {
    for (const k of this.failedAt.keys()) if (k.startsWith(`${podUid}|`)) this.failedAt.delete(k);
    this.backoff.resetPrefix(`${podUid}|`);
  }
}
