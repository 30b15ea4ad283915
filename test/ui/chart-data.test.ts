/**
 * The charts' pure parts: chart specs survive the URL whatever their keys hold, series of runs
 * that logged different steps share one x array, groups are drawn as their mean per step, and
 * scatter / parallel-coordinate axes are numeric only when every value is a number.
 */

import { describe, expect, test } from "bun:test";
import { scaleOf } from "../../src/ui/app/chart-axis.ts";
import { alignedData, chartSeries } from "../../src/ui/app/chart-data.ts";
import { decodeSpecs, encodeSpecs, type ChartSpec } from "../../src/ui/app/chart-specs.ts";
import type { History } from "../../src/ui/app/history.ts";

const settings = { x: "step" as const, smoothing: 0, log: false };
const history = (points: [number, number][]): History => ({ points: points.map(([step, value]) => ({ step, value, timestamp: 1000 + step })), truncated: false });

describe("chart specs in the URL", () => {
  test("keys with colons, commas, spaces and percent signs come back unchanged", () => {
    const specs: ChartSpec[] = [
      { kind: "line", metric: "val/loss, top:1 %" },
      { kind: "bar", metric: "f1 score" },
      { kind: "scatter", x: "p:lr:warmup", y: "m:acc,top5" },
      { kind: "parallel", keys: ["p:a", "t:team:x", "m:loss"] },
    ];
    const text = encodeSpecs(specs);
    // Through URLSearchParams, as the router stores it.
    const query = new URLSearchParams({ charts: text }).toString();
    expect(decodeSpecs(new URLSearchParams(query).get("charts")!)).toEqual(specs);
  });

  test("parts that are not a chart are left out", () => {
    expect(decodeSpecs("line:loss,nonsense,scatter:only-one,line:%E0%A4%A,bar:acc")).toEqual([
      { kind: "line", metric: "loss" },
      { kind: "bar", metric: "acc" },
    ]);
  });
});

describe("chart series", () => {
  test("runs that logged different steps share one sorted x array, null where a run has no point", () => {
    const runs = [
      { id: "a", name: "a" },
      { id: "b", name: "b" },
    ];
    const histories = new Map([
      ["a", history([[0, 1], [2, 3]])],
      ["b", history([[1, 5], [2, 6]])],
    ]);
    const data = alignedData(chartSeries(runs, histories, ["red", "blue"]), settings);
    expect(data.map((column) => Array.from(column))).toEqual([
      [0, 1, 2],
      [1, null, 3],
      [null, 5, 6],
    ]);
  });

  test("a group is one series: the mean of its runs at each step", () => {
    const runs = ["a", "b", "c"].map((id) => ({ id, name: id }));
    const histories = new Map([
      ["a", history([[0, 1], [1, 2]])],
      ["b", history([[0, 3], [1, 4]])],
      ["c", history([[0, 10]])],
    ]);
    const series = chartSeries(runs, histories, [], [
      { name: "adam", color: "red", runIds: ["a", "b"] },
      { name: "sgd", color: "blue", runIds: ["c"] },
    ]);
    expect(series.map((s) => [s.name, s.points.map((p) => [p.step, p.value])])).toEqual([
      ["adam", [[0, 2], [1, 3]]],
      ["sgd", [[0, 10]]],
    ]);
  });
});

describe("run axes", () => {
  test("numbers (also as param strings) make a numeric axis with round ticks", () => {
    const scale = scaleOf(["0.001", 0.05, "0.1", undefined]);
    expect(scale.position("0.1")).toBe(1);
    expect(scale.position(0.001)).toBe(0);
    expect(scale.position(undefined)).toBeUndefined();
    expect(scale.ticks.map((t) => t.label)).toEqual(["0.02", "0.04", "0.06", "0.08", "0.1"]);
  });

  test("any non-number makes the axis categorical, its values in order", () => {
    const scale = scaleOf(["sgd", "adam", "1", "adam"]);
    expect(scale.ticks.map((t) => t.label)).toEqual(["1", "adam", "sgd"]);
    expect(scale.position("adam")).toBe(0.5);
  });
});
