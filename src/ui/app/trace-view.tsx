/**
 * One trace: its summary (state, time, latency, tags, token usage), the assessments, and the
 * span tree with timing bars beside the selected span's details. The spans come from
 * `get-trace-artifact` (MLflow's traces.json form, from the database or the artifact store).
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { durationMs, fetchTraceSpansText, v3, type Assessment, type TraceInfo } from "./api.ts";
import { Copy, ErrorBox, useAsync } from "./common.tsx";
import { formatTime } from "./format.ts";
import { href } from "./router.ts";
import { assessmentValue, SpanDetail } from "./span-detail.tsx";
import { SpanList } from "./span-list.tsx";
import { formatSpanDuration, nodeOfSpanId, parseSpanTreeInSlices, spanIdHex, visibleRows, type SpanTree } from "./span-tree.ts";

function Assessments(props: { assessments: Assessment[]; tree?: SpanTree; onSelectSpan: (node: number) => void }) {
  const { assessments, tree } = props;
  if (!assessments.length) return null;
  return (
    <section class="card">
      <h2>Assessments ({assessments.length})</h2>
      <table class="grid" data-testid="assessments">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Value</th>
            <th>Source</th>
            <th>Rationale</th>
            <th>Span</th>
          </tr>
        </thead>
        <tbody>
          {assessments.map((a) => {
            const span = a.span_id && tree ? nodeOfSpanId(tree, a.span_id) : undefined;
            return (
              <tr key={a.assessment_id} class={a.valid === false ? "deleted" : ""} title={a.valid === false ? "overridden" : undefined}>
                <td>{a.assessment_name}</td>
                <td class="muted">{a.feedback ? "feedback" : a.expectation ? "expectation" : "issue"}</td>
                <td class="mono pre">{assessmentValue(a)}</td>
                <td class="small">
                  {a.source?.source_type ?? ""} {a.source?.source_id ? <span class="muted">{a.source.source_id}</span> : null}
                </td>
                <td class="small">{a.rationale ?? ""}</td>
                <td class="mono small">
                  {span !== undefined ? (
                    <a href="#" onClick={(e) => (e.preventDefault(), props.onSelectSpan(span))}>
                      {tree!.nodes[span]!.name}
                    </a>
                  ) : (
                    (a.span_id ?? "")
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

export function TraceView(props: { traceId: string; onClose: () => void }) {
  const { traceId } = props;
  const info = useAsync(() => v3.get<{ trace: { trace_info: TraceInfo } }>(`traces/${encodeURIComponent(traceId)}`), [traceId]);
  const spans = useAsync(async () => {
    const started = performance.now();
    const text = await fetchTraceSpansText(traceId);
    const fetched = performance.now();
    const tree = await parseSpanTreeInSlices(text);
    return { tree, fetchMs: fetched - started, parseMs: performance.now() - fetched };
  }, [traceId]);
  const tree = spans.value?.tree;
  const [selected, setSelected] = useState(0);
  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(new Set());
  useEffect(() => {
    setSelected(tree?.roots[0] ?? 0);
    setCollapsed(new Set());
  }, [tree]);
  const rows = useMemo(() => (tree ? visibleRows(tree, collapsed) : new Int32Array()), [tree, collapsed]);
  const toggle = (i: number) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(i)) next.delete(i);
      else next.add(i);
      return next;
    });

  const trace = info.value?.trace.trace_info;
  const tags = Object.entries(trace?.tags ?? {}).filter(([k]) => !k.startsWith("mlflow."));
  const metadata = trace?.trace_metadata ?? {};
  const tokens = (() => {
    try {
      return JSON.parse(metadata["mlflow.trace.tokenUsage"] ?? "null") as { total_tokens?: number } | null;
    } catch {
      return null;
    }
  })();
  const runId = metadata["mlflow.sourceRun"];
  const assessments = trace?.assessments ?? [];
  const node = tree?.nodes[selected];

  return (
    <div class="trace-view" data-testid="trace-view">
      <div class="toolbar">
        <button class="link" onClick={props.onClose}>
          ← All traces
        </button>
        <h2 class="mono">
          {trace?.tags?.["mlflow.traceName"] ?? (tree ? tree.nodes[tree.roots[0] ?? -1]?.name : undefined) ?? "Trace"} <span class="muted">{traceId}</span> <Copy text={traceId} />
        </h2>
        {trace?.state && <span class={`status ${trace.state}`}>{trace.state}</span>}
      </div>
      <ErrorBox error={info.error} />
      {trace && (
        <dl class="trace-summary">
          <dt>Time</dt>
          <dd>{formatTime(trace.request_time ? Date.parse(trace.request_time) : undefined)}</dd>
          <dt>Latency</dt>
          <dd>{formatSpanDuration(durationMs(trace.execution_duration)) || "—"}</dd>
          {tokens?.total_tokens !== undefined && (
            <>
              <dt>Tokens</dt>
              <dd>{tokens.total_tokens.toLocaleString()}</dd>
            </>
          )}
          {runId && (
            <>
              <dt>Run</dt>
              <dd class="mono">
                <a href={href(`/runs/${runId}`)}>{runId.slice(0, 12)}</a>
              </dd>
            </>
          )}
          {tags.length > 0 && (
            <>
              <dt>Tags</dt>
              <dd>
                {tags.map(([k, v]) => (
                  <span key={k} class="badge">
                    {k}={v}
                  </span>
                ))}
              </dd>
            </>
          )}
        </dl>
      )}
      <Assessments assessments={assessments} tree={tree} onSelectSpan={setSelected} />
      {spans.loading && <p class="muted">Loading spans…</p>}
      {spans.error && <p class="muted" role="status">{spans.error}</p>}
      {tree && tree.nodes.length === 0 && <p class="muted">This trace has no spans yet.</p>}
      {tree && tree.nodes.length > 0 && (
        <div class="trace-body" data-testid="trace-body" data-span-count={tree.nodes.length} data-fetch-ms={Math.round(spans.value!.fetchMs)} data-parse-ms={Math.round(spans.value!.parseMs)}>
          <SpanList tree={tree} rows={rows} selected={selected} collapsed={collapsed} onSelect={setSelected} onToggle={toggle} />
          {node && (
            <SpanDetail
              node={node}
              parent={tree.nodes[node.parent]}
              assessments={assessments.filter((a) => a.span_id && a.span_id === spanIdHex(node.id))}
              onSelectParent={() => node.parent >= 0 && setSelected(node.parent)}
            />
          )}
        </div>
      )}
    </div>
  );
}
