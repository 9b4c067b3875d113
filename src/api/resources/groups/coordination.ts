/**
 * @module api/resources/groups/coordination
 * coordination.k8s.io/v1 Leases (node heartbeats, leader election): PUT may create,
 * duration/transition checks, HOLDER column.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { isInt, isObj, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, nameCol } from "../common/columns.ts";

export function leaseDef(): ResourceDef {
  return {
    group: "coordination.k8s.io",
    version: "v1",
    kind: "Lease",
    plural: "leases",
    singular: "lease",
    namespaced: true,
    allowCreateOnUpdate: true,
    validate(l: Obj) {
      const spec = isObj(l.spec) ? l.spec : {};
      const out: Causes = [];
      const d = spec.leaseDurationSeconds;
      if (d !== undefined && d !== null && !(isInt(d) && d > 0)) out.push(field.invalid("spec.leaseDurationSeconds", d, "must be greater than 0"));
      const t = spec.leaseTransitions;
      if (t !== undefined && t !== null && !(isInt(t) && t >= 0)) out.push(field.invalid("spec.leaseTransitions", t, "must be greater than or equal to 0"));
      return out;
    },
    columns: [nameCol, col("Holder", "string", "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."), ageCol],
    cells: (l: Obj, now: number) => [l.metadata?.name, l.spec?.holderIdentity ?? "", ageCell(l, now)],
  };
}
