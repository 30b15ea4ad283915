/**
 * rows.ts: the column readers absorb what each driver returns and fail loudly, naming table and
 * column, on anything the schema does not allow.
 */

import { describe, expect, test } from "bun:test";
import { decodeMetric, decodeRunInfo, flag, integer, optionalInteger, optionalText, real, text } from "../../src/store/rows.ts";

describe("column readers", () => {
  test("integers arrive as number, bigint or numeric string", () => {
    expect(integer({ v: 7 }, "t", "v")).toBe(7);
    expect(integer({ v: 1700000000000n }, "t", "v")).toBe(1700000000000);
    expect(integer({ v: "-42" }, "t", "v")).toBe(-42);
    expect(optionalInteger({ v: null }, "t", "v")).toBeNull();
    expect(() => integer({ v: null }, "runs", "experiment_id")).toThrow("runs.experiment_id: expected an integer, got NULL");
    expect(() => integer({ v: 1.5 }, "t", "v")).toThrow("t.v: expected an integer, got number 1.5");
    expect(() => optionalInteger({ v: "abc" }, "t", "v")).toThrow("t.v: expected an integer or NULL, got 'abc'");
  });

  test("booleans arrive as true/false, 1/0 or 't'/'f'", () => {
    for (const yes of [true, 1, 1n, "t", "true", "1"]) expect(flag({ b: yes }, "t", "b")).toBe(true);
    for (const no of [false, 0, 0n, "f", "false", "0"]) expect(flag({ b: no }, "t", "b")).toBe(false);
    expect(() => flag({ b: null }, "metrics", "is_nan")).toThrow("metrics.is_nan: expected a boolean, got NULL");
  });

  test("doubles keep NaN and infinities; text must be text", () => {
    expect(real({ x: Infinity }, "t", "x")).toBe(Infinity);
    expect(real({ x: "0.25" }, "t", "x")).toBe(0.25);
    expect(real({ x: "NaN" }, "t", "x")).toBeNaN();
    expect(() => real({ x: "" }, "t", "x")).toThrow("t.x: expected a number");
    expect(text({ s: "a" }, "t", "s")).toBe("a");
    expect(optionalText({}, "t", "s")).toBeNull();
    expect(() => text({ value: 5 }, "params", "value")).toThrow("params.value: expected text, got number 5");
  });
});

describe("table decoders", () => {
  test("a metric stored as NaN reads back as NaN whatever its stored value", () => {
    expect(decodeMetric({ key: "m", value: 0, timestamp: 5n, step: "3", is_nan: "t" })).toEqual({
      key: "m",
      value: NaN,
      timestamp: 5,
      step: 3,
    });
  });

  test("run columns the schema lets be NULL get MLflow's defaults; a NULL experiment id is an error", () => {
    const row = {
      run_uuid: "r",
      experiment_id: 1,
      name: null,
      user_id: null,
      status: null,
      start_time: null,
      end_time: null,
      artifact_uri: null,
      lifecycle_stage: null,
    };
    expect(decodeRunInfo(row)).toEqual({
      runId: "r",
      experimentId: "1",
      runName: "",
      userId: "",
      status: "RUNNING",
      startTime: null,
      endTime: null,
      artifactUri: "",
      lifecycleStage: "active",
    });
    expect(() => decodeRunInfo({ ...row, experiment_id: null })).toThrow("runs.experiment_id");
    expect(() => decodeRunInfo({ ...row, status: "DONE" })).toThrow("runs.status: expected a run status, got 'DONE'");
  });
});
