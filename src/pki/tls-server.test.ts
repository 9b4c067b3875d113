import { describe, expect, test } from "bun:test";
import { connect } from "node:tls";
import { ClusterCA } from "./ca.ts";
import { RenewableTlsServer } from "./tls-server.ts";
import { InvalidOptionError } from "./errors.ts";
import { peerSerial } from "./testutil.ts";

async function setup() {
  const ca = await ClusterCA.create();
  const leaf = () => ca.issueServingCert({ cn: "kite", dnsNames: ["localhost"], ips: ["127.0.0.1"] });
  return { ca, a: await leaf(), b: await leaf() };
}

describe("RenewableTlsServer", () => {
  test("new connections get the new certificate; a request in flight on the old listener completes", async () => {
    const { ca, a, b } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const srv = RenewableTlsServer.start({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: a.certPem, key: a.keyPem },
      handlers: {
        fetch: async (req: Request) => {
          if (new URL(req.url).pathname === "/slow") await gate;
          return new Response("done");
        },
      },
    });
    try {
      const port = srv.port;
      expect(await peerSerial(port, ca.certPem)).toBe(a.serialNumber);
      const slow = fetch(`https://127.0.0.1:${port}/slow`, { tls: { ca: ca.certPem } } as RequestInit);
      await Bun.sleep(50); // the slow request is now being handled by the first listener
      srv.reloadTls({ cert: b.certPem, key: b.keyPem });
      expect(srv.port).toBe(port);
      for (let i = 0; i < 5; i++) expect(await peerSerial(port, ca.certPem)).toBe(b.serialNumber);
      const quick = await fetch(`https://127.0.0.1:${port}/`, { tls: { ca: ca.certPem }, keepalive: false } as RequestInit);
      expect(await quick.text()).toBe("done");
      release();
      expect(await (await slow).text()).toBe("done");
    } finally {
      release();
      await srv.stop(true);
    }
  });

  test("refuses an address that something else already listens on", async () => {
    const { a } = await setup();
    const first = RenewableTlsServer.start({ hostname: "127.0.0.1", port: 0, tls: { cert: a.certPem, key: a.keyPem }, handlers: { fetch: () => new Response("1") } });
    const plain = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("p") });
    try {
      expect(() =>
        RenewableTlsServer.start({ hostname: "127.0.0.1", port: first.port, tls: { cert: a.certPem, key: a.keyPem }, handlers: { fetch: () => new Response("2") } }),
      ).toThrow();
      expect(() =>
        RenewableTlsServer.start({ hostname: "127.0.0.1", port: plain.port!, tls: { cert: a.certPem, key: a.keyPem }, handlers: { fetch: () => new Response("2") } }),
      ).toThrow();
    } finally {
      await first.stop(true);
      plain.stop(true);
    }
  });

  test("stop(true) also closes connections still open on replaced listeners", async () => {
    const { ca, a, b } = await setup();
    const srv = RenewableTlsServer.start({ hostname: "127.0.0.1", port: 0, tls: { cert: a.certPem, key: a.keyPem }, handlers: { fetch: () => new Response("x") } });
    const port = srv.port;
    // An idle TLS connection to the first listener.
    const sock = await new Promise<ReturnType<typeof connect>>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port, ca: ca.certPem }, () => resolve(s));
      s.on("error", reject);
    });
    const closed = new Promise<void>((r) => sock.on("close", () => r()));
    srv.reloadTls({ cert: b.certPem, key: b.keyPem });
    await srv.stop(true);
    await closed;
    await expect(peerSerial(port, ca.certPem)).rejects.toThrow();
  });

  test("needs a certificate and key", () => {
    expect(() => RenewableTlsServer.start({ hostname: "127.0.0.1", port: 0, tls: { cert: "", key: "" }, handlers: {} })).toThrow(InvalidOptionError);
  });
});
