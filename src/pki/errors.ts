/**
 * @module pki/errors
 * Typed errors of the PKI and credentials layer. Callers branch on the class
 * (or on `code`), never on message text.
 */

export class PkiError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A PEM file or string that is not the expected certificate or key. */
export class InvalidPemError extends PkiError {
  constructor(what: string, detail: string, options?: { cause?: unknown }) {
    super("InvalidPem", `invalid ${what}: ${detail}`, options);
  }
}

/** The CA directory has no CA (neither ca.crt nor ca.key). */
export class CANotFoundError extends PkiError {
  constructor(readonly dir: string) {
    super("CANotFound", `no cluster CA in ${dir} (expected ca.crt and ca.key)`);
  }
}

/** ca.crt exists but ca.key is gone: refusing to silently create a new CA. */
export class CAKeyMissingError extends PkiError {
  constructor(readonly dir: string) {
    super("CAKeyMissing", `${dir}/ca.crt exists but ${dir}/ca.key is missing; restore the key (a new CA would invalidate every credential)`);
  }
}

/** The CA private key does not belong to the CA certificate. */
export class CAKeyMismatchError extends PkiError {
  constructor(readonly dir: string) {
    super("CAKeyMismatch", `the CA key does not match the CA certificate in ${dir}`);
  }
}

/** A subject alternative name that is neither an IP address nor a DNS name. */
export class InvalidSanError extends PkiError {
  constructor(readonly san: string) {
    super("InvalidSan", `invalid subject alternative name ${JSON.stringify(san)}: not an IP address or DNS name`);
  }
}

/** Bad option values (validity periods, intervals, modes...). */
export class InvalidOptionError extends PkiError {
  constructor(message: string) {
    super("InvalidOption", message);
  }
}

/** A join token that cannot be parsed. */
export class JoinTokenFormatError extends PkiError {
  constructor(detail: string) {
    super("JoinTokenFormat", `invalid join token: ${detail}`);
  }
}

/** The server's CA does not hash to the token's CA hash: a different cluster or a man in the middle. */
export class CAHashMismatchError extends PkiError {
  constructor(readonly expected: string, readonly actual: string, readonly server: string) {
    super(
      "CAHashMismatch",
      `the CA served by ${server} does not match the join token (token ${expected}, server ${actual}); refusing to send credentials`,
    );
  }
}

/** The server's TLS certificate is not signed by the CA it served at /cacerts. */
export class ServerNotTrustedError extends PkiError {
  constructor(readonly server: string, options?: { cause?: unknown }) {
    super("ServerNotTrusted", `the TLS certificate of ${server} is not valid for the cluster CA`, options);
  }
}

/** /cacerts could not be fetched or did not contain a CA certificate. */
export class CAFetchError extends PkiError {
  constructor(readonly server: string, detail: string, options?: { cause?: unknown }) {
    super("CAFetch", `cannot fetch the cluster CA from ${server}: ${detail}`, options);
  }
}

/** Base of ServiceAccount token verification failures (maps to HTTP 401). */
export class ServiceAccountTokenError extends PkiError {}

export class TokenMalformedError extends ServiceAccountTokenError {
  constructor(detail: string) {
    super("TokenMalformed", `malformed service account token: ${detail}`);
  }
}

export class TokenSignatureError extends ServiceAccountTokenError {
  constructor() {
    super("TokenSignature", "service account token signature is invalid");
  }
}

export class TokenExpiredError extends ServiceAccountTokenError {
  constructor(readonly expiredAt: Date) {
    super("TokenExpired", `service account token expired at ${expiredAt.toISOString()}`);
  }
}

export class TokenNotYetValidError extends ServiceAccountTokenError {
  constructor(readonly notBefore: Date) {
    super("TokenNotYetValid", `service account token is not valid before ${notBefore.toISOString()}`);
  }
}

export class TokenAudienceError extends ServiceAccountTokenError {
  constructor(readonly tokenAudiences: string[], readonly accepted: string[]) {
    super("TokenAudience", `service account token audiences ${JSON.stringify(tokenAudiences)} do not include any of ${JSON.stringify(accepted)}`);
  }
}

export class TokenIssuerError extends ServiceAccountTokenError {
  constructor(readonly issuer: unknown) {
    super("TokenIssuer", `service account token has an unexpected issuer ${JSON.stringify(issuer)}`);
  }
}
