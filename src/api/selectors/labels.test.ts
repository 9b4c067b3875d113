import { describe, expect, test } from "bun:test";
import { EVERYTHING, fromLabelSelector, LabelSelectorError, NOTHING, parseLabelSelector, selectorFromSet } from "./labels.ts";

function parseError(s: string): string {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(LabelSelectorError);
    expect((e as LabelSelectorError).status).toBe(400);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(s)} to fail`);
}

const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe("parse and match", () => {
  const pod = { app: "nginx", tier: "web", replicas: "3", empty: "" };
  const cases: [string, boolean][] = [
    ["", true],
    ["app=nginx", true],
    ["app==nginx", true],
    ["app=apache", false],
    ["app!=apache", true],
    ["missing!=x", true],
    ["app in (nginx,apache)", true],
    ["app in (apache)", false],
    ["app notin (apache,x)", true],
    ["app notin (nginx)", false],
    ["missing notin (nginx)", true],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["replicas>2", true],
    ["replicas>3", false],
    ["replicas<4", true],
    ["app>1", false],
    ["missing<4", false],
    ["app=nginx,tier=web", true],
    ["app=nginx,tier=db", false],
    ["  app = nginx ,  tier  in ( web , db )  ", true],
    ["empty=", true],
    ["empty in ()", true],
    ["empty in (,x)", true],
    ["in=x", false],
    ["app in (in,nginx)", true],
  ];
  for (const [sel, want] of cases) {
    test(`${JSON.stringify(sel)} -> ${want}`, () => expect(parseLabelSelector(sel).matches(pod)).toBe(want));
  }
  test("no labels at all", () => {
    expect(parseLabelSelector("!a").matches(undefined)).toBe(true);
    expect(parseLabelSelector("a").matches(null)).toBe(false);
    expect(parseLabelSelector("").matches(undefined)).toBe(true);
  });
  test("requiresExactMatch", () => {
    const s = parseLabelSelector("b in (x),a=1,c in (x,y)");
    expect(s.requiresExactMatch("a")).toBe("1");
    expect(s.requiresExactMatch("b")).toBe("x");
    expect(s.requiresExactMatch("c")).toBeUndefined();
    expect(s.requiresExactMatch("z")).toBeUndefined();
  });
});

describe("canonical string", () => {
  const cases: [string, string][] = [
    ["x=a,y=b,z=c", "x=a,y=b,z=c"],
    ["x in (c,a,b),!y", "x in (a,b,c),!y"],
    ["z,y!=b,x==a", "x==a,y!=b,z"],
    ["x notin (b,a,b)", "x notin (a,b)"],
    ["k>1,j<2", "j<2,k>1"],
    ["a in (,x)", "a in (,x)"],
    ["a=", "a="],
  ];
  for (const [input, want] of cases) test(`${input} -> ${want}`, () => expect(parseLabelSelector(input).toString()).toBe(want));
  test("round trip", () => {
    const s = "app.kubernetes.io/name in (a,b),env!=prod,!legacy,tier";
    expect(parseLabelSelector(parseLabelSelector(s).toString()).toString()).toBe(parseLabelSelector(s).toString());
  });
});

describe("errors (upstream wording)", () => {
  test("bad key", () => {
    expect(parseError("app:monolith")).toBe(`unable to parse requirement: <nil>: Invalid value: "app:monolith": ${NAME_PART}`);
    expect(parseError("a/b/c=d")).toBe(
      `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    );
    expect(parseError("app.kubernetes_io/name=x")).toStartWith(
      `unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters`,
    );
    expect(parseError("example.com/=x")).toBe(`unable to parse requirement: <nil>: Invalid value: "example.com/": name part must be non-empty; ${NAME_PART}`);
    expect(parseError(`${"a".repeat(64)}=x`)).toStartWith(`unable to parse requirement: <nil>: Invalid value: "${"a".repeat(64)}": name part must be no more than 63 characters`);
  });
  test("bad value", () => {
    expect(parseError("a=b$c")).toBe(
      `unable to parse requirement: values[0][a]: Invalid value: "b$c": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
    expect(parseError("a>x")).toBe(`unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`);
    expect(parseError("a<-1")).toStartWith(`unable to parse requirement: values[0][a]: Invalid value: "-1": a valid label must be`);
  });
  test("syntax", () => {
    expect(parseError("a=b c")).toBe("found 'c', expected: ',' or 'end of string'");
    expect(parseError("a=b,")).toBe("found '', expected: identifier after ','");
    expect(parseError(",a")).toBe("found ',', expected: !, identifier, or 'end of string'");
    expect(parseError("a in b")).toBe("unable to parse requirement: found 'b' expected: '('");
    expect(parseError("a in (b")).toBe("unable to parse requirement: found '', expected: ',' or ')'");
    expect(parseError("a in (b c)")).toBe("unable to parse requirement: found 'c', expected: ',' or ')'");
    expect(parseError("a in (=)")).toBe("unable to parse requirement: found '=', expected: ',', ')' or identifier");
    expect(parseError("a b")).toBe("unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    expect(parseError("a===b")).toBe("unable to parse requirement: found '=', expected: identifier");
    expect(parseError("!a=b")).toBe("found '=', expected: ',' or 'end of string'");
    expect(parseError("!")).toBe("unable to parse requirement: found '', expected: identifier");
  });
});

describe("metav1.LabelSelector", () => {
  test("nil matches nothing, empty matches everything", () => {
    expect(fromLabelSelector(null)).toBe(NOTHING);
    expect(fromLabelSelector(undefined).matches({ a: "b" })).toBe(false);
    expect(fromLabelSelector({})).toBe(EVERYTHING);
    expect(fromLabelSelector({ matchLabels: {}, matchExpressions: [] }).matches({})).toBe(true);
  });
  test("matchLabels and matchExpressions", () => {
    const s = fromLabelSelector({
      matchLabels: { app: "nginx" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["web", "api"] },
        { key: "env", operator: "NotIn", values: ["prod"] },
        { key: "team", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    });
    expect(s.toString()).toBe("app=nginx,env notin (prod),!legacy,team,tier in (api,web)");
    expect(s.matches({ app: "nginx", tier: "web", team: "x" })).toBe(true);
    expect(s.matches({ app: "nginx", tier: "web", team: "x", env: "prod" })).toBe(false);
    expect(s.matches({ app: "nginx", tier: "web", team: "x", legacy: "1" })).toBe(false);
    expect(s.matches({ app: "nginx", tier: "db", team: "x" })).toBe(false);
  });
  test("Scale status.selector form", () => {
    expect(fromLabelSelector({ matchLabels: { app: "nginx" } }).toString()).toBe("app=nginx");
    expect(fromLabelSelector({ matchLabels: { b: "2", a: "1" } }).toString()).toBe("a=1,b=2");
  });
  test("errors", () => {
    expect(() => fromLabelSelector({ matchExpressions: [{ key: "a", operator: "Foo" }] })).toThrow('"Foo" is not a valid label selector operator');
    expect(() => fromLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).toThrow(
      "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    );
    expect(() => fromLabelSelector({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] })).toThrow(
      'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
    );
    expect(() => fromLabelSelector({ matchLabels: { "bad key": "x" } })).toThrow(`key: Invalid value: "bad key": ${NAME_PART}`);
    let msg = "";
    try {
      fromLabelSelector({ matchExpressions: [{ key: "bad key", operator: "In", values: [] }] });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toBe(`[key: Invalid value: "bad key": ${NAME_PART}, values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty]`);
  });
});

test("selectorFromSet", () => {
  expect(selectorFromSet({ b: "2", a: "1" }).toString()).toBe("a=1,b=2");
  expect(selectorFromSet({ a: "1" }).matches({ a: "1", c: "3" })).toBe(true);
  expect(selectorFromSet(undefined).empty()).toBe(true);
});
