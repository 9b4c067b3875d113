/**
 * @module pki
 * kite's PKI and credentials: cluster CA, serving certificate with renewal,
 * join tokens and TLS bootstrap, kubeconfig files, ServiceAccount JWTs.
 */

export * from "./errors.ts";
export { ClusterCA, loadCA, loadOrCreateCA, saveCA, CA_CERT_FILE, CA_KEY_FILE, type IssuedCert, type ServingCertRequest, type ClientCertRequest } from "./ca.ts";
export {
  ensureServingCert,
  startRenewal,
  desiredSans,
  certSans,
  SERVING_CERT_FILE,
  SERVING_KEY_FILE,
  KUBERNETES_SERVICE_NAMES,
  type ServingCert,
  type ServingCertOptions,
  type RenewalOptions,
  type RenewalHandle,
  type ReissueReason,
} from "./serving.ts";
export { RenewableTlsServer, type RenewableTlsOptions, type TlsPair } from "./tls-server.ts";
export { classifySans, canonicalIp, canonicalDnsName, type SanSet } from "./sans.ts";
export {
  caHash,
  formatJoinToken,
  parseJoinToken,
  caHashMatches,
  randomSecret,
  randomBearerToken,
  hashToken,
  tokenMatchesHash,
  constantTimeEqual,
  SERVER_USERNAME,
  NODE_USERNAME,
  type JoinToken,
} from "./token.ts";
export { fetchAndPinCA, pinnedFetch, normaliseServerUrl, CACERTS_PATH, type PinnedCA, type FetchFn } from "./bootstrap.ts";
export { writeKubeconfig, renderKubeconfig, parseFileMode, type KubeconfigOptions } from "./kubeconfig.ts";
export {
  loadOrCreateServiceAccountKey,
  serviceAccountKeyFromPem,
  signServiceAccountToken,
  verifyServiceAccountToken,
  serviceAccountJwks,
  DEFAULT_ISSUER,
  SERVICE_ACCOUNT_KEY_FILE,
  type ServiceAccountKey,
  type ServiceAccountTokenRequest,
  type ServiceAccountClaims,
  type SignedToken,
} from "./jwt.ts";
