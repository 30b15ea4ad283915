/**
 * Paging parameters shared by every search endpoint: `max_results` with its bounds and MLflow's
 * messages, and the `next_page_token` of a page.
 */

import { invalidParameter } from "../errors.ts";
import { decodePageToken, encodePageToken } from "../search/page-token.ts";
import type { Page } from "../store/types.ts";
import { repeated, type Json } from "./json.ts";
import type { Params } from "./request.ts";

/** `max_results`, or `fallback` when absent; runs searches accept 0, registry searches start at 1. */
export function maxResults(params: Params, fallback: number, max: number, min: 0 | 1 = 0): number {
  const value = params.optionalInt("max_results") ?? fallback;
  if (value > max) {
    throw invalidParameter(
      `Invalid value for request parameter max_results. It must be at most ${max}, but got value ${value}`,
    );
  }
  if (value < min) {
    throw invalidParameter(
      min === 1
        ? `Invalid value for max_results. It must be a positive integer, but got ${value}`
        : `Invalid value for request parameter max_results. It must be a non-negative integer, but got value ${value}`,
    );
  }
  return value;
}

/** Where the requested page starts: the offset in `page_token`, the first row without one. */
export function pageOffset(params: Params): number {
  return decodePageToken(params.optionalString("page_token"));
}

/** A search response: the page's items under `field` (omitted when empty) and the next page's token. */
export function pageJson<T>(field: string, page: Page<T>, toJson: (item: T) => Json): Json {
  const body: Record<string, Json | undefined> = { [field]: repeated(page.items, toJson) };
  if (page.nextOffset !== undefined) body.next_page_token = encodePageToken(page.nextOffset);
  return body;
}
