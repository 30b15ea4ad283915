// Page tokens: interchangeable with MLflow's (base64 of Python's json.dumps({"offset": N})).

import { describe, expect, test } from "bun:test";
import { SearchError } from "../../src/search/errors.ts";
import { decodePageToken, encodePageToken } from "../../src/search/page-token.ts";

describe("page tokens", () => {
  test("encode exactly as MLflow does", () => {
    expect(encodePageToken(1000)).toBe("eyJvZmZzZXQiOiAxMDAwfQ==");
    expect(encodePageToken(50)).toBe("eyJvZmZzZXQiOiA1MH0=");
  });

  test("decode MLflow's tokens and round-trip ours", () => {
    expect(decodePageToken("eyJvZmZzZXQiOiAxMDAwfQ==")).toBe(1000);
    for (const n of [0, 1, 7, 999, 123456789]) expect(decodePageToken(encodePageToken(n))).toBe(n);
  });

  test("no token is offset 0", () => {
    expect(decodePageToken(undefined)).toBe(0);
    expect(decodePageToken("")).toBe(0);
  });

  test("lenient like Python's b64decode: stray characters are dropped", () => {
    expect(decodePageToken("eyJvZmZzZXQiOiA1MH0=\n")).toBe(50);
    expect(decodePageToken(btoa('{"offset":"12"}'))).toBe(12);
  });

  test.each([
    ["eyJvZmZzZXQiOiA1MH0", "Invalid page token, could not base64-decode"],
    ["abcde", "Invalid page token, could not base64-decode"],
    [btoa("not json"), "Invalid page token, decoded value=b'not json'"],
    [btoa("it's"), `Invalid page token, decoded value=b"it's"`],
    [btoa("\x00\xff"), "Invalid page token, decoded value=b'\\x00\\xff'"],
    [btoa('{"offset": -1}'), "Invalid page token, parsed value={'offset': -1}"],
    [btoa('{"offset": "x"}'), "Invalid page token, parsed value={'offset': 'x'}"],
    [btoa('{"offset": 1.5}'), "Invalid page token, parsed value={'offset': 1.5}"],
    [btoa('{"page": 2, "ok": true, "n": null}'), "Invalid page token, parsed value={'page': 2, 'ok': True, 'n': None}"],
    [btoa("[1, 2]"), "Invalid page token, parsed value=[1, 2]"],
  ])("rejects %p", (token, message) => {
    let error: unknown;
    try {
      decodePageToken(token);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SearchError);
    expect((error as Error).message).toBe(message);
  });
});
