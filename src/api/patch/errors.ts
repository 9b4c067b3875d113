/**
 * @module api/patch/errors
 * Typed errors of the patch engines. Each carries the HTTP status and Status `reason` the API
 * server should answer with, matching what kube-apiserver does for the same failure:
 * malformed patch documents are 400 BadRequest, patches that are well formed but cannot be
 * applied to this object are 422 Invalid (as upstream's `NewGenericServerResponse(422, ...)`),
 * server-side apply conflicts are 409 Conflict (ApplyConflictError in apply.ts).
 */

export type PatchErrorReason = "BadRequest" | "Invalid" | "Conflict" | "RequestEntityTooLarge";

/** Base class: a patch could not be applied. Nothing is modified when it is thrown. */
export class PatchError extends Error {
  override name = "PatchError";
  constructor(
    message: string,
    /** HTTP status for the Status answer. */
    readonly status: 400 | 409 | 413 | 422,
    readonly reason: PatchErrorReason,
  ) {
    super(message);
  }
}

/** The patch document itself is malformed (bad JSON shape, bad directive format). 400. */
export class BadPatchError extends PatchError {
  override name = "BadPatchError";
  constructor(message: string) {
    super(message, 400, "BadRequest");
  }
}

/** The patch is well formed but does not apply to this object (missing path, failed test). 422. */
export class PatchApplyError extends PatchError {
  override name = "PatchApplyError";
  constructor(message: string) {
    super(message, 422, "Invalid");
  }
}
