/**
 * @module agent/runtime/image-ref
 * Kubernetes image names → fully qualified references, as docker and the
 * kubelet read them ("busybox" is docker.io/library/busybox:latest). podman
 * would otherwise resolve short names through its own search registries, so
 * kite always hands the engines a qualified name.
 */
import { InvalidSpecError } from "./types.ts";

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

export interface ImageRef {
  domain: string;
  path: string;
  tag: string | null;
  digest: string | null;
}

/** Parses and normalises; throws InvalidSpecError (the kubelet's InvalidImageName) on a malformed name. */
export function parseImageRef(ref: string): ImageRef {
  const bad = (why: string) => new InvalidSpecError(`invalid image name "${ref}": ${why}`);
  if (!ref || /\s/.test(ref)) throw bad("empty or contains whitespace");
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad("bad digest");
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad("bad tag");
  }
  const parts = rest.split("/");
  let domain = "docker.io";
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost" || /^\[/.test(first))) {
    domain = first;
    parts.shift();
    if (!DOMAIN.test(domain)) throw bad("bad registry host");
  }
  if (domain === "index.docker.io") domain = "docker.io";
  if (domain === "docker.io" && parts.length === 1) parts.unshift("library");
  for (const p of parts) if (!PATH_COMPONENT.test(p)) throw bad(`bad path component "${p}"`);
  if (tag === null && digest === null) tag = "latest";
  return { domain, path: parts.join("/"), tag, digest };
}

export function formatImageRef(r: ImageRef): string {
  return `${r.domain}/${r.path}${r.tag !== null ? `:${r.tag}` : ""}${r.digest !== null ? `@${r.digest}` : ""}`;
}

/** "busybox" → "docker.io/library/busybox:latest"; "localhost/x:1" stays. */
export function normalizeImageRef(ref: string): string {
  return formatImageRef(parseImageRef(ref));
}
