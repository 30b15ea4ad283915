/**
 * A trace's spans (MLflow's traces.json form) as a tree the trace view can draw: parsed once,
 * linked parent -> children in linear time (in slices, so the page keeps answering), flattened to
 * the visible rows without recursion (a 30,000-span chain is as deep as it is long). Nanosecond times are exact: they are quoted before
 * JSON.parse and split into whole milliseconds and the nanoseconds beyond, each exact as a number.
 */

export interface SpanEvent {
  name: string;
  /** Milliseconds after the trace start. */
  offsetMs?: number;
  attributes: Record<string, unknown>;
}

export interface SpanNode {
  id: string;
  parentId?: string;
  name: string;
  /** Milliseconds after the trace start, and the span's length; undefined while unfinished. */
  offsetMs: number;
  durationMs?: number;
  statusCode: string;
  statusMessage: string;
  /** Attribute values as MLflow stores them: JSON text. */
  attributes: Record<string, unknown>;
  events: SpanEvent[];
  depth: number;
  /** Index of the parent node, -1 for a root (or a span whose parent is missing). */
  parent: number;
  children: number[];
}

export interface SpanTree {
  nodes: SpanNode[];
  /** Node index by span id. */
  index: Map<string, number>;
  roots: number[];
  durationMs: number;
}

interface RawSpan {
  span_id?: string;
  parent_span_id?: string | null;
  name?: string;
  start_time_unix_nano?: string | number;
  end_time_unix_nano?: string | number | null;
  status?: { code?: string; message?: string };
  attributes?: Record<string, unknown>;
  events?: { name?: string; time_unix_nano?: string | number; timestamp?: string | number; attributes?: Record<string, unknown> }[];
}

const NS_FIELDS = /("(?:start_time_unix_nano|end_time_unix_nano|time_unix_nano|timestamp)":\s*)(\d+)/g;

/** A nanosecond time as whole milliseconds and the nanoseconds beyond: both exact as numbers. */
interface Time {
  ms: number;
  ns: number;
}

function time(value: string | number | null | undefined): Time | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  const digits = typeof value === "number" ? BigInt(Math.trunc(value)).toString() : value;
  if (!/^\d+$/.test(digits)) return undefined;
  return { ms: Number(digits.slice(0, -6) || "0"), ns: Number(digits.slice(-6)) };
}

/** Milliseconds from `a` to `b`. */
const between = (a: Time, b: Time): number => b.ms - a.ms + (b.ns - a.ns) / 1e6;
const before = (a: Time, b: Time): boolean => a.ms < b.ms || (a.ms === b.ms && a.ns < b.ns);

/** Spans handled between two pauses of parseSpanTreeInSlices. */
const SLICE = 4000;

/** Builds the tree from the text of `get-trace-artifact` (`{"spans": [...]}`). */
export function parseSpanTree(text: string): SpanTree {
  const steps = spanTreeSteps(text);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** As parseSpanTree, giving the page a turn every few thousand spans so input and painting go on. */
export async function parseSpanTreeInSlices(text: string): Promise<SpanTree> {
  const steps = spanTreeSteps(text);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

function* spanTreeSteps(text: string): Generator<void, SpanTree> {
  const parsed = JSON.parse(text.replace(NS_FIELDS, '$1"$2"')) as { spans?: RawSpan[] };
  const raw = Array.isArray(parsed.spans) ? parsed.spans : [];
  const zero: Time = { ms: 0, ns: 0 };
  const starts = raw.map((s) => time(s.start_time_unix_nano) ?? zero);
  let origin: Time | undefined;
  for (const t of starts) if (origin === undefined || before(t, origin)) origin = t;
  origin ??= zero;
  let end = origin;
  const order = raw.map((_, i) => i);
  // The server sends spans by start time; sort only when it did not.
  if (starts.some((t, i) => i > 0 && before(t, starts[i - 1]!))) order.sort((a, b) => between(starts[b]!, starts[a]!));

  const nodes: SpanNode[] = [];
  for (const i of order) {
    const s = raw[i]!;
    const stop = time(s.end_time_unix_nano);
    if (stop !== undefined && before(end, stop)) end = stop;
    nodes.push({
      id: s.span_id ?? String(i),
      parentId: s.parent_span_id || undefined,
      name: s.name ?? "",
      offsetMs: between(origin, starts[i]!),
      durationMs: stop === undefined ? undefined : between(starts[i]!, stop),
      statusCode: s.status?.code ?? "STATUS_CODE_UNSET",
      statusMessage: s.status?.message ?? "",
      attributes: s.attributes ?? {},
      events: (s.events ?? []).map((e) => {
        const at = time(e.time_unix_nano ?? e.timestamp);
        return { name: e.name ?? "", offsetMs: at === undefined ? undefined : between(origin, at), attributes: e.attributes ?? {} };
      }),
      depth: 0,
      parent: -1,
      children: [],
    });
    if (nodes.length % SLICE === 0) yield;
  }
  yield;

  const byId = new Map<string, number>();
  nodes.forEach((n, i) => byId.set(n.id, i));
  const roots: number[] = [];
  nodes.forEach((n, i) => {
    const parent = n.parentId === undefined ? undefined : byId.get(n.parentId);
    if (parent === undefined || parent === i) roots.push(i);
    else {
      n.parent = parent;
      nodes[parent]!.children.push(i);
    }
  });
  // Depths top-down with an explicit stack.
  const stack = [...roots];
  while (stack.length) {
    const i = stack.pop()!;
    for (const c of nodes[i]!.children) {
      nodes[c]!.depth = nodes[i]!.depth + 1;
      stack.push(c);
    }
  }
  return { nodes, index: byId, roots, durationMs: between(origin, end) };
}

/** The rows shown (node indices in tree order), skipping the children of collapsed spans. */
export function visibleRows(tree: SpanTree, collapsed: ReadonlySet<number>): Int32Array {
  const out = new Int32Array(tree.nodes.length);
  let n = 0;
  const stack: number[] = [];
  for (let r = tree.roots.length - 1; r >= 0; r--) stack.push(tree.roots[r]!);
  while (stack.length) {
    const i = stack.pop()!;
    out[n++] = i;
    if (collapsed.has(i)) continue;
    const children = tree.nodes[i]!.children;
    for (let c = children.length - 1; c >= 0; c--) stack.push(children[c]!);
  }
  return out.subarray(0, n);
}

/** A span attribute's JSON text as a value (text that is not JSON stays text). */
export function attributeValue(text: unknown): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function spanType(node: SpanNode): string {
  const value = attributeValue(node.attributes["mlflow.spanType"]);
  return typeof value === "string" ? value : "";
}

/** Span lengths from microseconds to minutes. */
export function formatSpanDuration(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "";
  if (value < 1) return `${Math.round(value * 1000)}µs`;
  if (value < 1000) return `${Number(value.toPrecision(3))}ms`;
  if (value < 60_000) return `${Number((value / 1000).toPrecision(3))}s`;
  return `${Math.floor(value / 60_000)}m ${Math.round((value % 60_000) / 1000)}s`;
}

/** The node an assessment's span id (16 hex digits) names, if the trace has it. */
export function nodeOfSpanId(tree: SpanTree, hex: string): number | undefined {
  const direct = tree.index.get(hex);
  if (direct !== undefined || !/^[0-9a-f]{16}$/.test(hex)) return direct;
  const bytes = hex.match(/../g)!.map((b) => String.fromCharCode(parseInt(b, 16)));
  return tree.index.get(btoa(bytes.join("")));
}

/** Base64 span ids (traces.json) as the 16 hex digits assessments use. */
export function spanIdHex(id: string): string {
  if (/^[0-9a-f]{16}$/.test(id)) return id;
  try {
    return Array.from(atob(id), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
  } catch {
    return id;
  }
}
