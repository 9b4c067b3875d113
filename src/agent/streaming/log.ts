/**
 * @module agent/streaming/log
 * Serves a `log` stream: the container's output from the runtime (follow, tail,
 * timestamps, since; limitBytes cut here) sent on channel 1. The runtime stream is read
 * only as fast as the tunnel grants credit, and cancelled when the client goes away.
 */
import type { ContainerRuntime, LogOptions } from "../runtime/types.ts";
import { Channel, type TunnelStream } from "../../tunnel/mux.ts";
import type { PodLocator } from "./locator.ts";
import { resolveContainer, toRemoteStatus } from "./resolve.ts";

export async function serveLog(stream: TunnelStream, runtime: ContainerRuntime, locator: PodLocator): Promise<void> {
  const p = stream.request.log ?? {};
  let body: ReadableStream<Uint8Array>;
  try {
    const c = await resolveContainer(stream.request, locator, { previous: p.previous });
    const opts: LogOptions = { follow: !!p.follow && !p.previous, timestamps: !!p.timestamps };
    if (p.tailLines !== undefined) opts.tail = p.tailLines;
    if (p.sinceTime) opts.since = new Date(p.sinceTime);
    body = await runtime.logs(c.id, opts);
  } catch (e) {
    stream.reject(toRemoteStatus(e));
    return;
  }
  const reader = body.getReader();
  let gone = false;
  stream.setHandlers({
    reset() {
      gone = true;
      reader.cancel().catch(() => {});
    },
  });
  stream.accept();
  let left = p.limitBytes ?? Number.POSITIVE_INFINITY;
  try {
    while (left > 0) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value.length > left ? value.subarray(0, left) : value;
      left -= chunk.length;
      await stream.write(Channel.STDOUT, chunk);
    }
    if (left <= 0) await reader.cancel().catch(() => {});
    stream.end(Channel.STDOUT);
    stream.exit({ exitCode: 0 });
  } catch (e) {
    if (!gone && stream.isOpen) stream.exit({ error: toRemoteStatus(e) });
    reader.cancel().catch(() => {});
  }
}
