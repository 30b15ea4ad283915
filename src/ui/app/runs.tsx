/**
 * The runs table of an experiment: MLflow search syntax (server-side, errors inline), columns the
 * user picks, sort by any column, nested runs under their parent, virtual scrolling over every run
 * (pages of 1000 load in the background), selection to compare, delete and restore.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { get, post, type Experiment, type Run } from "./api.ts";
import { ClientHint, Empty, ErrorBox, useAsync, useViewport } from "./common.tsx";
import { ExperimentAbout } from "./experiment-about.tsx";
import { ExperimentTabs } from "./experiment-tabs.tsx";
import { formatDuration, formatTime, formatValue, runDuration } from "./format.ts";
import { href, navigate, setQuery, type Route } from "./router.ts";

export interface Row {
  run: Run;
  id: string;
  name: string;
  metrics: Map<string, number | string>;
  params: Map<string, string>;
  tags: Map<string, string>;
  parentId?: string;
}

export function toRow(run: Run): Row {
  const tags = new Map((run.data.tags ?? []).map((t) => [t.key, t.value] as const));
  return {
    run,
    id: run.info.run_id,
    name: run.info.run_name ?? tags.get("mlflow.runName") ?? run.info.run_id,
    metrics: new Map((run.data.metrics ?? []).map((m) => [m.key, m.value] as const)),
    params: new Map((run.data.params ?? []).map((p) => [p.key, p.value] as const)),
    tags,
    parentId: tags.get("mlflow.parentRunId"),
  };
}

interface Column {
  id: string;
  label: string;
  width: number;
  /** The search-runs order_by identifier; absent: sorted here, over the loaded runs. */
  orderBy?: string;
  value(row: Row): string | number | undefined;
}

const quote = (key: string) => "`" + key.replaceAll("`", "") + "`";

const fixedColumns: Column[] = [
  { id: "status", label: "Status", width: 90, orderBy: "attributes.status", value: (r) => r.run.info.status },
  { id: "start", label: "Start time", width: 165, orderBy: "attributes.start_time", value: (r) => r.run.info.start_time },
  { id: "duration", label: "Duration", width: 80, value: (r) => runDuration(r.run.info) },
  { id: "user", label: "User", width: 100, orderBy: "attributes.user_id", value: (r) => r.run.info.user_id || r.tags.get("mlflow.user") },
  { id: "source", label: "Source", width: 140, orderBy: "tags.`mlflow.source.name`", value: (r) => r.tags.get("mlflow.source.name")?.split("/").pop() },
];

function pickedColumn(id: string): Column | undefined {
  const kind = id.slice(0, 2);
  const key = id.slice(2);
  if (kind === "m:") return { id, label: key, width: 110, orderBy: `metrics.${quote(key)}`, value: (r) => r.metrics.get(key) };
  if (kind === "p:") return { id, label: key, width: 110, orderBy: `params.${quote(key)}`, value: (r) => r.params.get(key) };
  if (kind === "t:") return { id, label: key, width: 120, orderBy: `tags.${quote(key)}`, value: (r) => r.tags.get(key) };
  return undefined;
}

function renderCell(column: Column, row: Row): string {
  const value = column.value(row);
  if (column.id === "start") return formatTime(value as number);
  if (column.id === "duration") return formatDuration(value as number);
  if (typeof value === "number" || column.id.startsWith("m:")) return formatValue(value);
  return value ?? "";
}

const rowHeight = 30;
/** A small first page shows rows at once; the rest come in the server's full pages of 1000. */
const firstPageSize = 100;
const pageSize = 1000;

/** Loads every run of the search, the first page at once and the rest in the background. */
function useRunSearch(experimentId: string, filter: string, orderBy: string[], view: string, tick: number) {
  const [state, setState] = useState<{ rows: Row[]; done: boolean; error?: string; loadMs?: number }>({ rows: [], done: false });
  useEffect(() => {
    let cancelled = false;
    const started = performance.now();
    setState({ rows: [], done: false });
    (async () => {
      let token: string | undefined;
      let rows: Row[] = [];
      do {
        const page = await post<{ runs?: Run[]; next_page_token?: string }>("runs/search", {
          experiment_ids: [experimentId],
          filter: filter || undefined,
          order_by: orderBy,
          run_view_type: view,
          max_results: token ? pageSize : firstPageSize,
          page_token: token,
        });
        if (cancelled) return;
        rows = rows.concat((page.runs ?? []).map(toRow));
        token = page.runs?.length ? page.next_page_token : undefined;
        setState({ rows, done: !token, loadMs: performance.now() - started });
      } while (token);
    })().catch((e: Error) => !cancelled && setState({ rows: [], done: true, error: e.message }));
    return () => {
      cancelled = true;
    };
  }, [experimentId, filter, orderBy.join("\u0000"), view, tick]);
  return [state, setState] as const;
}

export function RunsPage(props: { route: Route; experimentId: string }) {
  const { route, experimentId } = props;
  const filter = route.query.get("filter") ?? "";
  const view = route.query.get("view") ?? "ACTIVE_ONLY";
  const sort = route.query.get("sort") ?? "start:desc";
  const selected = useMemo(() => new Set((route.query.get("sel") ?? "").split(",").filter(Boolean)), [route.query.get("sel")]);
  const [filterText, setFilterText] = useState(filter);
  const [tick, setTick] = useState(0);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [picker, setPicker] = useState(false);
  const [actionError, setActionError] = useState<string>();
  useEffect(() => setFilterText(filter), [filter]);

  const experiment = useAsync(() => get<{ experiment: Experiment }>("experiments/get", { experiment_id: experimentId }), [experimentId]);

  const [sortId, sortDir] = sort.split(/:(?=[^:]*$)/) as [string, string];
  const sortColumn = fixedColumns.find((c) => c.id === sortId) ?? (sortId === "name" ? undefined : pickedColumn(sortId));
  const orderBy =
    sortId === "name" ? [`attributes.run_name ${sortDir.toUpperCase()}`] : sortColumn?.orderBy ? [`${sortColumn.orderBy} ${sortDir.toUpperCase()}`] : [];
  const [search, setSearch] = useRunSearch(experimentId, filter, orderBy, view, tick);

  // Keys seen across the loaded runs, for the column picker.
  const keys = useMemo(() => {
    const metrics = new Set<string>();
    const params = new Set<string>();
    const tags = new Set<string>();
    for (const row of search.rows) {
      for (const k of row.metrics.keys()) metrics.add(k);
      for (const k of row.params.keys()) params.add(k);
      for (const k of row.tags.keys()) if (!k.startsWith("mlflow.")) tags.add(k);
    }
    return { metrics: [...metrics].sort(), params: [...params].sort(), tags: [...tags].sort() };
  }, [search.rows]);

  const colsParam = route.query.get("cols");
  const picked = colsParam !== null ? colsParam.split(",").filter(Boolean) : [...keys.metrics.slice(0, 4).map((k) => "m:" + k), ...keys.params.slice(0, 4).map((k) => "p:" + k)];
  const columns = [...fixedColumns, ...picked.map(pickedColumn).filter((c): c is Column => Boolean(c))];

  // Client-side order where the server cannot sort (duration), then parents followed by children.
  const display = useMemo(() => {
    let rows = search.rows;
    if (sortColumn && !sortColumn.orderBy) {
      const sign = sortDir === "desc" ? -1 : 1;
      rows = [...rows].sort((a, b) => {
        const x = sortColumn.value(a);
        const y = sortColumn.value(b);
        if (x === undefined) return y === undefined ? 0 : 1;
        if (y === undefined) return -1;
        return (x < y ? -1 : x > y ? 1 : 0) * sign;
      });
    }
    const ids = new Set(rows.map((r) => r.id));
    const children = new Map<string, Row[]>();
    for (const row of rows) {
      if (row.parentId && ids.has(row.parentId) && row.parentId !== row.id) {
        const list = children.get(row.parentId) ?? [];
        list.push(row);
        children.set(row.parentId, list);
      }
    }
    const out: { row: Row; depth: number; childCount: number }[] = [];
    const visit = (row: Row, depth: number) => {
      const kids = children.get(row.id) ?? [];
      out.push({ row, depth, childCount: kids.length });
      if (!collapsed.has(row.id) && depth < 10) for (const kid of kids) visit(kid, depth + 1);
    };
    for (const row of rows) if (!(row.parentId && ids.has(row.parentId) && row.parentId !== row.id)) visit(row, 0);
    return out;
  }, [search.rows, sort, collapsed]);

  // Live refresh: poll the runs that are still running, and, in the default newest-first order,
  // the newest runs, so runs started after the page loaded show up at the top.
  useEffect(() => {
    const timer = setInterval(async () => {
      if (document.hidden || !search.done || search.error) return;
      const running = search.rows.filter((r) => r.run.info.status === "RUNNING").slice(0, 500);
      try {
        if (sort === "start:desc") {
          const page = await post<{ runs?: Run[] }>("runs/search", {
            experiment_ids: [experimentId],
            filter: filter || undefined,
            order_by: orderBy,
            run_view_type: view,
            max_results: 100,
          });
          const known = new Set(search.rows.map((r) => r.id));
          const added = (page.runs ?? []).filter((run) => !known.has(run.info.run_id)).map(toRow);
          if (added.length) setSearch((s) => ({ ...s, rows: [...added, ...s.rows.filter((r) => !added.some((a) => a.id === r.id))] }));
        }
        if (!running.length) return;
        const fresh = new Map<string, Row>();
        for (let i = 0; i < running.length; i += 100) {
          const ids = running.slice(i, i + 100).map((r) => `'${r.id}'`);
          const page = await post<{ runs?: Run[] }>("runs/search", {
            experiment_ids: [experimentId],
            filter: `attributes.run_id IN (${ids.join(",")})`,
            run_view_type: "ALL",
            max_results: 100,
          });
          for (const run of page.runs ?? []) fresh.set(run.info.run_id, toRow(run));
        }
        setSearch((s) => ({ ...s, rows: s.rows.map((r) => fresh.get(r.id) ?? r) }));
      } catch {
        // the next poll tries again
      }
    }, 5000);
    return () => clearInterval(timer);
  }, [search, experimentId, filter, sort, view]);

  // Virtual scrolling.
  const { scroller, viewport } = useViewport(800);
  const first = Math.max(0, Math.floor(viewport.top / rowHeight) - 5);
  const last = Math.min(display.length, Math.ceil((viewport.top + viewport.height) / rowHeight) + 5);

  const template = `36px 240px ${columns.map((c) => c.width + "px").join(" ")}`;
  const width = 36 + 240 + columns.reduce((n, c) => n + c.width, 0);

  const setSelected = (ids: Set<string>) => setQuery({ sel: [...ids].join(",") || undefined }, true);
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const sortBy = (id: string) => setQuery({ sort: `${id}:${sortId === id && sortDir === "asc" ? "desc" : "asc"}` });
  const sortMark = (id: string) => (sortId === id ? (sortDir === "asc" ? " ▲" : " ▼") : "");
  const setPicked = (ids: string[]) => setQuery({ cols: ids.join(",") }, true);

  const lifecycle = async (action: "delete" | "restore") => {
    setActionError(undefined);
    try {
      for (const id of selected) await post(`runs/${action}`, { run_id: id });
      setSelected(new Set());
      setTick((t) => t + 1);
    } catch (e) {
      setActionError((e as Error).message);
    }
  };

  const exp = experiment.value?.experiment;
  return (
    <div class="page runs-page">
      <div class="toolbar">
        <h1>
          <a href={href("/experiments")} class="muted">
            Experiments
          </a>{" "}
          / {exp?.name ?? experimentId}
        </h1>
        {exp?.lifecycle_stage === "deleted" && <span class="badge">deleted</span>}
        <span class="spacer" />
        <span class="muted" data-testid="run-count">
          {search.rows.length.toLocaleString()} runs{search.done ? "" : " (loading…)"}
        </span>
      </div>
      <ErrorBox error={experiment.error} />
      <ExperimentAbout experiment={exp} onChanged={experiment.reload} />
      <ExperimentTabs experimentId={experimentId} active="runs" />
      <form
        class="filter"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ filter: filterText.trim() || undefined, sel: undefined });
        }}
      >
        <input
          name="filter"
          class="mono"
          placeholder={"metrics.loss < 0.5 and params.lr = '0.01' and tags.team = 'vision'"}
          value={filterText}
          onInput={(e) => setFilterText((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Search</button>
        {filter && (
          <button type="button" class="link" onClick={() => setQuery({ filter: undefined })}>
            Clear
          </button>
        )}
        <select value={view} onChange={(e) => setQuery({ view: (e.target as HTMLSelectElement).value, sel: undefined })} aria-label="Lifecycle">
          <option value="ACTIVE_ONLY">Active</option>
          <option value="DELETED_ONLY">Deleted</option>
          <option value="ALL">All</option>
        </select>
      </form>
      {search.error && (
        <div class="error" role="alert" data-testid="filter-error">
          {search.error}
          <div class="muted">
            Syntax: <code>metrics.&lt;key&gt; &gt; 0.5</code>, <code>params.&lt;key&gt; = 'value'</code>, <code>tags.&lt;key&gt; LIKE 'x%'</code>,{" "}
            <code>attributes.status = 'FINISHED'</code>, joined with <code>and</code>; back-tick keys with spaces: <code>metrics.`f1 score`</code>.
          </div>
        </div>
      )}
      <ErrorBox error={actionError} />
      <div class="toolbar">
        <button disabled={selected.size < 1} onClick={() => navigate(href("/compare", { runs: [...selected].join(","), exp: experimentId }))}>
          Compare{selected.size ? ` (${selected.size})` : ""}
        </button>
        {view !== "DELETED_ONLY" && (
          <button class="danger" disabled={!selected.size} onClick={() => confirm(`Delete ${selected.size} run(s)? They can be restored.`) && lifecycle("delete")}>
            Delete
          </button>
        )}
        {view !== "ACTIVE_ONLY" && (
          <button disabled={!selected.size} onClick={() => lifecycle("restore")}>
            Restore
          </button>
        )}
        {selected.size > 0 && (
          <button class="link" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        )}
        <span class="spacer" />
        <button onClick={() => setTick((t) => t + 1)}>Refresh</button>
        <div class="picker">
          <button onClick={() => setPicker(!picker)} aria-expanded={picker}>
            Columns ▾
          </button>
          {picker && <ColumnPicker keys={keys} picked={picked} onChange={setPicked} onClose={() => setPicker(false)} />}
        </div>
      </div>
      {search.done && !search.error && search.rows.length === 0 && (
        <Empty>
          {filter ? (
            <p>No runs match this filter. Loosen it or clear it.</p>
          ) : view === "DELETED_ONLY" ? (
            <p>No deleted runs in this experiment.</p>
          ) : (
            <>
              <p>No runs in this experiment yet. Log one:</p>
              <ClientHint />
            </>
          )}
        </Empty>
      )}
      {search.rows.length > 0 && (
        <div class="vtable" ref={scroller}>
          <div style={{ width: `${width}px`, height: `${rowHeight * (display.length + 1)}px`, position: "relative" }}>
            <div class="vrow vhead" style={{ gridTemplateColumns: template, width: `${width}px` }}>
              <div>
                <input
                  type="checkbox"
                  aria-label="Select all"
                  checked={selected.size > 0 && selected.size === display.length}
                  onChange={(e) => setSelected((e.target as HTMLInputElement).checked ? new Set(display.map((d) => d.row.id)) : new Set())}
                />
              </div>
              <div class="sortable" onClick={() => sortBy("name")}>
                Run name{sortMark("name")}
              </div>
              {columns.map((c) => (
                <div key={c.id} class={"sortable " + (c.id.startsWith("m:") ? "num" : "")} title={c.id.startsWith("m:") ? `metric ${c.label}` : c.id.startsWith("p:") ? `param ${c.label}` : c.label} onClick={() => sortBy(c.id)}>
                  <span class="kind">{c.id.startsWith("m:") ? "m " : c.id.startsWith("p:") ? "p " : c.id.startsWith("t:") ? "t " : ""}</span>
                  {c.label}
                  {sortMark(c.id)}
                </div>
              ))}
            </div>
            {display.slice(first, last).map(({ row, depth, childCount }, i) => (
              <div
                key={(first + i) % 256}
                class={"vrow run-row" + (selected.has(row.id) ? " selected" : "") + (row.run.info.lifecycle_stage === "deleted" ? " deleted" : "")}
                data-run-id={row.id}
                style={{ gridTemplateColumns: template, width: `${width}px`, transform: `translateY(${(first + i + 1) * rowHeight}px)` }}
              >
                <div>
                  <input type="checkbox" aria-label={`Select ${row.name}`} checked={selected.has(row.id)} onChange={() => toggle(row.id)} />
                </div>
                <div class="ellipsis" style={{ paddingLeft: `${depth * 18 + 4}px` }}>
                  {childCount > 0 && (
                    <button
                      class="twisty"
                      aria-label={collapsed.has(row.id) ? "Expand" : "Collapse"}
                      onClick={() => {
                        const next = new Set(collapsed);
                        if (next.has(row.id)) next.delete(row.id);
                        else next.add(row.id);
                        setCollapsed(next);
                      }}
                    >
                      {collapsed.has(row.id) ? "▸" : "▾"}
                    </button>
                  )}
                  <a href={href(`/runs/${row.id}`)} title={row.name}>
                    {row.name}
                  </a>
                  {childCount > 0 && <span class="muted small"> ({childCount})</span>}
                </div>
                {columns.map((c) => {
                  const text = renderCell(c, row);
                  return (
                    <div key={c.id} class={(c.id.startsWith("m:") ? "num " : "") + (c.id === "status" ? `status ${text}` : "ellipsis")} title={text}>
                      {text}
                    </div>
                  );
                })}
              </div>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}

function ColumnPicker(props: {
  keys: { metrics: string[]; params: string[]; tags: string[] };
  picked: string[];
  onChange: (ids: string[]) => void;
  onClose: () => void;
}) {
  const [find, setFind] = useState("");
  const set = new Set(props.picked);
  const section = (title: string, prefix: string, keys: string[]) => {
    const shown = keys.filter((k) => k.toLowerCase().includes(find.toLowerCase())).slice(0, 300);
    if (!shown.length) return null;
    return (
      <fieldset>
        <legend>{title}</legend>
        {shown.map((k) => (
          <label key={prefix + k}>
            <input
              type="checkbox"
              checked={set.has(prefix + k)}
              onChange={() => props.onChange(set.has(prefix + k) ? props.picked.filter((p) => p !== prefix + k) : [...props.picked, prefix + k])}
            />{" "}
            {k}
          </label>
        ))}
      </fieldset>
    );
  };
  return (
    <div class="picker-panel">
      <div class="toolbar">
        <input type="search" placeholder="Find a key" value={find} onInput={(e) => setFind((e.target as HTMLInputElement).value)} />
        <button class="link" onClick={() => props.onChange([])}>
          None
        </button>
        <button class="link" onClick={props.onClose}>
          Close
        </button>
      </div>
      {section("Metrics", "m:", props.keys.metrics)}
      {section("Params", "p:", props.keys.params)}
      {section("Tags", "t:", props.keys.tags)}
    </div>
  );
}

