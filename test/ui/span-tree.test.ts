/**
 * The trace view's span tree (src/ui/app/span-tree.ts) without a browser: exact nanosecond
 * offsets, parents before children in start order, spans whose parent is missing as roots,
 * collapsing, and a 30,000-level chain built and flattened without recursion in linear time.
 */

import { describe, expect, test } from "bun:test";
import { formatSpanDuration, nodeOfSpanId, parseSpanTree, spanIdHex, visibleRows } from "../../src/ui/app/span-tree.ts";

const span = (id: string, parent: string | null, start: bigint, end: bigint | null, extra = "") =>
  `{"trace_id": "AAAA", "span_id": "${id}", "parent_span_id": ${parent ? `"${parent}"` : "null"}, "name": "${id}", ` +
  `"start_time_unix_nano": ${start}, "end_time_unix_nano": ${end ?? "null"}, "events": [], ` +
  `"status": {"code": "STATUS_CODE_OK", "message": ""}, "attributes": {"mlflow.spanType": "\\"CHAIN\\""}${extra}}`;

describe("span tree", () => {
  test("offsets and durations are exact past 2^53 ns, and children follow their parent in start order", () => {
    const t0 = 1796059594170738332n;
    const text = `{"spans": [${[span("root", null, t0, t0 + 233_401_938n), span("b", "root", t0 + 2_000n, t0 + 3_001n), span("a", "root", t0 + 1_000n, t0 + 1_999n), span("orphan", "gone", t0 + 5n, null)].join(", ")}]}`;
    const tree = parseSpanTree(text);
    const names = [...visibleRows(tree, new Set())].map((i) => tree.nodes[i]!.name);
    expect(names).toEqual(["root", "a", "b", "orphan"]);
    const a = tree.nodes.find((n) => n.name === "a")!;
    expect(a.offsetMs).toBe(0.001);
    expect(a.durationMs).toBe(0.000999);
    expect(a.depth).toBe(1);
    expect(tree.nodes.find((n) => n.name === "orphan")!.durationMs).toBeUndefined();
    expect(tree.durationMs).toBe(233.401938);
    const root = tree.nodes.findIndex((n) => n.name === "root");
    expect([...visibleRows(tree, new Set([root]))].map((i) => tree.nodes[i]!.name)).toEqual(["root", "orphan"]);
  });

  test("a chain of 30,000 spans is linked and flattened without recursion, in linear time", () => {
    const t0 = 1796060000000000000n;
    const parts = Array.from({ length: 30_000 }, (_, i) => span(`s${i}`, i ? `s${i - 1}` : null, t0 + BigInt(i) * 1000n, t0 + 40_000_000n));
    const text = `{"spans": [${parts.join(", ")}]}`;
    const started = performance.now();
    const tree = parseSpanTree(text);
    const rows = visibleRows(tree, new Set());
    const ms = performance.now() - started;
    expect(rows.length).toBe(30_000);
    expect(tree.nodes[rows[29_999]!]!.depth).toBe(29_999);
    expect(tree.nodes[rows[29_999]!]!.parent).toBe(rows[29_998]!);
    expect(ms).toBeLessThan(2000); // ~100 ms here; a quadratic walk over 30,000 spans would take seconds
    expect([...visibleRows(tree, new Set([rows[10]!]))].length).toBe(11);
  });

  test("span ids are shown as the 16 hex digits assessments use; durations from µs to minutes", () => {
    expect(spanIdHex("CC/WBvoInFg=")).toBe("082fd606fa089c58");
    expect(spanIdHex("082fd606fa089c58")).toBe("082fd606fa089c58");
    const tree = parseSpanTree(`{"spans": [${span("CC/WBvoInFg=", null, 1n, 2n)}]}`);
    expect(nodeOfSpanId(tree, "082fd606fa089c58")).toBe(0);
    expect(nodeOfSpanId(tree, "0000000000000000")).toBeUndefined();
    expect([0.41, 58.43, 1500, 125_000].map(formatSpanDuration)).toEqual(["410µs", "58.4ms", "1.5s", "2m 5s"]);
  });
});
