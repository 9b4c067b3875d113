/**
 * @module agent/streaming/portforward
 * Serves a `portforward` stream: one TCP connection to the pod's IP and port (127.0.0.1
 * for host-network pods). Channel 0 carries the client's bytes to the pod, channel 1 the
 * pod's bytes back; EOF on either side half-closes. The socket is paused while the tunnel
 * has no credit, and client bytes are acknowledged once the socket took them. A failed
 * connect refuses the stream with the kubelet's wording.
 */
import net from "node:net";
import { Channel, type TunnelStream } from "../../tunnel/mux.ts";
import type { PodLocator } from "./locator.ts";
import { toRemoteStatus } from "./resolve.ts";

const CONNECT_TIMEOUT_MS = 10_000;
const LINGER_MS = 1000;

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`dial tcp ${host}:${port}: i/o timeout`));
    }, CONNECT_TIMEOUT_MS);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      resolve(sock);
    });
    sock.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === "ECONNREFUSED" ? "connect: connection refused" : e.code === "EHOSTUNREACH" ? "connect: no route to host" : e.message;
      reject(new Error(`dial tcp ${host}:${port}: ${why}`));
    });
  });
}

export async function servePortForward(stream: TunnelStream, locator: PodLocator): Promise<void> {
  const req = stream.request;
  const port = req.port!;
  const podDesc = `${req.pod.name}_${req.pod.namespace}`;
  let sock: net.Socket;
  try {
    let host: string;
    if (req.hostNetwork) host = "127.0.0.1";
    else {
      const ip = (await locator.podIP(req.pod)) || req.podIP || "";
      if (!ip) throw new Error("the pod has no IP on this node");
      host = ip;
    }
    sock = await connect(host, port);
  } catch (e) {
    const s = toRemoteStatus(e);
    stream.reject({ ...s, code: 500, reason: "InternalError", message: `error forwarding port ${port} to pod ${podDesc}, uid ${req.pod.uid}: ${s.message}` });
    return;
  }
  let writeChain: Promise<void> = Promise.resolve();
  // Like containerd: once one direction is done, give the other one second, then close.
  let clientDone = false;
  let podDone = false;
  let linger: ReturnType<typeof setTimeout> | null = null;
  const lingerThenClose = () => {
    if (clientDone && podDone) sock.destroy();
    else linger ??= setTimeout(() => sock.destroy(), LINGER_MS);
  };
  stream.setHandlers({
    data(ch, b) {
      if (ch !== Channel.STDIN) {
        stream.consumed(b.length);
        return;
      }
      writeChain = writeChain.then(
        () =>
          new Promise<void>((resolve) => {
            if (sock.destroyed) return resolve();
            if (sock.write(b)) resolve();
            else sock.once("drain", () => resolve());
          }).then(() => stream.consumed(b.length)),
      );
    },
    eof(ch) {
      if (ch !== Channel.STDIN) return;
      writeChain = writeChain.then(() => {
        clientDone = true;
        sock.end();
        lingerThenClose();
      });
    },
    reset() {
      sock.destroy();
    },
  });
  stream.accept();

  let readChain: Promise<void> = Promise.resolve();
  let failed: unknown = null;
  sock.on("data", (b: Buffer) => {
    sock.pause();
    readChain = readChain
      .then(() => stream.write(Channel.STDOUT, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)))
      .then(
        () => void sock.resume(),
        (e) => {
          failed = e;
          sock.destroy();
        },
      );
  });
  sock.on("end", () => {
    readChain = readChain.then(() => {
      stream.end(Channel.STDOUT);
      podDone = true;
      lingerThenClose();
    });
  });
  sock.on("error", (e) => {
    failed ??= e;
  });
  sock.on("close", () => {
    if (linger) clearTimeout(linger);
    void readChain.then(() => {
      if (!stream.isOpen) return;
      if (failed) stream.exit({ error: { code: 500, reason: "InternalError", message: `error forwarding port ${port} to pod ${podDesc}: ${(failed as Error).message}` } });
      else stream.exit({ exitCode: 0 });
    });
  });
}
