/**
 * @module agent/streaming/exec
 * Serves `exec` and `attach` streams from the runtime's StreamSession: channel 0 feeds
 * the process's stdin (EOF closes it; each chunk is acknowledged only once the process
 * took it, which is what slows a fast client down), channels 1 and 2 carry its stdout and
 * stderr (read only as fast as the tunnel grants credit), RESIZE resizes the terminal, and
 * EXIT reports the exit code once both outputs are drained. A reset ends the session.
 */
import type { ContainerRuntime, StreamSession } from "../runtime/types.ts";
import { Channel, type TunnelStream } from "../../tunnel/mux.ts";
import type { TerminalSize } from "../../tunnel/types.ts";
import type { PodLocator } from "./locator.ts";
import { badRequest, resolveContainer, toRemoteStatus } from "./resolve.ts";

async function pump(src: ReadableStream<Uint8Array> | null, stream: TunnelStream, channel: number | null): Promise<void> {
  if (!src) return;
  const reader = src.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      // A channel the client did not ask for is drained and dropped so the process never blocks.
      if (channel !== null && value.length) await stream.write(channel, value);
    }
  } finally {
    reader.releaseLock();
  }
}

export async function serveExec(stream: TunnelStream, runtime: ContainerRuntime, locator: PodLocator): Promise<void> {
  const req = stream.request;
  const x = req.exec!;
  // Events can arrive while the session starts: keep the latest size and any stdin.
  let session: StreamSession | null = null;
  let size: TerminalSize | null = null;
  let ended = false;
  let resetReason: string | null = null;
  const early: Uint8Array[] = [];
  let stdinWriter: WritableStreamDefaultWriter<Uint8Array> | null = null;
  let stdinChain: Promise<void> = Promise.resolve();

  const feed = (b: Uint8Array) => {
    const w = stdinWriter;
    if (!w) {
      stream.consumed(b.length);
      return;
    }
    stdinChain = stdinChain
      .then(() => w.write(b))
      .then(
        () => stream.consumed(b.length),
        () => stream.consumed(b.length), // the process closed its stdin: drop the bytes
      );
  };
  const closeStdin = () => {
    const w = stdinWriter;
    if (w) stdinChain = stdinChain.then(() => w.close()).catch(() => {});
  };

  stream.setHandlers({
    data(ch, b) {
      if (ch !== Channel.STDIN) {
        stream.consumed(b.length);
        return;
      }
      if (!session) early.push(b);
      else feed(b);
    },
    eof(ch) {
      if (ch !== Channel.STDIN) return;
      ended = true;
      if (session) closeStdin();
    },
    resize(s) {
      size = s;
      if (session && x.tty) session.resize(s.width, s.height);
    },
    reset(reason) {
      resetReason = reason;
      session?.close();
    },
  });

  try {
    const c = await resolveContainer(req, locator);
    if (c.state !== "running") throw badRequest(`container "${req.container}" in pod "${req.pod.name}" is not running`);
    const initial = size as TerminalSize | null;
    const sz = x.tty && initial ? { cols: initial.width, rows: initial.height } : undefined;
    session = req.kind === "exec" ? await runtime.exec(c.id, x.command, { stdin: x.stdin, tty: x.tty, size: sz }) : await runtime.attach(c.id, { stdin: x.stdin, tty: x.tty, size: sz });
  } catch (e) {
    stream.reject(toRemoteStatus(e));
    return;
  }
  if (resetReason !== null) {
    session.close();
    return;
  }
  stream.accept();
  stdinWriter = session.stdin?.getWriter() ?? null;
  for (const b of early.splice(0)) feed(b);
  if (ended) closeStdin();
  const latest = size as TerminalSize | null;
  if (x.tty && latest) session.resize(latest.width, latest.height);

  const outputs = Promise.all([pump(session.stdout, stream, x.stdout || x.tty ? Channel.STDOUT : null), pump(session.stderr, stream, x.stderr ? Channel.STDERR : null)]);
  outputs.catch(() => {}); // observed below; a reset may fail it before `exited` settles
  let exitCode: number;
  try {
    exitCode = await session.exited;
    await outputs;
  } catch (e) {
    try {
      session.close();
    } catch {
      /* already ended */
    }
    if (stream.isOpen) stream.exit({ error: toRemoteStatus(e) });
    return;
  }
  stdinWriter?.releaseLock();
  if (stream.isOpen) stream.exit({ exitCode });
}
