/**
 * The runs page of an experiment: MLflow search syntax (server-side, errors inline, keys
 * autocompleted), columns the user picks, pins and resizes, sort by any column, nested runs under
 * their parent, selection to compare, delete and restore, and the visible runs as CSV. Loading
 * and live refresh are in runs-search.ts, the table in runs-table.tsx.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { get, post, type Experiment } from "./api.ts";
import { ClientHint, Empty, ErrorBox, useAsync } from "./common.tsx";
import { RunsChartView, ViewSwitch } from "./chart-view.tsx";
import { ExperimentAbout } from "./experiment-about.tsx";
import { ExperimentTabs } from "./experiment-tabs.tsx";
import { href, navigate, setQuery, type Route } from "./router.ts";
import { columnById, fixedColumns, nameColumn, pickedColumn, type Column, type Row } from "./runs-columns.ts";
import { downloadText, runsCsv } from "./runs-csv.ts";
import { useLiveRuns, useRunSearch } from "./runs-search.ts";
import { RunsTable, type DisplayRow } from "./runs-table.tsx";
import { SearchAutocomplete, type SearchKeys } from "./search-autocomplete.tsx";

export { toRow, type Row } from "./runs-columns.ts";

const widthsKey = "fml.runs.columnWidths";

function loadWidths(): Record<string, number> {
  try {
    const saved = JSON.parse(localStorage.getItem(widthsKey) ?? "{}") as unknown;
    return saved && typeof saved === "object" ? (saved as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** Client-side order where the server cannot sort (duration), then parents followed by children. */
function displayRows(rows: Row[], sortColumn: Column | undefined, sortDir: string, collapsed: Set<string>): DisplayRow[] {
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
  const isChild = (row: Row) => row.parentId !== undefined && ids.has(row.parentId) && row.parentId !== row.id;
  const children = new Map<string, Row[]>();
  for (const row of rows) {
    if (!isChild(row)) continue;
    const list = children.get(row.parentId!) ?? [];
    list.push(row);
    children.set(row.parentId!, list);
  }
  const out: DisplayRow[] = [];
  const visit = (row: Row, depth: number) => {
    const kids = children.get(row.id) ?? [];
    out.push({ row, depth, childCount: kids.length });
    if (!collapsed.has(row.id) && depth < 10) for (const kid of kids) visit(kid, depth + 1);
  };
  for (const row of rows) if (!isChild(row)) visit(row, 0);
  return out;
}

export function RunsPage(props: { route: Route; experimentId: string }) {
  const { route, experimentId } = props;
  const filter = route.query.get("filter") ?? "";
  const view = route.query.get("view") ?? "ACTIVE_ONLY";
  const sort = route.query.get("sort") ?? "start:desc";
  const selected = useMemo(() => new Set((route.query.get("sel") ?? "").split(",").filter(Boolean)), [route.query.get("sel")]);
  const pinned = useMemo(() => new Set((route.query.get("pin") ?? "").split(",").filter(Boolean)), [route.query.get("pin")]);
  const [filterText, setFilterText] = useState(filter);
  const [tick, setTick] = useState(0);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [picker, setPicker] = useState(false);
  const [widths, setWidths] = useState(loadWidths);
  const [actionError, setActionError] = useState<string>();
  useEffect(() => setFilterText(filter), [filter]);

  const experiment = useAsync(() => get<{ experiment: Experiment }>("experiments/get", { experiment_id: experimentId }), [experimentId]);

  const [sortId, sortDir] = sort.split(/:(?=[^:]*$)/) as [string, "asc" | "desc"];
  const sortColumn = columnById(sortId);
  const orderBy = sortColumn?.orderBy ? [`${sortColumn.orderBy} ${sortDir === "asc" ? "ASC" : "DESC"}`] : [];
  const request = { experimentId, filter, orderBy, view };
  const [search, setSearch] = useRunSearch(request, tick);
  const pollMs = useLiveRuns(request, sort === "start:desc", search, setSearch);
  const mode = route.query.get("mode");

  // Keys seen across the runs loaded on this page, for the column picker and autocomplete.
  const seen = useRef<{ metrics: Set<string>; params: Set<string>; tags: Set<string> }>({ metrics: new Set(), params: new Set(), tags: new Set() });
  const keys: SearchKeys = useMemo(() => {
    const { metrics, params, tags } = seen.current;
    for (const row of search.rows) {
      for (const k of row.metrics.keys()) metrics.add(k);
      for (const k of row.params.keys()) params.add(k);
      for (const k of row.tags.keys()) tags.add(k);
    }
    return { metrics: [...metrics].sort(), params: [...params].sort(), tags: [...tags].sort() };
  }, [search.rows]);
  const pickerKeys = useMemo(() => ({ ...keys, tags: keys.tags.filter((k) => !k.startsWith("mlflow.")) }), [keys]);

  const colsParam = route.query.get("cols");
  const picked = colsParam !== null ? colsParam.split(",").filter(Boolean) : [...keys.metrics.slice(0, 4).map((k) => "m:" + k), ...keys.params.slice(0, 4).map((k) => "p:" + k)];
  const shown = [...fixedColumns, ...picked.map(pickedColumn).filter((c): c is Column => Boolean(c))];
  const columns = [...shown.filter((c) => pinned.has(c.id)), ...shown.filter((c) => !pinned.has(c.id))];

  const display = useMemo(() => displayRows(search.rows, sortColumn, sortDir, collapsed), [search.rows, sort, collapsed]);

  useEffect(() => localStorage.setItem(widthsKey, JSON.stringify(widths)), [widths]);
  // Esc or a click elsewhere closes the column picker.
  const pickerBox = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!picker) return;
    const key = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setPicker(false);
      pickerBox.current?.querySelector<HTMLButtonElement>("button")?.focus();
    };
    const click = (e: MouseEvent) => !pickerBox.current?.contains(e.target as Node) && setPicker(false);
    document.addEventListener("keydown", key);
    document.addEventListener("mousedown", click);
    return () => {
      document.removeEventListener("keydown", key);
      document.removeEventListener("mousedown", click);
    };
  }, [picker]);

  const setSelected = (ids: Set<string>) => setQuery({ sel: [...ids].join(",") || undefined }, true);
  const sortBy = (id: string) => setQuery({ sort: `${id}:${sortId === id && sortDir === "asc" ? "desc" : "asc"}` });
  const setPicked = (ids: string[]) => setQuery({ cols: ids.join(",") }, true);
  const togglePin = (id: string) => {
    const next = pinned.has(id) ? [...pinned].filter((p) => p !== id) : [...pinned, id];
    setQuery({ pin: next.join(",") || undefined }, true);
  };
  const resize = (id: string, width: number | undefined) =>
    setWidths((w) => {
      const next = { ...w };
      if (width === undefined) delete next[id];
      else next[id] = width;
      return next;
    });

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
    <div class="page runs-page" data-poll-ms={pollMs}>
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
        <SearchAutocomplete value={filterText} onInput={setFilterText} keys={keys} placeholder={"metrics.loss < 0.5 and params.lr = '0.01' and tags.team = 'vision'"} />
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
        <button disabled={!display.length} title="The runs shown, in this order, with these columns" onClick={() => downloadText(`${exp?.name ?? experimentId}-runs.csv`, runsCsv(display.map((d) => d.row), [nameColumn, ...columns]))}>
          Download CSV
        </button>
        <ViewSwitch mode={mode} />
        <button onClick={() => setTick((t) => t + 1)}>Refresh</button>
        <div class="picker" ref={pickerBox}>
          <button onClick={() => setPicker(!picker)} aria-expanded={picker}>
            Columns ▾
          </button>
          {picker && <ColumnPicker keys={pickerKeys} picked={picked} onChange={setPicked} onClose={() => setPicker(false)} />}
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
      {search.rows.length > 0 && mode === "chart" && <RunsChartView rows={display.map((d) => d.row)} route={route} />}
      {search.rows.length > 0 && mode !== "chart" && (
        <RunsTable
          display={display}
          columns={columns}
          pinned={pinned}
          widths={widths}
          sort={{ id: sortId, dir: sortDir }}
          onSort={sortBy}
          onPin={togglePin}
          onResize={resize}
          selected={selected}
          onSelect={setSelected}
          collapsed={collapsed}
          onCollapse={(id) => {
            const next = new Set(collapsed);
            if (next.has(id)) next.delete(id);
            else next.add(id);
            setCollapsed(next);
          }}
          scrollKey={JSON.stringify([experimentId, filter, sort, view])}
          loaded={search.done}
        />
      )}
    </div>
  );
}

function ColumnPicker(props: { keys: SearchKeys; picked: string[]; onChange: (ids: string[]) => void; onClose: () => void }) {
  const [find, setFind] = useState("");
  const findBox = useRef<HTMLInputElement>(null);
  useEffect(() => findBox.current?.focus({ preventScroll: true }), []);
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
    <div class="picker-panel" role="dialog" aria-label="Columns">
      <div class="toolbar">
        <input type="search" placeholder="Find a key" aria-label="Find a key" value={find} ref={findBox} onInput={(e) => setFind((e.target as HTMLInputElement).value)} />
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
