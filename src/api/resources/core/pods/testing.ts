/**
 * @module api/resources/core/pods/testing
 * Test helpers for kind hooks: an OpContext and an in-memory RegistryAccess.
 * (Plain data; the generic registry itself is exercised by the lead's integration tests.)
 */
import type { Obj, OpContext, RegistryAccess } from "../../../registry/types.ts";

export function testCtx(now = new Date("2025-01-01T00:00:00Z")): OpContext {
  return { user: { username: "alice", groups: ["system:authenticated"] }, now, dryRun: false, fieldValidation: "Strict", warnings: [] };
}

/** RegistryAccess over a map keyed "group/plural[/namespace]/name". */
export function memRegistry(objs: { group: string; plural: string; obj: Obj }[] = []): RegistryAccess & { add(group: string, plural: string, obj: Obj): void } {
  const items = [...objs];
  return {
    add(group, plural, obj) {
      items.push({ group, plural, obj });
    },
    async list(group, plural, namespace) {
      return items.filter((i) => i.group === group && i.plural === plural && (!namespace || i.obj.metadata?.namespace === namespace)).map((i) => i.obj);
    },
    async get(group, plural, namespace, name) {
      return items.find((i) => i.group === group && i.plural === plural && i.obj.metadata?.name === name && (namespace === undefined || i.obj.metadata?.namespace === namespace))?.obj ?? null;
    },
  };
}
