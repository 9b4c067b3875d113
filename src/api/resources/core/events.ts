/**
 * @module api/resources/core/events
 * Events in both APIs. Upstream stores core/v1 and events.k8s.io/v1 Events in the same
 * place (/registry/events) and converts between them; this module has both kinds'
 * descriptions plus the conversion functions, so the registry can share one storage
 * if it grows a conversion hook. Core events get the legacy (lenient) validation, events
 * created through events.k8s.io the strict one, like upstream.
 */
import { field } from "../../errors.ts";
import type { ColumnDef, Obj, ResourceDef } from "../../registry/types.ts";
import { humanDuration } from "../../registry/objects.ts";
import { isDNS1123Subdomain } from "../../validation/meta.ts";
import { isObj, pathSegmentNameErrors, qualifiedName, type Causes } from "../common/causes.ts";
import { col, NAME_DESC } from "../common/columns.ts";

const LIMITS = { reportingInstance: 128, action: 128, reason: 128, message: 1024 };

export const eventColumns: ColumnDef[] = [
  col("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded."),
  col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
  col("Reason", "string", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  col("Object", "string", "The object that this event is about."),
  col("Subobject", "string", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.", 1),
  col("Source", "string", "The component reporting this event. Should be a short machine understandable string.", 1),
  col("Message", "string", "A human-readable description of the status of this operation."),
  col("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
  col("Count", "string", "The number of times this event has occurred.", 1),
  { name: "Name", type: "string", format: "name", description: NAME_DESC, priority: 1 },
];


function since(ts: unknown, now: number): string {
  if (typeof ts !== "string" || !ts) return "<unknown>";
  const t = Date.parse(ts);
  return Number.isNaN(t) || t <= 0 ? "<unknown>" : humanDuration(now - t);
}

/** printEvent over a core/v1 Event. */
export function coreEventCells(ev: Obj, now: number): unknown[] {
  let first = since(ev.firstTimestamp, now);
  if (!ev.firstTimestamp) first = since(ev.eventTime, now);
  let last = ev.lastTimestamp ? since(ev.lastTimestamp, now) : first;
  let count = Number(ev.count ?? 0);
  if (isObj(ev.series)) {
    last = since(ev.series.lastObservedTime, now);
    count = Number(ev.series.count ?? 0);
  } else if (count === 0) count = 1;
  const io = isObj(ev.involvedObject) ? ev.involvedObject : {};
  const kind = String(io.kind ?? "").toLowerCase();
  const target = io.name ? `${kind}/${io.name}` : kind;
  const src = isObj(ev.source) ? ev.source : {};
  const component = src.component || ev.reportingComponent || "";
  const instance = src.host || ev.reportingInstance || "";
  const source = instance ? `${component}, ${instance}` : component;
  return [last, ev.type ?? "", ev.reason ?? "", target, io.fieldPath ?? "", source, String(ev.message ?? "").trim(), first, count, ev.metadata?.name];
}

export function coreEventFields(ev: Obj): Record<string, string | undefined> {
  const io = isObj(ev.involvedObject) ? ev.involvedObject : {};
  return {
    "involvedObject.kind": io.kind ?? "",
    "involvedObject.namespace": io.namespace ?? "",
    "involvedObject.name": io.name ?? "",
    "involvedObject.uid": io.uid ?? "",
    "involvedObject.apiVersion": io.apiVersion ?? "",
    "involvedObject.resourceVersion": io.resourceVersion ?? "",
    "involvedObject.fieldPath": io.fieldPath ?? "",
    reason: ev.reason ?? "",
    reportingComponent: ev.reportingComponent ?? "",
    source: ev.source?.component || ev.reportingComponent || "",
    type: ev.type ?? "",
  };
}

/** legacyValidateEvent (what core/v1 creates get). */
export function validateCoreEvent(ev: Obj): Causes {
  const out: Causes = [];
  const io = isObj(ev.involvedObject) ? ev.involvedObject : {};
  const ns: string = ev.metadata?.namespace ?? "";
  if (!ev.eventTime) {
    if (!io.namespace) {
      if (ns !== "" && ns !== "default") out.push(field.invalid("involvedObject.namespace", io.namespace ?? "", "does not match event.namespace"));
    } else if (ns !== io.namespace) out.push(field.invalid("involvedObject.namespace", io.namespace, "does not match event.namespace"));
  } else {
    if (!io.namespace && ns !== "default" && ns !== "kube-system") out.push(field.invalid("involvedObject.namespace", io.namespace ?? "", "does not match event.namespace"));
    if (!ev.reportingComponent) out.push(field.required("reportingComponent", ""));
    else out.push(...qualifiedName(ev.reportingComponent, "reportingComponent"));
    if (!ev.reportingInstance) out.push(field.required("reportingInstance", ""));
    else if (String(ev.reportingInstance).length > LIMITS.reportingInstance) out.push(field.invalid("reportingInstance", "", `can have at most ${LIMITS.reportingInstance} characters`));
    if (!ev.action) out.push(field.required("action", ""));
    else if (String(ev.action).length > LIMITS.action) out.push(field.invalid("action", "", `can have at most ${LIMITS.action} characters`));
    if (!ev.reason) out.push(field.required("reason", ""));
    else if (String(ev.reason).length > LIMITS.reason) out.push(field.invalid("reason", "", `can have at most ${LIMITS.reason} characters`));
    if (String(ev.message ?? "").length > LIMITS.message) out.push(field.invalid("message", "", `can have at most ${LIMITS.message} characters`));
  }
  for (const m of isDNS1123Subdomain(ns)) out.push(field.invalid("namespace", ns, m));
  return out;
}

const lenientName = (name: string) => pathSegmentNameErrors(name);

export function coreEventDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "Event",
    plural: "events",
    singular: "event",
    shortNames: ["ev"],
    namespaced: true,
    nameValidator: lenientName,
    validate: validateCoreEvent,
    columns: eventColumns,
    cells: coreEventCells,
    selectableFields: coreEventFields,
  };
}

// ---- events.k8s.io/v1 ---------------------------------------------------------------

const RENAMES: [core: string, v1: string][] = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["reportingComponent", "reportingController"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
];

/** core/v1 Event → events.k8s.io/v1 Event (metadata shared). */
export function coreEventToV1(ev: Obj): Obj {
  const out: Obj = { ...ev, apiVersion: "events.k8s.io/v1", kind: "Event" };
  for (const [a, b] of RENAMES) {
    delete out[a];
    if (ev[a] !== undefined) out[b] = ev[a];
  }
  return out;
}

/** events.k8s.io/v1 Event → core/v1 Event. */
export function v1EventToCore(ev: Obj): Obj {
  const out: Obj = { ...ev, apiVersion: "v1", kind: "Event" };
  for (const [a, b] of RENAMES) {
    delete out[b];
    if (ev[b] !== undefined) out[a] = ev[b];
  }
  return out;
}

/** Strict validation of events written through events.k8s.io/v1 (ValidateEventCreate). */
export function validateV1Event(ev: Obj): Causes {
  const out: Causes = [];
  const regarding = isObj(ev.regarding) ? ev.regarding : {};
  const ns: string = ev.metadata?.namespace ?? "";
  if (!regarding.namespace && ns !== "default" && ns !== "kube-system") out.push(field.invalid("regarding.namespace", regarding.namespace ?? "", "does not match event.namespace"));
  if (!ev.eventTime) out.push(field.required("eventTime", ""));
  if (ev.type !== "Normal" && ev.type !== "Warning") out.push(field.invalid("type", "", `has invalid value: ${ev.type ?? ""}`));
  if (ev.deprecatedFirstTimestamp) out.push(field.invalid("deprecatedFirstTimestamp", "", "needs to be unset"));
  if (ev.deprecatedLastTimestamp) out.push(field.invalid("deprecatedLastTimestamp", "", "needs to be unset"));
  if (ev.deprecatedCount) out.push(field.invalid("deprecatedCount", "", "needs to be unset"));
  if (isObj(ev.deprecatedSource) && (ev.deprecatedSource.component || ev.deprecatedSource.host)) out.push(field.invalid("deprecatedSource", "", "needs to be unset"));
  if (isObj(ev.series)) {
    if (!(Number(ev.series.count) >= 2)) out.push(field.invalid("series.count", "", "should be at least 2"));
    if (!ev.series.lastObservedTime) out.push(field.required("series.lastObservedTime", ""));
  }
  if (!ev.reportingController) out.push(field.required("reportingController", ""));
  else out.push(...qualifiedName(ev.reportingController, "reportingController"));
  if (!ev.reportingInstance) out.push(field.required("reportingInstance", ""));
  else if (String(ev.reportingInstance).length > LIMITS.reportingInstance) out.push(field.invalid("reportingInstance", "", `can have at most ${LIMITS.reportingInstance} characters`));
  if (!ev.action) out.push(field.required("action", ""));
  else if (String(ev.action).length > LIMITS.action) out.push(field.invalid("action", "", `can have at most ${LIMITS.action} characters`));
  if (!ev.reason) out.push(field.required("reason", ""));
  else if (String(ev.reason).length > LIMITS.reason) out.push(field.invalid("reason", "", `can have at most ${LIMITS.reason} characters`));
  if (String(ev.note ?? "").length > LIMITS.message) out.push(field.invalid("note", "", `can have at most ${LIMITS.message} characters`));
  return out;
}

export function eventsV1Def(): ResourceDef {
  return {
    group: "events.k8s.io",
    version: "v1",
    kind: "Event",
    plural: "events",
    singular: "event",
    shortNames: ["ev"],
    namespaced: true,
    validate: validateV1Event,
    columns: eventColumns,
    cells: (ev: Obj, now: number) => coreEventCells(v1EventToCore(ev), now),
    selectableFields(ev: Obj) {
      const f = coreEventFields(v1EventToCore(ev));
      return {
        "regarding.kind": f["involvedObject.kind"],
        "regarding.namespace": f["involvedObject.namespace"],
        "regarding.name": f["involvedObject.name"],
        "regarding.uid": f["involvedObject.uid"],
        "regarding.apiVersion": f["involvedObject.apiVersion"],
        "regarding.resourceVersion": f["involvedObject.resourceVersion"],
        "regarding.fieldPath": f["involvedObject.fieldPath"],
        reason: f.reason,
        reportingController: f.reportingComponent,
        type: f.type,
      };
    },
  };
}


