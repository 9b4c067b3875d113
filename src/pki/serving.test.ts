import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFile, stat, writeFile } from "node:fs/promises";
import { ClusterCA, loadOrCreateCA } from "./ca.ts";
import { ensureServingCert, startRenewal, certSans, SERVING_CERT_FILE, SERVING_KEY_FILE, type ServingCert } from "./serving.ts";
import { parseCertPem } from "./keys.ts";
import { CANotFoundError, InvalidOptionError, InvalidSanError } from "./errors.ts";
import { peerSerial, withTempDir } from "./testutil.ts";
import { RenewableTlsServer } from "./tls-server.ts";

const DAY = 24 * 3600 * 1000;
const T0 = new Date("2026-03-01T00:00:00Z");
const base = { nodeName: "Edge-1", ips: ["192.168.1.20"], tlsSans: ["api.example.com", "10.9.8.7", "fd00::0:1"] };

describe("serving certificate", () => {
  test("is created with every wanted SAN, 1 year validity, key 0600", () =>
    withTempDir(async (dir) => {
      const { ca } = await loadOrCreateCA(dir, { now: T0 });
      const s = await ensureServingCert(dir, { ...base, now: T0 });
      expect(s.reissued).toBe("missing");
      expect(s.caPem).toBe(ca.certPem);
      expect(await readFile(join(dir, SERVING_CERT_FILE), "utf8")).toBe(s.certPem);
      expect(await readFile(join(dir, SERVING_KEY_FILE), "utf8")).toBe(s.keyPem);
      expect((await stat(join(dir, SERVING_KEY_FILE))).mode & 0o777).toBe(0o600);
      const sans = certSans(parseCertPem(s.certPem));
      expect(sans.dnsNames.sort()).toEqual(
        ["edge-1", "localhost", "api.example.com", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"].sort(),
      );
      expect(sans.ips.sort()).toEqual(["10.9.8.7", "127.0.0.1", "192.168.1.20", "::1", "fd00::1"].sort());
      expect(Math.round((s.notAfter.getTime() - T0.getTime()) / DAY)).toBe(365);
      expect(await ca.signed(parseCertPem(s.certPem))).toBe(true);
    }));

  test("is kept while valid and unchanged; re-issued when SANs change", () =>
    withTempDir(async (dir) => {
      await loadOrCreateCA(dir, { now: T0 });
      const first = await ensureServingCert(dir, { ...base, now: T0 });
      const same = await ensureServingCert(dir, { ...base, tlsSans: ["10.9.8.7", "API.example.com.", "fd00:0::1"], now: new Date(T0.getTime() + DAY) });
      expect(same.reissued).toBeNull();
      expect(same.certPem).toBe(first.certPem);

      const more = await ensureServingCert(dir, { ...base, ips: ["192.168.1.20", "192.168.1.21"], now: T0 });
      expect(more.reissued).toBe("sans-changed");
      expect(certSans(parseCertPem(more.certPem)).ips).toContain("192.168.1.21");
      const fewer = await ensureServingCert(dir, { ...base, tlsSans: [], now: T0 });
      expect(fewer.reissued).toBe("sans-changed");
      expect(certSans(parseCertPem(fewer.certPem)).dnsNames).not.toContain("api.example.com");
    }));

  test("is renewed when less than renewBeforeDays remain", () =>
    withTempDir(async (dir) => {
      await loadOrCreateCA(dir, { now: T0 });
      const first = await ensureServingCert(dir, { ...base, now: T0 });
      const at = (daysLeft: number) => new Date(first.notAfter.getTime() - daysLeft * DAY);
      expect((await ensureServingCert(dir, { ...base, now: at(91) })).reissued).toBeNull();
      const renewed = await ensureServingCert(dir, { ...base, now: at(89) });
      expect(renewed.reissued).toBe("expiring");
      expect(renewed.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
      expect(parseCertPem(renewed.certPem).serialNumber).not.toBe(parseCertPem(first.certPem).serialNumber);
      // Configurable threshold: 200 days before expiry of the new cert.
      const custom = await ensureServingCert(dir, { ...base, renewBeforeDays: 200, now: new Date(renewed.notAfter.getTime() - 199 * DAY) });
      expect(custom.reissued).toBe("expiring");
      // An expired certificate is of course re-issued too.
      const expired = await ensureServingCert(dir, { ...base, now: new Date(custom.notAfter.getTime() + DAY) });
      expect(expired.reissued).toBe("expiring");
    }));

  test("is re-issued when the CA changed or the files are damaged", () =>
    withTempDir(async (dir) => {
      await loadOrCreateCA(dir, { now: T0 });
      await ensureServingCert(dir, { ...base, now: T0 });
      const otherCA = await ClusterCA.create({ now: T0 });
      const moved = await ensureServingCert(dir, { ...base, ca: otherCA, now: T0 });
      expect(moved.reissued).toBe("ca-changed");
      expect(await otherCA.signed(parseCertPem(moved.certPem))).toBe(true);

      await writeFile(join(dir, SERVING_KEY_FILE), "garbage");
      const repaired = await ensureServingCert(dir, { ...base, now: T0 });
      expect(repaired.reissued).toBe("invalid");
      // A key that parses but belongs to another certificate.
      const foreign = await otherCA.issueServingCert({ cn: "x", dnsNames: ["x"], ips: [] });
      await writeFile(join(dir, SERVING_KEY_FILE), foreign.keyPem);
      expect((await ensureServingCert(dir, { ...base, now: T0 })).reissued).toBe("invalid");
    }));

  test("bad input is a typed error and never creates a CA", () =>
    withTempDir(async (dir) => {
      await expect(ensureServingCert(dir, base)).rejects.toBeInstanceOf(CANotFoundError);
      await loadOrCreateCA(dir);
      await expect(ensureServingCert(dir, { ...base, tlsSans: ["bad name!"] })).rejects.toBeInstanceOf(InvalidSanError);
      await expect(ensureServingCert(dir, { ...base, ips: ["300.1.1.1"] })).rejects.toBeInstanceOf(InvalidSanError);
      await expect(ensureServingCert(dir, { ...base, nodeName: "-bad" })).rejects.toBeInstanceOf(InvalidSanError);
      await expect(ensureServingCert(dir, { ...base, renewBeforeDays: 400 })).rejects.toBeInstanceOf(InvalidOptionError);
    }));
});

describe("serving certificate over real TLS", () => {
  test("clients that trust the CA connect by IP, ::1 and name; others are refused", () =>
    withTempDir(async (dir) => {
      const { ca } = await loadOrCreateCA(dir);
      const s = await ensureServingCert(dir, base);
      const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert: s.certPem, key: s.keyPem }, fetch: () => new Response("ok") });
      let server6: ReturnType<typeof Bun.serve> | undefined;
      try {
        const get = (url: string, tls: Record<string, unknown>) => fetch(url, { tls } as RequestInit);
        const url = `https://127.0.0.1:${server.port}/`;
        expect(await (await get(url, { ca: ca.certPem })).text()).toBe("ok");
        expect(await (await get(`https://localhost:${server.port}/`, { ca: ca.certPem })).text()).toBe("ok");
        await expect(get(url, {})).rejects.toThrow();
        await expect(get(url, { ca: (await ClusterCA.create()).certPem })).rejects.toThrow();
        try {
          server6 = Bun.serve({ port: 0, hostname: "::1", tls: { cert: s.certPem, key: s.keyPem }, fetch: () => new Response("ok6") });
        } catch {
          console.warn("no IPv6 loopback here; skipping the [::1] check");
        }
        if (server6) expect(await (await get(`https://[::1]:${server6.port}/`, { ca: ca.certPem })).text()).toBe("ok6");
      } finally {
        server.stop(true);
        server6?.stop(true);
      }
    }));

  test("a certificate without the address in its SANs is rejected by clients", () =>
    withTempDir(async (dir) => {
      const { ca } = await loadOrCreateCA(dir);
      const leaf = await ca.issueServingCert({ cn: "kite", dnsNames: ["elsewhere"], ips: ["10.1.1.1"] });
      const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert: leaf.certPem, key: leaf.keyPem }, fetch: () => new Response("ok") });
      try {
        await expect(fetch(`https://127.0.0.1:${server.port}/`, { tls: { ca: ca.certPem } } as RequestInit)).rejects.toThrow();
      } finally {
        server.stop(true);
      }
    }));
});

describe("renewal timer", () => {
  test("renews an expiring certificate and the running HTTPS server serves the new one", () =>
    withTempDir(async (dir) => {
      const { ca } = await loadOrCreateCA(dir);
      // Issued 300 days ago: 65 days left in real time, so the renewed one is valid for real TLS clients.
      const realNow = Date.now();
      const first = await ensureServingCert(dir, { ...base, now: new Date(realNow - 300 * DAY) });
      const srv = RenewableTlsServer.start({ hostname: "127.0.0.1", port: 0, tls: { cert: first.certPem, key: first.keyPem }, handlers: { fetch: () => new Response("ok") } });
      let clock = new Date(realNow - 100 * DAY); // seen from here, 165 days are left
      const renewed: ServingCert[] = [];
      let resolveRenewed!: () => void;
      const gotOne = new Promise<void>((r) => (resolveRenewed = r));
      const handle = startRenewal(dir, {
        ...base,
        intervalMs: 20,
        now: () => clock,
        onRenew: (c) => {
          srv.reloadTls({ cert: c.certPem, key: c.keyPem });
          renewed.push(c);
          resolveRenewed();
        },
      });
      try {
        expect(await peerSerial(srv.port, ca.certPem)).toBe(parseCertPem(first.certPem).serialNumber);
        await Bun.sleep(100); // several timer checks: nothing to do yet
        expect(renewed).toHaveLength(0);
        clock = new Date(realNow); // 65 days left: below the 90-day threshold
        await gotOne;
        expect(renewed[0]!.reissued).toBe("expiring");
        expect(await peerSerial(srv.port, ca.certPem)).toBe(parseCertPem(renewed[0]!.certPem).serialNumber);
        const checked = await handle.check(); // explicit check after renewal: nothing left to do
        expect(checked.reissued).toBeNull();
        expect(renewed).toHaveLength(1);
      } finally {
        await handle.stop();
        await srv.stop(true);
      }
    }));

  test("reports failures to onError and keeps running", () =>
    withTempDir(async (dir) => {
      const errors: unknown[] = [];
      const handle = startRenewal(dir, { ...base, intervalMs: 10, onRenew: () => {}, onError: (e) => errors.push(e) });
      try {
        await Bun.sleep(80);
        expect(errors.length).toBeGreaterThan(1);
        expect(errors[0]).toBeInstanceOf(CANotFoundError);
        await loadOrCreateCA(dir);
        expect((await handle.check()).reissued).toBe("missing");
      } finally {
        await handle.stop();
      }
    }));

  test("rejects nonsense options", () => {
    expect(() => startRenewal("/nonexistent", { ...base, intervalMs: 0, onRenew: () => {} })).toThrow(InvalidOptionError);
    expect(() => startRenewal("/nonexistent", { ...base, renewBeforeDays: 365, onRenew: () => {} })).toThrow(InvalidOptionError);
  });
});
