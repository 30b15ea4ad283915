/**
 * Loading the runs of an experiment for the table, and keeping them live. Every run of the search
 * is loaded (the first page at once, the rest in pages of 1000 in the background); the last
 * search is kept, so going back to the table shows it at once, scrolled where it was, while it
 * reloads. Live refresh polls only runs that can change (RUNNING ones, and runs newer than the
 * newest one shown), backing off from 5 s to 60 s while nothing changes and stopping while the
 * tab is hidden: the fixed 5 s poll re-downloaded ~1.2 MB every 16 s on an idle page.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { post, type Run } from "./api.ts";
import { toRow, type Row } from "./runs-columns.ts";

/** A small first page shows rows at once; the rest come in the server's full pages of 1000. */
const firstPageSize = 100;
const pageSize = 1000;

export interface RunSearch {
  rows: Row[];
  done: boolean;
  error?: string;
}

export interface SearchRequest {
  experimentId: string;
  filter: string;
  orderBy: string[];
  view: string;
}

/** The last search, kept across the page's unmounting, e.g. a visit to a run and back. */
let last: { key: string; rows: Row[] } | undefined;

export function useRunSearch(request: SearchRequest, tick: number) {
  const key = JSON.stringify([request.experimentId, request.filter, request.orderBy, request.view]);
  const cached = last?.key === key ? last.rows : undefined;
  const [state, setState] = useState<RunSearch>(() => (cached ? { rows: cached, done: true } : { rows: [], done: false }));
  useEffect(() => {
    let cancelled = false;
    // With a kept search on screen, reload quietly and swap once complete, so the rows (and the
    // scroll position over them) do not jump.
    const quiet = last?.key === key && tick === 0;
    // Otherwise the rows shown stay until the first page of the new search replaces them, so the
    // table (and the header just used to sort it) stays in place.
    if (!quiet) setState((s) => ({ rows: s.rows, done: false }));
    (async () => {
      let token: string | undefined;
      let rows: Row[] = [];
      do {
        const page = await post<{ runs?: Run[]; next_page_token?: string }>("runs/search", {
          experiment_ids: [request.experimentId],
          filter: request.filter || undefined,
          order_by: request.orderBy,
          run_view_type: request.view,
          max_results: token || quiet ? pageSize : firstPageSize,
          page_token: token,
        });
        if (cancelled) return;
        rows = rows.concat((page.runs ?? []).map(toRow));
        token = page.runs?.length ? page.next_page_token : undefined;
        if (!quiet || !token) setState({ rows, done: !token });
      } while (token);
    })().catch((e: Error) => !cancelled && setState({ rows: [], done: true, error: e.message }));
    return () => {
      cancelled = true;
    };
  }, [key, tick]);
  useEffect(() => {
    if (state.done && !state.error) last = { key, rows: state.rows };
  }, [state]);
  return [state, setState] as const;
}

const fastPoll = 5000;
const slowestPoll = 60_000;

/** Fetches runs by id, in requests of 100 ids. */
async function fetchRuns(experimentId: string, ids: string[]): Promise<Run[]> {
  const runs: Run[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const page = await post<{ runs?: Run[] }>("runs/search", {
      experiment_ids: [experimentId],
      filter: `attributes.run_id IN (${ids.slice(i, i + 100).map((id) => `'${id}'`).join(",")})`,
      run_view_type: "ALL",
      max_results: 100,
    });
    runs.push(...(page.runs ?? []));
  }
  return runs;
}

/**
 * One refresh: runs started since the newest shown (in the default newest-first order only,
 * where they belong at the top) and the RUNNING runs shown. Returns whether anything changed.
 */
async function refresh(request: SearchRequest, newestFirst: boolean, search: RunSearch, update: (change: (s: RunSearch) => RunSearch) => void): Promise<boolean> {
  let changed = false;
  if (newestFirst) {
    const newest = search.rows.reduce((t, r) => Math.max(t, r.run.info.start_time ?? 0), 0);
    const since = `attributes.start_time >= ${newest}`;
    const page = await post<{ runs?: Run[] }>("runs/search", {
      experiment_ids: [request.experimentId],
      filter: request.filter ? `${request.filter} and ${since}` : since,
      order_by: request.orderBy,
      run_view_type: request.view,
      max_results: 100,
    });
    const known = new Set(search.rows.map((r) => r.id));
    const added = (page.runs ?? []).filter((run) => !known.has(run.info.run_id)).map(toRow);
    if (added.length) {
      changed = true;
      update((s) => ({ ...s, rows: [...added, ...s.rows] }));
    }
  }
  const running = search.rows.filter((r) => r.run.info.status === "RUNNING").slice(0, 500);
  if (running.length) {
    const before = new Map(running.map((r) => [r.id, JSON.stringify(r.run)]));
    const fresh = new Map<string, Row>();
    for (const run of await fetchRuns(request.experimentId, [...before.keys()])) {
      if (before.get(run.info.run_id) !== JSON.stringify(run)) fresh.set(run.info.run_id, toRow(run));
    }
    if (fresh.size) {
      changed = true;
      update((s) => ({ ...s, rows: s.rows.map((r) => fresh.get(r.id) ?? r) }));
    }
  }
  return changed;
}

/**
 * Keeps the loaded runs live while the tab is visible. Returns the current delay between polls
 * (undefined while not polling), shown on the table for tests and the curious.
 */
export function useLiveRuns(request: SearchRequest, newestFirst: boolean, search: RunSearch, update: (change: (s: RunSearch) => RunSearch) => void): number | undefined {
  const [delay, setDelay] = useState<number | undefined>();
  const latest = useRef({ request, newestFirst, search });
  latest.current = { request, newestFirst, search };
  const active = search.done && !search.error && (newestFirst || search.rows.some((r) => r.run.info.status === "RUNNING"));
  useEffect(() => {
    if (!active) {
      setDelay(undefined);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wait = fastPoll;
    let stopped = false;
    let inFlight = false;
    const schedule = () => {
      clearTimeout(timer);
      timer = undefined;
      if (stopped || document.hidden) return setDelay(undefined);
      setDelay(wait);
      timer = setTimeout(() => void poll(), wait);
    };
    const poll = async (catchUp = false) => {
      timer = undefined;
      if (inFlight) return;
      inFlight = true;
      const { request, newestFirst, search } = latest.current;
      try {
        const changed = await refresh(request, newestFirst, search, update);
        wait = changed || catchUp ? fastPoll : Math.min(slowestPoll, wait * 2);
      } catch {
        wait = Math.min(slowestPoll, wait * 2); // the next poll tries again
      }
      inFlight = false;
      schedule();
    };
    // Back in view: catch up at once, then poll quickly again.
    const visibility = () => {
      if (document.hidden) return schedule();
      if (timer !== undefined) clearTimeout(timer);
      void poll(true);
    };
    document.addEventListener("visibilitychange", visibility);
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", visibility);
    };
  }, [active, request.experimentId, request.filter, request.orderBy.join("\u0000"), request.view, newestFirst]);
  return delay;
}
