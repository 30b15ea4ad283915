/**
 * SearchLoggedModels page tokens, as MLflow's SearchLoggedModelsPaginationToken writes them: base64
 * of Python's `json.dumps({"experiment_ids", "filter_string", "order_by", "offset"})`. A token only
 * serves the request it came from; a mismatch gets MLflow's message.
 */

import { SearchError } from "./errors.ts";
import { pyJson, pyJsonDumps } from "./py-repr.ts";

export interface LoggedModelPageToken {
  experimentIds: string[];
  filterString: string | null;
  /** The request's order_by entries as MLflow's handler turns them into dicts. */
  orderBy: Record<string, string | boolean | null>[] | null;
  offset: number;
}

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function encodeLoggedModelPageToken(token: LoggedModelPageToken): string {
  return toBase64(
    pyJsonDumps({
      experiment_ids: token.experimentIds,
      filter_string: token.filterString,
      order_by: token.orderBy,
      offset: token.offset,
    }),
  );
}

function invalid(token: string): SearchError {
  return new SearchError(`Invalid page token: ${token}. It is not a token this server issued.`);
}

export function decodeLoggedModelPageToken(token: string): LoggedModelPageToken {
  let parsed: unknown;
  try {
    const binary = atob(token);
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw invalid(token);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid(token);
  const t = parsed as Record<string, unknown>;
  const offset = t.offset ?? 0;
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) throw invalid(token);
  return {
    experimentIds: Array.isArray(t.experiment_ids) ? t.experiment_ids.map(String) : [],
    filterString: typeof t.filter_string === "string" && t.filter_string !== "" ? t.filter_string : null,
    orderBy: Array.isArray(t.order_by) && t.order_by.length > 0 ? (t.order_by as LoggedModelPageToken["orderBy"]) : null,
    offset,
  };
}

/** MLflow's checks, in its order and words: the token must come from the same search. */
export function validateLoggedModelPageToken(token: LoggedModelPageToken, request: Omit<LoggedModelPageToken, "offset">): void {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(token.experimentIds, request.experimentIds)) {
    throw new SearchError(
      "Experiment IDs in the page token do not match the requested experiment IDs. " +
        `Expected: ${pyJson(request.experimentIds)}. Found: ${pyJson(token.experimentIds)}`,
    );
  }
  if (token.filterString !== request.filterString) {
    throw new SearchError(
      "Filter string in the page token does not match the requested filter string. " +
        `Expected: ${request.filterString ?? "None"}. Found: ${token.filterString ?? "None"}`,
    );
  }
  if (!same(token.orderBy, request.orderBy)) {
    throw new SearchError(
      "Order by in the page token does not match the requested order by. " +
        `Expected: ${pyJson(request.orderBy)}. Found: ${pyJson(token.orderBy)}`,
    );
  }
}
