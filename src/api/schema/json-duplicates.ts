/**
 * @module api/schema/json-duplicates
 * Finds duplicate object keys in JSON text (JSON.parse silently keeps the last one), with the paths
 * kube-apiserver's strict decoder reports: `metadata.name`, `spec.containers[0].name`.
 * Malformed JSON yields no result (the body parser reports it).
 */

const SCALAR = /-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null/y;

export function findDuplicateFields(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const ws = () => { while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++; };
  const fail = () => { throw new SyntaxError("bad json"); };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = str();
        const p = join(path, key);
        if (seen.has(key)) out.push(p);
        seen.add(key);
        ws();
        if (text[i++] !== ":") fail();
        value(p);
        ws();
        const d = text[i++];
        if (d === "}") return;
        if (d !== ",") fail();
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") { i++; return; }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        const d = text[i++];
        if (d === "]") return;
        if (d !== ",") fail();
      }
    } else if (c === '"') {
      str();
    } else {
      SCALAR.lastIndex = i;
      const m = SCALAR.exec(text);
      if (!m) fail();
      i += m![0].length;
    }
  };
  try {
    value("");
  } catch {
    return [];
  }
  return out;
}
