/**
 * @module api/http/watch-stream
 * Streams a watch as newline-delimited JSON WatchEvents over a chunked 200 response.
 * A newline is sent first so the status line and headers leave at once (Bun holds them
 * until the first non-empty chunk; kubectl-wire.md §2.6), and again on idle as a
 * keep-alive (clients skip blank lines; @kubernetes/client-node aborts after 30 s idle).
 */
import type { ApiWatch, ApiWatchEvent } from "../registry/generic.ts";
import type { Obj } from "../registry/types.ts";

const enc = new TextEncoder();
const NL = enc.encode("\n");

export interface WatchStreamOptions {
  /** Close the stream after this many ms (timeoutSeconds, or the server's default). */
  timeoutMs: number;
  /** Convert each event's object (e.g. to a one-row Table); BOOKMARK/ERROR objects pass through. */
  transform?: (ev: ApiWatchEvent, first: boolean) => Obj;
  heartbeatMs?: number;
  onClose?: () => void;
}

export function watchResponse(w: ApiWatch, opts: WatchStreamOptions): Response {
  let closed = false;
  let first = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let lastWrite = Date.now();
  const finish = () => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    if (heartbeat) clearInterval(heartbeat);
    w.cancel();
    opts.onClose?.();
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(NL);
      timer = setTimeout(() => {
        finish();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
      }, opts.timeoutMs);
      const hb = opts.heartbeatMs ?? 10_000;
      heartbeat = setInterval(() => {
        if (closed) return;
        if (Date.now() - lastWrite >= hb) {
          try {
            controller.enqueue(NL);
            lastWrite = Date.now();
          } catch {
            finish();
          }
        }
      }, hb);
    },
    async pull(controller) {
      if (closed) return;
      const ev = await w.next();
      if (closed) return;
      if (ev === null) {
        finish();
        controller.close();
        return;
      }
      let object = ev.object;
      if (opts.transform && (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED")) {
        object = opts.transform(ev, first);
        first = false;
      }
      controller.enqueue(enc.encode(JSON.stringify({ type: ev.type, object }) + "\n"));
      lastWrite = Date.now();
      if (ev.type === "ERROR") {
        finish();
        controller.close();
      }
    },
    cancel() {
      finish();
    },
  });
  return new Response(stream, { status: 200, headers: { "Content-Type": "application/json", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" } });
}
