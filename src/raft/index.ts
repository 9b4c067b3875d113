/**
 * @module raft
 * The pure Raft core: RawNode (the API), the storage contract with MemoryStorage, the
 * message / entry / Ready types and the typed errors. See raw-node.ts for the Ready loop.
 */
export * from "./errors.ts";
export * from "./types.ts";
export { RawNode, type Status, type ProgressStatus } from "./raw-node.ts";
export type { RaftConfig } from "./raft.ts";
export {
  MemoryStorage,
  type LogStorage,
  type RaftStorage,
  type StorageUpdate,
  type InitialState,
  InvalidStorageArgumentError,
} from "./storage.ts";
