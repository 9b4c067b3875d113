/**
 * @module version
 * kite's own version and the Kubernetes API version it serves. `/version` reports the
 * Kubernetes minor so that version-dispatching kubectl wrappers pick a matching client.
 */
export const KITE_VERSION = "0.1.0";
export const KUBE_MAJOR = "1";
export const KUBE_MINOR = "32";
export const KUBE_GIT_VERSION = `v1.32.0+kite${KITE_VERSION}`;

export function versionInfo() {
  return {
    major: KUBE_MAJOR,
    minor: KUBE_MINOR,
    gitVersion: KUBE_GIT_VERSION,
    gitCommit: "kite",
    gitTreeState: "clean",
    buildDate: "2026-11-27T00:00:00Z",
    goVersion: `bun${Bun.version}`,
    compiler: "bun",
    platform: `linux/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}
