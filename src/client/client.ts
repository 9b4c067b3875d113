/**
 * @module client/client
 * The one API client kite's components (controllers, scheduler, agent) use: typed by
 * GVR, JSON over HTTPS to any server, or in-process straight into the API handler.
 * Errors are KubeApiError carrying the server's Status.
 */
import type { GVR } from "./resources.ts";
import { resourcePath } from "./resources.ts";

// deno-lint-ignore no-explicit-any
export type KObj = Record<string, any>;

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: KObj | undefined,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
  get reason(): string | undefined {
    return this.status?.reason;
  }
}

export function isNotFound(e: unknown) {
  return e instanceof KubeApiError && e.code === 404;
}
export function isConflict(e: unknown) {
  return e instanceof KubeApiError && e.code === 409;
}
export function isAlreadyExists(e: unknown) {
  return e instanceof KubeApiError && e.code === 409 && e.reason === "AlreadyExists";
}

export interface ClientOptions {
  /** e.g. https://127.0.0.1:6443, or http://in-process for the in-process transport. */
  baseUrl: string | (() => string);
  token?: string;
  fetch?: FetchFn;
  userAgent?: string;
  /** Per-request timeout for non-watch requests, ms (default 30 s). */
  timeoutMs?: number;
}

export interface ListOpts {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KObj;
}

export type PatchKind = "merge" | "strategic" | "json" | "apply";
const PATCH_CT: Record<PatchKind, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
};

function qs(params: Record<string, string | number | boolean | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}

export class KubeClient {
  private readonly fetchFn: FetchFn;
  constructor(readonly opts: ClientOptions) {
    this.fetchFn = opts.fetch ?? fetch;
  }

  private base() {
    return typeof this.opts.baseUrl === "function" ? this.opts.baseUrl() : this.opts.baseUrl;
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    const h: Record<string, string> = { Accept: "application/json", "User-Agent": this.opts.userAgent ?? "kite", ...headers };
    if (this.opts.token) h.Authorization = `Bearer ${this.opts.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      h["Content-Type"] ??= "application/json";
    }
    const timeout = signal ? undefined : AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    return this.fetchFn(this.base() + path, { method, headers: h, body: payload, signal: signal ?? timeout });
  }

  async json<T = KObj>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await this.request(method, path, body, headers);
    const text = await res.text();
    let parsed: KObj | undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw new KubeApiError(res.status, parsed, parsed?.message ?? `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return parsed as T;
  }

  get(r: GVR, namespace: string | undefined, name: string): Promise<KObj> {
    return this.json("GET", resourcePath(r, namespace, name));
  }
  async getOrNull(r: GVR, namespace: string | undefined, name: string): Promise<KObj | null> {
    try {
      return await this.get(r, namespace, name);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }
  list(r: GVR, namespace?: string, opts: ListOpts = {}): Promise<KObj> {
    return this.json("GET", resourcePath(r, namespace) + qs({ ...opts }));
  }
  create(r: GVR, namespace: string | undefined, obj: KObj, opts: { fieldManager?: string } = {}): Promise<KObj> {
    return this.json("POST", resourcePath(r, namespace) + qs({ fieldManager: opts.fieldManager }), obj);
  }
  update(r: GVR, namespace: string | undefined, obj: KObj, opts: { fieldManager?: string } = {}): Promise<KObj> {
    return this.json("PUT", resourcePath(r, namespace, obj.metadata.name) + qs({ fieldManager: opts.fieldManager }), obj);
  }
  updateStatus(r: GVR, namespace: string | undefined, obj: KObj): Promise<KObj> {
    return this.json("PUT", resourcePath(r, namespace, obj.metadata.name, "status"), obj);
  }
  patch(r: GVR, namespace: string | undefined, name: string, patch: unknown, kind: PatchKind = "merge", opts: { subresource?: string; fieldManager?: string; force?: boolean } = {}): Promise<KObj> {
    return this.json("PATCH", resourcePath(r, namespace, name, opts.subresource) + qs({ fieldManager: opts.fieldManager, force: opts.force }), patch, { "Content-Type": PATCH_CT[kind] });
  }
  delete(r: GVR, namespace: string | undefined, name: string, opts: { gracePeriodSeconds?: number; propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string } } = {}): Promise<KObj> {
    return this.json("DELETE", resourcePath(r, namespace, name), { kind: "DeleteOptions", apiVersion: "v1", ...opts });
  }
  async deleteIgnoreNotFound(r: GVR, namespace: string | undefined, name: string, opts: Parameters<KubeClient["delete"]>[3] = {}): Promise<void> {
    try {
      await this.delete(r, namespace, name, opts);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  /** POST to a subresource (binding, eviction, token). */
  createSub(r: GVR, namespace: string | undefined, name: string, subresource: string, body: KObj): Promise<KObj> {
    return this.json("POST", resourcePath(r, namespace, name, subresource), body);
  }

  /**
   * Open a watch; yields events until the server closes the stream or `signal` aborts.
   * The caller handles ERROR events (410 Expired → re-list).
   */
  async *watch(r: GVR, namespace: string | undefined, opts: ListOpts & { allowWatchBookmarks?: boolean; timeoutSeconds?: number }, signal: AbortSignal): AsyncGenerator<WatchEvent> {
    const path = resourcePath(r, namespace) + qs({ ...opts, watch: "true" });
    const res = await this.request("GET", path, undefined, {}, signal);
    if (!res.ok) {
      const text = await res.text();
      let parsed: KObj | undefined;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      throw new KubeApiError(res.status, parsed, parsed?.message ?? `watch ${path}: HTTP ${res.status}`);
    }
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent;
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }
}
