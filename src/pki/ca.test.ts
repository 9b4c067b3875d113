import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFile, stat, unlink, writeFile } from "node:fs/promises";
import { ClusterCA, loadCA, loadOrCreateCA, saveCA, CA_CERT_FILE, CA_KEY_FILE } from "./ca.ts";
import { CAKeyMismatchError, CAKeyMissingError, CANotFoundError, InvalidOptionError, InvalidPemError } from "./errors.ts";
import { x509, parseCertPem } from "./keys.ts";
import { openssl, withTempDir } from "./testutil.ts";

const DAY = 24 * 3600 * 1000;

describe("cluster CA", () => {
  test("first start creates ca.crt (0644) and ca.key (0600); later starts load the same CA", () =>
    withTempDir(async (dir) => {
      const tls = join(dir, "server", "tls");
      const now = new Date("2026-01-02T03:04:05Z");
      const first = await loadOrCreateCA(tls, { now });
      expect(first.created).toBe(true);
      expect((await stat(join(tls, CA_KEY_FILE))).mode & 0o777).toBe(0o600);
      expect((await stat(join(tls, CA_CERT_FILE))).mode & 0o777).toBe(0o644);
      expect(await readFile(join(tls, CA_CERT_FILE), "utf8")).toBe(first.ca.certPem);

      const cert = first.ca.cert;
      expect(cert.subject).toBe(`CN=kite-ca@${Math.floor(now.getTime() / 1000)}`);
      expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
      const years = (cert.notAfter.getTime() - now.getTime()) / (365 * DAY);
      expect(years).toBeGreaterThan(9.99);
      expect(years).toBeLessThan(10.01);

      const second = await loadOrCreateCA(tls);
      expect(second.created).toBe(false);
      expect(second.ca.certPem).toBe(first.ca.certPem);
      expect(await second.ca.keyPem()).toBe(await first.ca.keyPem());
    }));

  test("openssl accepts the CA and verifies leaves it issues", () =>
    withTempDir(async (dir) => {
      const { ca } = await loadOrCreateCA(dir);
      const text = await openssl(["x509", "-noout", "-text"], ca.certPem);
      expect(text.code).toBe(0);
      expect(text.out).toContain("CA:TRUE");
      expect(text.out).toContain("ecdsa-with-SHA256");

      const serving = await ca.issueServingCert({ cn: "kite", dnsNames: ["node-1", "localhost"], ips: ["10.0.0.5", "::1"], days: 30 });
      await writeFile(join(dir, "leaf.crt"), serving.certPem);
      const v = await openssl(["verify", "-CAfile", join(dir, CA_CERT_FILE), "-purpose", "sslserver", join(dir, "leaf.crt")]);
      expect(v.out).toContain("OK");
      expect(v.code).toBe(0);
      const leafText = (await openssl(["x509", "-noout", "-text"], serving.certPem)).out;
      expect(leafText).toContain("DNS:node-1");
      expect(leafText).toContain("IP Address:10.0.0.5");
      expect(leafText).toContain("IP Address:0:0:0:0:0:0:0:1");
      expect(leafText).toContain("CA:FALSE");
      // The key in PEM must be the private half of the certificate.
      await writeFile(join(dir, "leaf.key"), serving.keyPem);
      const pubFromKey = await openssl(["pkey", "-in", join(dir, "leaf.key"), "-pubout"]);
      const pubFromCert = await openssl(["x509", "-noout", "-pubkey", "-in", join(dir, "leaf.crt")]);
      expect(pubFromKey.code).toBe(0);
      expect(pubFromKey.out).toBe(pubFromCert.out);

      const client = await ca.issueClientCert({ cn: "system:admin", orgs: ["system:masters", "kite:admins"] });
      const c = parseCertPem(client.certPem);
      expect(c.subject).toBe("CN=system:admin, O=system:masters, O=kite:admins");
      await writeFile(join(dir, "client.crt"), client.certPem);
      const cv = await openssl(["verify", "-CAfile", join(dir, CA_CERT_FILE), "-purpose", "sslclient", join(dir, "client.crt")]);
      expect(cv.code).toBe(0);
      // A client certificate is not a server certificate.
      const sv = await openssl(["verify", "-CAfile", join(dir, CA_CERT_FILE), "-purpose", "sslserver", join(dir, "client.crt")]);
      expect(sv.code).not.toBe(0);
    }));

  test("serial numbers are positive (Go rejects negative ones) and distinct", async () => {
    const ca = await ClusterCA.create();
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const c = await ca.issueClientCert({ cn: `u${i}`, days: 1 });
      expect(parseInt(c.serialNumber.slice(0, 1), 16)).toBeLessThan(8);
      serials.add(c.serialNumber);
    }
    expect(serials.size).toBe(20);
  });

  test("a leaf never outlives its CA", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ca = await ClusterCA.create({ now, days: 10 });
    const leaf = await ca.issueServingCert({ cn: "kite", dnsNames: ["a"], ips: [], days: 365, now });
    expect(leaf.notAfter.getTime()).toBe(ca.notAfter.getTime());
  });

  test("ca.crt without ca.key is an error, and ca.crt is left untouched", () =>
    withTempDir(async (dir) => {
      const { ca } = await loadOrCreateCA(dir);
      await unlink(join(dir, CA_KEY_FILE));
      await expect(loadOrCreateCA(dir)).rejects.toBeInstanceOf(CAKeyMissingError);
      expect(await readFile(join(dir, CA_CERT_FILE), "utf8")).toBe(ca.certPem);
    }));

  test("a key left without a certificate (crash during creation) is replaced by a new CA", () =>
    withTempDir(async (dir) => {
      const { ca } = await loadOrCreateCA(dir);
      await unlink(join(dir, CA_CERT_FILE));
      await expect(loadCA(dir)).rejects.toBeInstanceOf(CANotFoundError);
      const again = await loadOrCreateCA(dir);
      expect(again.created).toBe(true);
      expect(again.ca.certPem).not.toBe(ca.certPem);
    }));

  test("a key of another CA is rejected; garbage PEM is a typed error", () =>
    withTempDir(async (dir) => {
      await loadOrCreateCA(dir);
      const other = await ClusterCA.create();
      await writeFile(join(dir, CA_KEY_FILE), await other.keyPem());
      await expect(loadCA(dir)).rejects.toBeInstanceOf(CAKeyMismatchError);
      await writeFile(join(dir, CA_CERT_FILE), "not a pem\n");
      await expect(loadCA(dir)).rejects.toBeInstanceOf(InvalidPemError);
    }));

  test("saveCA + loadCA round-trip a CA received from another server", () =>
    withTempDir(async (dir) => {
      const ca = await ClusterCA.create();
      const copy = await ClusterCA.fromPem(ca.certPem, await ca.keyPem());
      await saveCA(dir, copy);
      const loaded = await loadCA(dir);
      expect(loaded.certPem).toBe(ca.certPem);
      const leaf = await loaded.issueClientCert({ cn: "x" });
      expect(await ca.signed(parseCertPem(leaf.certPem))).toBe(true);
      expect(await (await ClusterCA.create()).signed(parseCertPem(leaf.certPem))).toBe(false);
    }));

  test("bad validity is a typed error", async () => {
    await expect(ClusterCA.create({ days: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    const ca = await ClusterCA.create();
    await expect(ca.issueClientCert({ cn: "x", days: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
