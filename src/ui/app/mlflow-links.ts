/**
 * MLflow's UI links, as MLflow clients print them (`View run at http://host/#/experiments/1/runs/
 * <id>`) and people paste them, turned into fml's own routes, so a shared link opens the same
 * thing here. Pure: a route in, fml's hash (or undefined when the route is already fml's) out.
 */

import { href, type Route } from "./router.ts";

/** MLflow writes id lists as JSON (`runs=["a","b"]`); accept a comma list too. */
export function idList(value: string | null): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed.map(String).filter(Boolean);
  } catch {
    // not JSON: a comma-separated list
  }
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}

const seg = (s: string): string => encodeURIComponent(s);

function compare(runs: string[], experiments: string[], extra: Record<string, string | undefined> = {}): string {
  if (runs.length === 1) return href(`/runs/${seg(runs[0] as string)}`, { tab: "charts" });
  return href("/compare", { runs: runs.join(","), exp: experiments[0], ...extra });
}

export function fromMlflowLink(route: Route): string | undefined {
  const [section, id, sub, subId, ...rest] = route.path;
  if (section === "experiments" && id) {
    // experiments/<id>/runs/<run_id>[/artifacts/<path>]
    if (sub === "runs" && subId) {
      if (rest[0] === "artifacts") {
        return href(`/runs/${seg(subId)}`, { tab: "artifacts", path: rest.slice(1).join("/") || undefined });
      }
      return href(`/runs/${seg(subId)}`);
    }
    // experiments/<id>/models[/<model_id>] and traces[/<trace_id>]: fml's pages use MLflow's form
    if (sub === "models" || sub === "traces") return undefined;
    // any other tab of MLflow's experiment page (runs, chart, evaluation-runs, ...)
    if (sub) return href(`/experiments/${seg(id)}`);
    return undefined;
  }
  if (section === "compare-runs") {
    return compare(idList(route.query.get("runs")), idList(route.query.get("experiments")));
  }
  if (section === "metric" && id) {
    // metric/<key>?runs=[...]&experiments=[...]
    const runs = idList(route.query.get("runs"));
    return compare(runs, idList(route.query.get("experiments")), { y: `m:${id}` });
  }
  // models/<name>/versions/<version>: fml's version page uses MLflow's form
  return undefined;
}
