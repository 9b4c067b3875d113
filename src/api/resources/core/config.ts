/**
 * @module api/resources/core/config
 * ConfigMaps and Secrets: key validation ("a valid config key must consist of
 * alphanumeric characters, '-', '_' or '.'"), base64 data, Secret types and their
 * required keys, stringData merged into data on every write (and never stored),
 * `immutable` enforcement, size limits, and their tables.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { isObj, key, type Causes } from "../common/causes.ts";
import { ageCell, col, nameCol, ageCol } from "../common/columns.ts";

export const MAX_SECRET_SIZE = 1024 * 1024;

const CONFIG_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** validation.IsConfigMapKey */
export function configKeyErrors(k: string): string[] {
  const errs: string[] = [];
  if (k.length > 253) errs.push("must be no more than 253 characters");
  if (!/^[-._a-zA-Z0-9]+$/.test(k)) errs.push(CONFIG_KEY_MSG);
  if (k === ".") errs.push("must not be '.'");
  else if (k === "..") errs.push("must not be '..'");
  else if (k.startsWith("..")) errs.push("must not start with '..'");
  return errs;
}

function isBase64(v: unknown): boolean {
  return typeof v === "string" && /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v);
}
function base64Len(v: string): number {
  return Math.floor((v.length * 3) / 4) - (v.endsWith("==") ? 2 : v.endsWith("=") ? 1 : 0);
}

function validateKeys(map: unknown, path: string, other: Obj | undefined, otherName: string): Causes {
  const out: Causes = [];
  if (map === undefined || map === null) return out;
  if (!isObj(map)) return [field.invalid(path, map, "must be a map of strings")];
  for (const k of Object.keys(map)) {
    for (const m of configKeyErrors(k)) out.push(field.invalid(key(path, k), k, m));
    if (other && k in other) out.push(field.invalid(key(path, k), k, `duplicate of key present in ${otherName}`));
  }
  return out;
}

function immutableChecks(obj: Obj, old: Obj, fields: string[]): Causes {
  const out: Causes = [];
  if (old.immutable === true) {
    if (obj.immutable !== true) out.push(field.forbidden("immutable", "field is immutable when `immutable` is set"));
    for (const f of fields) {
      if (JSON.stringify(obj[f] ?? {}) !== JSON.stringify(old[f] ?? {})) out.push(field.forbidden(f, "field is immutable when `immutable` is set"));
    }
  }
  return out;
}

export function configMapDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "ConfigMap",
    plural: "configmaps",
    singular: "configmap",
    shortNames: ["cm"],
    namespaced: true,
    validate(cm: Obj) {
      const data = isObj(cm.data) ? cm.data : undefined;
      const bin = isObj(cm.binaryData) ? cm.binaryData : undefined;
      const out = [...validateKeys(cm.data, "data", bin, "binaryData"), ...validateKeys(cm.binaryData, "binaryData", data, "data")];
      let total = 0;
      for (const [k, v] of Object.entries(data ?? {})) {
        if (typeof v !== "string") out.push(field.invalid(key("data", k), v, "must be a string"));
        else total += k.length + v.length;
      }
      for (const [k, v] of Object.entries(bin ?? {})) {
        if (!isBase64(v)) out.push(field.invalid(key("binaryData", k), "<binary>", "must be base64-encoded"));
        else total += k.length + base64Len(v as string);
      }
      if (total > MAX_SECRET_SIZE) out.push({ reason: "FieldValueTooLong", message: `Too long: may not be more than ${MAX_SECRET_SIZE} bytes`, field: "" });
      return out;
    },
    validateUpdate: (cm: Obj, old: Obj) => immutableChecks(cm, old, ["data", "binaryData"]),
    columns: [nameCol, col("Data", "string", "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."), ageCol],
    cells: (cm: Obj, now: number) => [cm.metadata?.name, Object.keys(isObj(cm.data) ? cm.data : {}).length + Object.keys(isObj(cm.binaryData) ? cm.binaryData : {}).length, ageCell(cm, now)],
  };
}

/** Secret type → keys that must be present in data. */
const REQUIRED_KEYS: Record<string, string[]> = {
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
};

/** Merge stringData into data (base64) and drop it, as the v1 conversion does. */
export function defaultSecret(s: Obj) {
  if (s.type === undefined || s.type === null || s.type === "") s.type = "Opaque";
  if (isObj(s.stringData)) {
    const data = isObj(s.data) ? s.data : (s.data = {});
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v), "utf8").toString("base64");
  }
  delete s.stringData;
}

export function validateSecret(s: Obj): Causes {
  const out = validateKeys(s.data, "data", undefined, "");
  const data = isObj(s.data) ? s.data : {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!isBase64(v)) out.push(field.invalid(key("data", k), "<secret contents redacted>", "must be base64-encoded"));
    else total += base64Len(v as string);
  }
  if (total > MAX_SECRET_SIZE) out.push({ reason: "FieldValueTooLong", message: `Too long: may not be more than ${MAX_SECRET_SIZE} bytes`, field: "data" });
  const type: string = s.type ?? "";
  for (const k of REQUIRED_KEYS[type] ?? []) if (!(k in data)) out.push(field.required(key("data", k), ""));
  if (type === "kubernetes.io/service-account-token" && !s.metadata?.annotations?.["kubernetes.io/service-account.name"]) {
    out.push(field.required("metadata.annotations[kubernetes.io/service-account.name]", ""));
  }
  if (type === "kubernetes.io/basic-auth" && !("username" in data) && !("password" in data)) {
    out.push(field.required(key("data", "username"), ""), field.required(key("data", "password"), ""));
  }
  if (type === "kubernetes.io/dockerconfigjson" && isBase64(data[".dockerconfigjson"])) {
    try {
      JSON.parse(Buffer.from(data[".dockerconfigjson"], "base64").toString("utf8"));
    } catch (e) {
      out.push(field.invalid(key("data", ".dockerconfigjson"), "<secret contents redacted>", (e as Error).message));
    }
  }
  return out;
}

export function secretDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "Secret",
    plural: "secrets",
    singular: "secret",
    namespaced: true,
    defaults: defaultSecret,
    validate: validateSecret,
    validateUpdate(s: Obj, old: Obj) {
      const out: Causes = [];
      if ((s.type ?? "Opaque") !== (old.type ?? "Opaque")) out.push(field.invalid("type", s.type, "field is immutable"));
      return [...out, ...immutableChecks(s, old, ["data"])];
    },
    columns: [nameCol, col("Type", "string", "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"), col("Data", "string", "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"), ageCol],
    cells: (s: Obj, now: number) => [s.metadata?.name, s.type ?? "", Object.keys(isObj(s.data) ? s.data : {}).length, ageCell(s, now)],
    selectableFields: (s: Obj) => ({ type: s.type ?? "" }),
  };
}

export function serviceAccountDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "ServiceAccount",
    plural: "serviceaccounts",
    singular: "serviceaccount",
    shortNames: ["sa"],
    namespaced: true,
    validate(sa: Obj) {
      const out: Causes = [];
      if (sa.automountServiceAccountToken !== undefined && sa.automountServiceAccountToken !== null && typeof sa.automountServiceAccountToken !== "boolean") {
        out.push(field.invalid("automountServiceAccountToken", sa.automountServiceAccountToken, "must be a boolean"));
      }
      return out;
    },
    columns: [nameCol, col("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), ageCol],
    cells: (sa: Obj, now: number) => [sa.metadata?.name, Array.isArray(sa.secrets) ? sa.secrets.length : 0, ageCell(sa, now)],
  };
}
