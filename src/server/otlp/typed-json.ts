/**
 * A JSON reader that keeps what `JSON.parse` loses: integers stay BigInt (span times, int
 * attributes) and `1.0` stays a double, so a stored span renders back with the types Python gave
 * it. Objects keep their key order. Python's `NaN`/`Infinity` literals are accepted.
 */

import type { AnyValue } from "./model.ts";

export class TypedJsonError extends Error {
  override name = "TypedJsonError";
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const SPECIAL: Record<string, AnyValue> = {
  true: { kind: "bool", value: true },
  false: { kind: "bool", value: false },
  null: { kind: "empty" },
  NaN: { kind: "double", value: NaN },
  Infinity: { kind: "double", value: Infinity },
  "-Infinity": { kind: "double", value: -Infinity },
};

export function parseTypedJson(text: string): AnyValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new TypedJsonError(`${what} at position ${pos}`);
  };
  const space = (): void => {
    while (pos < text.length && " \t\n\r".includes(text[pos] as string)) pos++;
  };
  const string = (): string => {
    const start = pos;
    pos++;
    let hasEscape = false;
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === "\\") {
        hasEscape = true;
        pos++;
      }
      pos++;
    }
    if (pos >= text.length) fail("unterminated string");
    pos++;
    const raw = text.slice(start, pos);
    if (!hasEscape) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail("bad string escape");
    }
  };
  const value = (depth: number): AnyValue => {
    if (depth > 512) fail("nesting too deep");
    space();
    const ch = text[pos];
    if (ch === '"') return { kind: "string", value: string() };
    if (ch === "{") {
      pos++;
      const values: { key: string; value: AnyValue }[] = [];
      space();
      if (text[pos] === "}") {
        pos++;
        return { kind: "kvlist", values };
      }
      for (;;) {
        space();
        if (text[pos] !== '"') fail("expected a key");
        const key = string();
        space();
        if (text[pos] !== ":") fail("expected ':'");
        pos++;
        values.push({ key, value: value(depth + 1) });
        space();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return { kind: "kvlist", values };
        }
        fail("expected ',' or '}'");
      }
    }
    if (ch === "[") {
      pos++;
      const values: AnyValue[] = [];
      space();
      if (text[pos] === "]") {
        pos++;
        return { kind: "array", values };
      }
      for (;;) {
        values.push(value(depth + 1));
        space();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return { kind: "array", values };
        }
        fail("expected ',' or ']'");
      }
    }
    for (const [word, special] of Object.entries(SPECIAL)) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return special;
      }
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (!match) return fail("unexpected character");
    pos += match[0].length;
    if (match[1] === undefined && match[2] === undefined) return { kind: "int", value: BigInt(match[0]) };
    return { kind: "double", value: Number(match[0]) };
  };
  const result = value(0);
  space();
  if (pos !== text.length) fail("trailing text");
  return result;
}

/** The value under `key` of a parsed object. */
export function member(object: AnyValue, key: string): AnyValue | undefined {
  if (object.kind !== "kvlist") return undefined;
  for (const kv of object.values) if (kv.key === key) return kv.value;
  return undefined;
}
