/**
 * Search page tokens: base64 of the JSON `{"offset": N}` exactly as Python's json.dumps writes it,
 * so tokens from MLflow and from fml are interchangeable. Decoding follows Python's lenient
 * b64decode (characters outside the alphabet are dropped, padding must suffice).
 */

import { SearchError } from "./errors.ts";
import { pyBytes, pyJson } from "./py-repr.ts";

export function encodePageToken(offset: number): string {
  return btoa(`{"offset": ${offset}}`);
}

/** The offset a token stands for; 0 when there is no token. */
export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  const bytes = pythonB64decode(token);
  if (!bytes) throw new SearchError("Invalid page token, could not base64-decode");

  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new SearchError(`Invalid page token, decoded value=${pyBytes(bytes)}`);
  }
  const offset = offsetOf(parsed);
  if (offset === undefined) throw new SearchError(`Invalid page token, parsed value=${pyJson(parsed)}`);
  return offset;
}

function offsetOf(parsed: unknown): number | undefined {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const raw = (parsed as Record<string, unknown>)["offset"];
  let n: number | undefined;
  if (typeof raw === "number") n = raw;
  // Python's int() also takes numeric strings, which MLflow's parser passes through.
  else if (typeof raw === "string" && /^\s*\+?\d+\s*$/.test(raw)) n = Number(raw);
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) return undefined;
  return n;
}

function pythonB64decode(token: string): Uint8Array | undefined {
  // Non-alphabet characters are discarded, as binascii does without validate=True.
  const cleaned = token.replace(/[^A-Za-z0-9+/=]/g, "");
  const firstPad = cleaned.indexOf("=");
  const data = firstPad < 0 ? cleaned : cleaned.slice(0, firstPad);
  const pads = firstPad < 0 ? 0 : cleaned.length - firstPad - cleaned.slice(firstPad).replace(/=/g, "").length;
  const rest = data.length % 4;
  if (rest === 1) return undefined;
  if (rest === 2 && pads < 2) return undefined;
  if (rest === 3 && pads < 1) return undefined;
  try {
    const binary = atob(data + "=".repeat((4 - rest) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
