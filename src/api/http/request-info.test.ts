import { describe, expect, test } from "bun:test";
import { parseRequestInfo, queryBool } from "./request-info.ts";

describe("queryBool", () => {
  test("follows kube-apiserver's conversion: absent, 0 and false (any case) are false, anything else true", () => {
    const q = (s: string) => new URLSearchParams(s);
    for (const v of ["true", "True", "TRUE", "1", "t", "yes", ""]) expect(queryBool(q(`watch=${v}`), "watch")).toBe(true);
    for (const v of ["false", "False", "FALSE", "0"]) expect(queryBool(q(`watch=${v}`), "watch")).toBe(false);
    expect(queryBool(q(""), "watch")).toBe(false);
  });
});

describe("parseRequestInfo", () => {
  test("watch=True (the Python client) is a watch", () => {
    expect(parseRequestInfo("GET", "/api/v1/namespaces/a/configmaps", new URLSearchParams("watch=True")).verb).toBe("watch");
    expect(parseRequestInfo("GET", "/api/v1/namespaces/a/configmaps", new URLSearchParams("watch=false")).verb).toBe("list");
    expect(parseRequestInfo("GET", "/api/v1/namespaces/a/configmaps/x", new URLSearchParams("watch=true")).verb).toBe("get");
  });

  test("paths: namespaced, cluster-scoped, subresources, legacy watch", () => {
    expect(parseRequestInfo("PATCH", "/apis/apps/v1/namespaces/a/deployments/d/scale", new URLSearchParams())).toMatchObject({ verb: "patch", group: "apps", version: "v1", namespace: "a", resource: "deployments", name: "d", subresource: "scale" });
    expect(parseRequestInfo("PUT", "/api/v1/namespaces/a/finalize", new URLSearchParams())).toMatchObject({ verb: "update", resource: "namespaces", name: "a", subresource: "finalize" });
    expect(parseRequestInfo("GET", "/api/v1/watch/namespaces/a/pods/p", new URLSearchParams())).toMatchObject({ verb: "watch", namespace: "a", resource: "pods", name: "p" });
    expect(parseRequestInfo("DELETE", "/api/v1/nodes", new URLSearchParams())).toMatchObject({ verb: "deletecollection", resource: "nodes" });
  });
});
