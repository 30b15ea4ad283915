/**
 * Paging parameters shared by every search endpoint: `max_results` with its bounds and MLflow's
 * messages, and the `next_page_token` of a page.
 */

import { invalidParameter, type MlflowError } from "../errors.ts";
import { decodePageToken, encodePageToken } from "../search/page-token.ts";
import type { Page } from "../store/types.ts";
import { repeated, type Json } from "./json.ts";
import type { Params } from "./request.ts";

/** How one bound of `max_results` is refused: MLflow's handlers and stores each word it their own way. */
export type Refusal = (value: number, params: Params) => MlflowError;

/** The handler's request schema: `Invalid value 50001 for parameter 'max_results' supplied:  Hint: ...`. */
export const refusedBySchema: Refusal = (_value, params) => params.invalidValue("max_results");

/** The tracking store's `_validate_max_results_param`, above its limit. */
export const trackingStoreAtMost =
  (max: number): Refusal =>
  (value) =>
    invalidParameter(`Invalid value ${value} for parameter 'max_results' supplied. It must be at most ${max}`);

/** The tracking store's `_validate_max_results_param`, below 1. */
export const trackingStorePositive: Refusal = (value) =>
  invalidParameter(`Invalid value ${value} for parameter 'max_results' supplied. It must be a positive integer`);

/** The model registry store's check, below 1. */
export const registryStorePositive: Refusal = (value) =>
  invalidParameter(`Invalid value for max_results. It must be a positive integer, but got ${value}`);

/** `max_results`, or `fallback` when absent, within 1..`max`. */
export function maxResults(
  params: Params,
  fallback: number,
  max: number,
  refuse: { tooLarge: Refusal; notPositive: Refusal },
): number {
  const value = params.optionalInt("max_results") ?? fallback;
  if (value > max) throw refuse.tooLarge(value, params);
  if (value < 1) throw refuse.notPositive(value, params);
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
