/**
 * A model's signature and input example as its MLmodel file records them. MLflow writes the
 * schemas as JSON inside single-quoted YAML scalars, which PyYAML folds over several lines once
 * they pass 80 columns; only that much YAML is read here.
 */

export interface SchemaColumn {
  name?: string;
  type: string;
  required: boolean;
  /** For parameters: the default value, as JSON text. */
  defaultValue?: string;
}

export interface ModelSignature {
  inputs?: SchemaColumn[];
  outputs?: SchemaColumn[];
  params?: SchemaColumn[];
}

const indentOf = (line: string) => line.length - line.trimStart().length;

/** A scalar that starts at `first` (after `key: `) and may continue on the following lines. */
function readScalar(first: string, rest: string[], keyIndent: number): { value: string | undefined; used: number } {
  let used = 0;
  if (first.startsWith("'") || first.startsWith('"')) {
    const quote = first[0]!;
    const pieces = [first.slice(1)];
    const closed = (s: string) => (quote === "'" ? /(^|[^'])('')*'\s*$/.test(s) : /(^|[^\\])(\\\\)*"\s*$/.test(s));
    while (!closed(pieces[pieces.length - 1]!) && used < rest.length) pieces.push(rest[used++]!.trim());
    // Folding: a line break inside a quoted scalar is a space, an empty line a newline.
    let text = pieces
      .map((p) => p.trim())
      .reduce((all, p, i) => (i === 0 ? p : p === "" ? all + "\n" : all.endsWith("\n") ? all + p : `${all} ${p}`), "");
    text = text.replace(/\s*$/, "").slice(0, -1);
    if (quote === "'") return { value: text.replaceAll("''", "'"), used };
    try {
      return { value: JSON.parse(`"${text}"`) as string, used };
    } catch {
      return { value: text, used };
    }
  }
  const pieces = [first.trim()];
  while (used < rest.length && rest[used]!.trim() && indentOf(rest[used]!) > keyIndent) pieces.push(rest[used++]!.trim());
  const value = pieces.join(" ");
  return { value: value === "" || value === "null" || value === "~" ? undefined : value, used };
}

/** The scalar children of a top-level mapping key (`signature:`, `saved_input_example_info:`). */
export function mlmodelSection(text: string, section: string): Record<string, string | undefined> {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l === `${section}:` || l.startsWith(`${section}: `) || l.startsWith(`${section}:\t`));
  const out: Record<string, string | undefined> = {};
  if (start < 0) return out;
  let childIndent: number | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const indent = indentOf(line);
    if (indent === 0) break;
    childIndent ??= indent;
    if (indent !== childIndent) continue;
    const match = /^\s*([^:\s][^:]*):(?:\s+(.*))?$/.exec(line);
    if (!match) continue;
    const { value, used } = readScalar(match[2] ?? "", lines.slice(i + 1), indent);
    out[match[1]!.trim()] = value;
    i += used;
  }
  return out;
}

interface ColumnJson {
  name?: unknown;
  type?: unknown;
  required?: unknown;
  default?: unknown;
  shape?: unknown;
  "tensor-spec"?: { dtype?: unknown; shape?: unknown };
  items?: ColumnJson;
}

function typeName(column: ColumnJson): string {
  if (column.type === "tensor" && column["tensor-spec"]) {
    const spec = column["tensor-spec"];
    return `tensor ${String(spec.dtype ?? "")} (${Array.isArray(spec.shape) ? spec.shape.join(", ") : ""})`;
  }
  if (column.type === "array" && column.items) return `array<${typeName(column.items)}>`;
  const shape = Array.isArray(column.shape) ? ` (${column.shape.join(", ")})` : "";
  return String(column.type ?? "?") + shape;
}

function parseColumns(json: string | undefined): SchemaColumn[] | undefined {
  if (!json) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  return parsed.map((c: ColumnJson) => ({
    name: typeof c.name === "string" ? c.name : undefined,
    type: typeName(c),
    required: c.required !== false,
    defaultValue: c.default === undefined ? undefined : JSON.stringify(c.default),
  }));
}

/** The signature in an MLmodel file, or undefined when it records none. */
export function modelSignature(mlmodel: string): ModelSignature | undefined {
  const section = mlmodelSection(mlmodel, "signature");
  const signature = { inputs: parseColumns(section.inputs), outputs: parseColumns(section.outputs), params: parseColumns(section.params) };
  return signature.inputs || signature.outputs || signature.params ? signature : undefined;
}

/** The path of the saved input example (relative to the model), when one was logged. */
export function inputExamplePath(mlmodel: string): string | undefined {
  return mlmodelSection(mlmodel, "saved_input_example_info").artifact_path;
}
