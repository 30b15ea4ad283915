/**
 * Whether a column a newer MLflow declared can stand in for the one fml's head schema declares:
 * types are compared by kind and width, not by spelling (VARCHAR(250) and character varying(250)
 * are one type; a wider VARCHAR or TEXT holds what a VARCHAR(n) holds; a narrower one does not).
 */

import type { Dialect } from "../db/sql.ts";

export type TypeKind = "text" | "integer" | "float" | "boolean" | "json" | "binary" | "other";

export interface TypeShape {
  kind: TypeKind;
  /** text: most characters (null: unbounded); integer and float: bytes; other: null. */
  size: number | null;
  /** The declared type, lower case, single spaces: what "other" kinds are compared by. */
  spelling: string;
}

const patterns: readonly [RegExp, (m: RegExpExecArray) => Omit<TypeShape, "spelling">][] = [
  [/^(?:character varying|varchar|nvarchar|character|char|nchar)(?:\s*\((\d+)\))?$/, (m) => ({ kind: "text", size: m[1] ? Number(m[1]) : null })],
  [/^(?:text|tinytext|mediumtext|longtext|clob|string)$/, () => ({ kind: "text", size: null })],
  [/^(?:tinyint\s*\(1\)|boolean|bool)$/, () => ({ kind: "boolean", size: null })],
  [/^(?:tinyint)(?:\s*\(\d+\))?$/, () => ({ kind: "integer", size: 1 })],
  [/^(?:smallint|int2)(?:\s*\(\d+\))?$/, () => ({ kind: "integer", size: 2 })],
  [/^(?:integer|int|int4|mediumint)(?:\s*\(\d+\))?$/, () => ({ kind: "integer", size: 4 })],
  [/^(?:bigint|int8)(?:\s*\(\d+\))?$/, () => ({ kind: "integer", size: 8 })],
  [/^(?:double precision|double|float8|float\s*\(53\)|float)$/, () => ({ kind: "float", size: 8 })],
  [/^(?:real|float4)$/, () => ({ kind: "float", size: 4 })],
  [/^(?:json|jsonb)$/, () => ({ kind: "json", size: null })],
  [/^(?:blob|tinyblob|mediumblob|longblob|bytea|varbinary\s*\(\d+\)|binary\s*\(\d+\))$/, () => ({ kind: "binary", size: null })],
];

export function typeShape(declared: string, dialect: Dialect): TypeShape {
  const spelling = declared.trim().toLowerCase().replace(/\s+/g, " ").replace(/ unsigned$/, "");
  for (const [pattern, shape] of patterns) {
    const match = pattern.exec(spelling);
    if (!match) continue;
    const found = { ...shape(match), spelling };
    // SQLite stores every integer in up to 8 bytes and every float in 8, whatever the declaration.
    if (dialect === "sqlite" && (found.kind === "integer" || found.kind === "float")) found.size = 8;
    return found;
  }
  return { kind: "other", size: null, spelling };
}

/**
 * Why the live type cannot stand in for the one fml needs, or null when it can: it must hold every
 * value fml writes and give back what fml reads.
 */
export function incompatibility(needed: string, live: string, dialect: Dialect): string | null {
  const want = typeShape(needed, dialect);
  const have = typeShape(live, dialect);
  const compatible = (() => {
    switch (want.kind) {
      case "text":
        return have.kind === "text" && (have.size === null || (want.size !== null && have.size >= want.size));
      case "integer":
      case "float":
        return have.kind === want.kind && (have.size ?? 0) >= (want.size ?? 0);
      case "boolean":
        // SQLite and MySQL keep booleans as 0/1 integers; PostgreSQL's are their own type.
        return have.kind === "boolean" || (dialect !== "postgresql" && have.kind === "integer");
      case "json":
        // MariaDB's JSON is LONGTEXT with a check: text fml writes there is JSON already.
        return have.kind === "json" || (have.kind === "text" && have.size === null);
      case "binary":
        return have.kind === "binary";
      case "other":
        return have.spelling === want.spelling;
    }
  })();
  if (compatible) return null;
  const narrower = have.kind === want.kind && (want.kind === "text" || want.kind === "integer" || want.kind === "float");
  return `is ${live}, ${narrower ? "narrower than" : "not compatible with"} the ${needed} fml needs`;
}

/** The most characters a text column holds (null: unbounded), or 0 for a column that is not text. */
export function textCapacity(declared: string, dialect: Dialect): number | null {
  const shape = typeShape(declared, dialect);
  return shape.kind === "text" ? shape.size : 0;
}
