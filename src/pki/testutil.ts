/**
 * @module pki/testutil
 * Helpers shared by the pki tests: temporary directories that are always
 * removed, and running openssl as an independent checker of what we issue.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "kite-pki-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs openssl with stdin; returns exit code and output. */
export async function openssl(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(["openssl", ...args], { stdin: stdin === undefined ? "ignore" : new Blob([stdin]), stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  return { code, out: out + err };
}

/** Serial number (lower-case hex) of the certificate a TLS server presents, verified against `ca`. */
export function peerSerial(port: number, ca: string, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host, port, ca, servername: host === "127.0.0.1" ? undefined : host }, () => {
      const serial = sock.getPeerCertificate().serialNumber.toLowerCase();
      sock.end();
      resolve(serial);
    });
    sock.on("error", reject);
  });
}
