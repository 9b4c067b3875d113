import { runStorageContract } from "./storage-contract.ts";
import { MemoryStorage } from "./storage.ts";

runStorageContract("MemoryStorage", () => ({ storage: new MemoryStorage(), cleanup: () => {} }));
