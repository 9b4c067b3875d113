/**
 * @module server/service-accounts
 * Issues and verifies ServiceAccount tokens (signed JWTs). A token is accepted only while
 * its service account (and bound pod, if any) still exists with the same UID.
 */
import { loadOrCreateServiceAccountKey, signServiceAccountToken, verifyServiceAccountToken, type ServiceAccountKey, type ServiceAccountTokenRequest } from "../pki/jwt.ts";
import type { UserInfo } from "../api/registry/types.ts";
import type { Catalog } from "../api/registry/catalog.ts";

export class ServiceAccountTokens {
  private constructor(readonly key: ServiceAccountKey) {}

  static async load(tlsDir: string) {
    return new ServiceAccountTokens(await loadOrCreateServiceAccountKey(tlsDir));
  }

  issue(req: ServiceAccountTokenRequest, expirationSeconds?: number) {
    return signServiceAccountToken(this.key, req, { expirationSeconds });
  }

  async verify(token: string, catalog: Catalog, audiences?: string[]): Promise<UserInfo | null> {
    let claims;
    try {
      claims = await verifyServiceAccountToken(this.key, token, { audiences });
    } catch {
      return null;
    }
    const k = claims["kubernetes.io"];
    const sa = await catalog.get("", "serviceaccounts", k.namespace, k.serviceaccount.name);
    if (!sa || sa.metadata?.uid !== k.serviceaccount.uid) return null;
    if (k.pod) {
      const pod = await catalog.get("", "pods", k.namespace, k.pod.name);
      if (!pod || pod.metadata?.uid !== k.pod.uid) return null;
    }
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      extra["authentication.kubernetes.io/pod-name"] = [k.pod.name];
      extra["authentication.kubernetes.io/pod-uid"] = [k.pod.uid];
    }
    return {
      username: claims.sub,
      uid: k.serviceaccount.uid,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${k.namespace}`, "system:authenticated"],
      extra,
    };
  }
}
