/**
 * @module agent/volumes/types
 * What the volume plugins share: the context of a pod's volume set-up, the result
 * (a host path per volume), and VolumeError, reported as a FailedMount event.
 */
import type { KObj, KubeClient } from "../../client/client.ts";
import type { ConfigSource } from "../config-source.ts";
import type { PodAddresses } from "../fieldpath.ts";
import type { TokenSource } from "./tokens.ts";

export class VolumeError extends Error {
  override name = "VolumeError";
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
  }
}

export interface VolumeContext {
  pod: KObj;
  /** <dataDir>/agent/pods/<uid>: the pod's own directory. */
  podDir: string;
  client: KubeClient;
  source: ConfigSource;
  tokens: TokenSource;
  addresses: PodAddresses;
  allocatable: Record<string, string>;
  /** Whether tmpfs can be mounted (root); Memory emptyDirs fall back to disk otherwise. */
  canMount: boolean;
}

export interface MountedVolume {
  hostPath: string;
  /** The volume is read-only for every container (configMap, secret, …, or readOnly PVC). */
  readOnly: boolean;
}
