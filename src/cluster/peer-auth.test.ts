import { describe, expect, it } from "bun:test";
import { derivePeerKey, MAX_CLOCK_SKEW_MS, PeerAuthError, peerHeaders, verifyPeerHeaders } from "./peer-auth.ts";

const id = { clusterId: "c1", key: derivePeerKey("secret-1") };
const check = (h: Record<string, string>, self = 2, now = Date.now(), who = id) => verifyPeerHeaders(who, self, new Headers(h), now);
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PeerAuthError);
    return (e as PeerAuthError).reason;
  }
  throw new Error("accepted");
};

describe("peer-auth", () => {
  it("accepts a peer of the same cluster and returns its member ID", () => {
    expect(check(peerHeaders(id, 7, 2))).toBe(7);
  });
  it("derives a key that is not the secret and differs per secret", () => {
    expect(derivePeerKey("secret-1").toString("hex")).not.toContain(Buffer.from("secret-1").toString("hex"));
    expect(derivePeerKey("secret-1").equals(derivePeerKey("secret-2"))).toBe(false);
  });
  it("rejects another cluster's ID, another secret, a stale timestamp, the wrong receiver, missing headers", () => {
    expect(reason(() => check(peerHeaders({ ...id, clusterId: "c2" }, 7, 2)))).toBe("cluster-mismatch");
    expect(reason(() => check(peerHeaders({ ...id, key: derivePeerKey("other") }, 7, 2)))).toBe("bad-signature");
    const old = Date.now() - MAX_CLOCK_SKEW_MS - 1000;
    expect(reason(() => check(peerHeaders(id, 7, 2, old)))).toBe("stale");
    expect(reason(() => check(peerHeaders(id, 7, 3)))).toBe("wrong-member");
    expect(reason(() => check({}))).toBe("malformed");
  });
  it("rejects a tampered sender ID (the signature covers it)", () => {
    const h = peerHeaders(id, 7, 2);
    h["x-kite-from"] = "8";
    expect(reason(() => check(h))).toBe("bad-signature");
  });
  it("maps failures to 401/403", () => {
    expect(new PeerAuthError("cluster-mismatch", "").status).toBe(403);
    expect(new PeerAuthError("bad-signature", "").status).toBe(401);
  });
});
