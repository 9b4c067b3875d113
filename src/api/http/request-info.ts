/**
 * @module api/http/request-info
 * Parses a request path into Kubernetes' RequestInfo (verb, group, version, namespace,
 * resource, name, subresource), as k8s.io/apiserver's RequestInfoFactory does.
 */
export interface RequestInfo {
  isResourceRequest: boolean;
  verb: string;
  apiPrefix: "api" | "apis" | "";
  group: string;
  version: string;
  namespace?: string;
  resource?: string;
  name?: string;
  subresource?: string;
  /** Path segments after the subresource (e.g. proxy paths). */
  rest: string[];
  path: string;
}

/**
 * A boolean query parameter as kube-apiserver converts it (runtime.Convert_Slice_string_To_bool):
 * absent is false, "0" and "false" in any case are false, anything else is true. The Python
 * client sends `watch=True`.
 */
export function queryBool(search: URLSearchParams, name: string): boolean {
  const v = search.get(name);
  if (v === null) return false;
  return !(v === "0" || v.toLowerCase() === "false");
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a malformed escape stays as sent; the name will not match anything
  }
}

export function parseRequestInfo(method: string, path: string, search: URLSearchParams): RequestInfo {
  const parts = path.split("/").filter((p) => p !== "");
  if (path.includes("%")) for (let i = 0; i < parts.length; i++) parts[i] = safeDecode(parts[i]!);
  const info: RequestInfo = { isResourceRequest: false, verb: method.toLowerCase(), apiPrefix: "", group: "", version: "", rest: [], path };
  if (parts[0] !== "api" && parts[0] !== "apis") return info;
  info.apiPrefix = parts[0];
  let i = 1;
  if (info.apiPrefix === "apis") {
    if (parts.length < 3) return info; // /apis, /apis/group
    info.group = parts[i++]!;
  } else if (parts.length < 2) return info; // /api
  info.version = parts[i++]!;
  if (i >= parts.length) return info; // /api/v1, /apis/g/v
  info.isResourceRequest = true;
  let rest = parts.slice(i);
  if (rest[0] === "watch") {
    // Deprecated /watch/ paths.
    rest = rest.slice(1);
    info.verb = "watch";
  }
  if (rest[0] === "namespaces") {
    if (rest.length >= 2) {
      info.namespace = rest[1];
      if (rest.length >= 3) rest = rest.slice(2);
      else {
        // /namespaces/{name} is the namespace object itself.
        info.resource = "namespaces";
        info.name = rest[1];
        info.namespace = undefined;
        rest = [];
      }
    } else {
      info.resource = "namespaces";
      rest = [];
    }
  }
  if (rest.length) {
    info.resource = rest[0];
    if (rest.length >= 2) info.name = rest[1];
    if (rest.length >= 3) info.subresource = rest[2];
    info.rest = rest.slice(3);
  }
  // A namespace object's subresources (/namespaces/x/status, /finalize) arrive as resource=status with namespace=x.
  if (info.namespace && info.resource && !info.name && (info.resource === "status" || info.resource === "finalize")) {
    info.subresource = info.resource;
    info.resource = "namespaces";
    info.name = info.namespace;
    info.namespace = undefined;
  }
  if (info.verb !== "watch") {
    switch (method) {
      case "GET":
      case "HEAD":
        info.verb = info.name ? "get" : queryBool(search, "watch") ? "watch" : "list";
        break;
      case "POST":
        info.verb = "create";
        break;
      case "PUT":
        info.verb = "update";
        break;
      case "PATCH":
        info.verb = "patch";
        break;
      case "DELETE":
        info.verb = info.name ? "delete" : "deletecollection";
        break;
    }
  } else if (info.name) {
    // GET /watch/.../name: a watch on one object.
  }
  return info;
}
