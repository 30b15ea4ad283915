/**
 * A few thousand generated bad requests per backend, from a fixed seed: valid requests to the main
 * endpoints with fields replaced by wrong types, huge numbers, NUL characters, deep nesting, long
 * strings, unknown ids, bad filters and page tokens, plus bodies that are not JSON at all. Not one
 * may answer 5xx, and the read-only ones must leave the database as it was.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";

/** Fixed, so a failure repeats; FML_FUZZ_SEED explores other sequences. */
const SEED = Number(process.env.FML_FUZZ_SEED ?? 0x5eed15);
const READ_REQUESTS = 2500;
const WRITE_REQUESTS = 2500;
const PARALLEL = 8;

/** mulberry32: small, fast, and the same sequence on every runtime. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value spliced into the JSON text as written, for numbers JSON.stringify cannot write. */
class RawJson {
  constructor(readonly text: string) {}
}
type Value = Json | RawJson;
type Body = Record<string, Value>;

interface Endpoint {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  readOnly: boolean;
  body: (ids: Ids) => Body;
}

interface Ids {
  experimentId: string;
  runId: string;
  model: string;
}

const endpoints: Endpoint[] = [
  { method: "GET", path: "experiments/get", readOnly: true, body: (ids) => ({ experiment_id: ids.experimentId }) },
  { method: "GET", path: "experiments/get-by-name", readOnly: true, body: () => ({ experiment_name: "fuzzed" }) },
  {
    method: "POST",
    path: "experiments/search",
    readOnly: true,
    body: () => ({ max_results: 10, filter: "name LIKE 'f%'", order_by: ["name DESC"], view_type: "ALL", page_token: "" }),
  },
  { method: "GET", path: "runs/get", readOnly: true, body: (ids) => ({ run_id: ids.runId }) },
  {
    method: "POST",
    path: "runs/search",
    readOnly: true,
    body: (ids) => ({
      experiment_ids: [ids.experimentId],
      filter: "metrics.loss < 1 and params.lr = '0.1'",
      run_view_type: "ACTIVE_ONLY",
      max_results: 5,
      order_by: ["metrics.loss ASC"],
      page_token: "",
    }),
  },
  {
    method: "GET",
    path: "metrics/get-history",
    readOnly: true,
    body: (ids) => ({ run_id: ids.runId, metric_key: "loss", max_results: 10, page_token: "" }),
  },
  {
    method: "GET",
    path: "metrics/get-history-bulk-interval",
    readOnly: true,
    body: (ids) => ({ run_ids: [ids.runId], metric_key: "loss", start_step: 0, end_step: 10, max_results: 5 }),
  },
  {
    method: "POST",
    path: "experiments/search-datasets",
    readOnly: true,
    body: (ids) => ({ experiment_ids: [ids.experimentId] }),
  },
  { method: "GET", path: "registered-models/get", readOnly: true, body: (ids) => ({ name: ids.model }) },
  {
    method: "GET",
    path: "registered-models/search",
    readOnly: true,
    body: () => ({ filter: "name LIKE 'm%'", max_results: 5, order_by: ["name"], page_token: "" }),
  },
  { method: "GET", path: "model-versions/get", readOnly: true, body: (ids) => ({ name: ids.model, version: "1" }) },
  {
    method: "GET",
    path: "model-versions/search",
    readOnly: true,
    body: (ids) => ({ filter: `name = '${ids.model}'`, max_results: 5, order_by: ["version_number DESC"] }),
  },
  {
    method: "POST",
    path: "registered-models/get-latest-versions",
    readOnly: true,
    body: (ids) => ({ name: ids.model, stages: ["None"] }),
  },
  { method: "GET", path: "registered-models/alias", readOnly: true, body: (ids) => ({ name: ids.model, alias: "champion" }) },
  { method: "GET", path: "artifacts/list", readOnly: true, body: (ids) => ({ run_id: ids.runId, path: "" }) },
  // Writes: only "no 5xx" is asked of these.
  {
    method: "POST",
    path: "experiments/create",
    readOnly: false,
    body: () => ({ name: "fz", artifact_location: "", tags: [{ key: "k", value: "v" }] }),
  },
  {
    method: "POST",
    path: "runs/create",
    readOnly: false,
    body: (ids) => ({
      experiment_id: ids.experimentId,
      start_time: 1,
      run_name: "r",
      user_id: "u",
      tags: [{ key: "k", value: "v" }],
    }),
  },
  {
    method: "POST",
    path: "runs/update",
    readOnly: false,
    body: (ids) => ({ run_id: ids.runId, status: "RUNNING", end_time: 2, run_name: "renamed" }),
  },
  {
    method: "POST",
    path: "runs/log-metric",
    readOnly: false,
    body: (ids) => ({ run_id: ids.runId, key: "loss", value: 0.5, timestamp: 1, step: 3 }),
  },
  { method: "POST", path: "runs/log-parameter", readOnly: false, body: (ids) => ({ run_id: ids.runId, key: "p", value: "1" }) },
  { method: "POST", path: "runs/set-tag", readOnly: false, body: (ids) => ({ run_id: ids.runId, key: "t", value: "1" }) },
  { method: "POST", path: "runs/delete-tag", readOnly: false, body: (ids) => ({ run_id: ids.runId, key: "t" }) },
  {
    method: "POST",
    path: "runs/log-batch",
    readOnly: false,
    body: (ids) => ({
      run_id: ids.runId,
      metrics: [{ key: "m", value: 1, timestamp: 1, step: 1 }],
      params: [{ key: "bp", value: "1" }],
      tags: [{ key: "bt", value: "1" }],
    }),
  },
  {
    method: "POST",
    path: "runs/log-inputs",
    readOnly: false,
    body: (ids) => ({
      run_id: ids.runId,
      datasets: [{ dataset: { name: "d", digest: "x", source_type: "local", source: "{}" }, tags: [] }],
    }),
  },
  {
    method: "POST",
    path: "experiments/set-experiment-tag",
    readOnly: false,
    body: (ids) => ({ experiment_id: ids.experimentId, key: "k", value: "v" }),
  },
  {
    method: "POST",
    path: "registered-models/create",
    readOnly: false,
    body: () => ({ name: "fm", description: "d", tags: [{ key: "k", value: "v" }] }),
  },
  {
    method: "POST",
    path: "model-versions/create",
    readOnly: false,
    body: (ids) => ({
      name: ids.model,
      source: "s3://bucket/m",
      run_id: ids.runId,
      run_link: "http://x",
      description: "d",
      tags: [{ key: "k", value: "v" }],
    }),
  },
  {
    method: "PATCH",
    path: "model-versions/update",
    readOnly: false,
    body: (ids) => ({ name: ids.model, version: "1", description: "d" }),
  },
  {
    method: "POST",
    path: "experiments/update",
    readOnly: false,
    body: (ids) => ({ experiment_id: ids.experimentId, new_name: "fuzzed" }),
  },
  {
    method: "POST",
    path: "model-versions/set-tag",
    readOnly: false,
    body: (ids) => ({ name: ids.model, version: "1", key: "k", value: "v" }),
  },
  {
    method: "POST",
    path: "model-versions/transition-stage",
    readOnly: false,
    body: (ids) => ({ name: ids.model, version: "1", stage: "Staging", archive_existing_versions: false }),
  },
  {
    method: "POST",
    path: "registered-models/alias",
    readOnly: false,
    body: (ids) => ({ name: ids.model, alias: "champion", version: "1" }),
  },
  {
    method: "PATCH",
    path: "registered-models/update",
    readOnly: false,
    body: (ids) => ({ name: ids.model, description: "new" }),
  },
];

function badValues(rnd: () => number): Value[] {
  const long = (n: number): string => "x".repeat(n);
  let deep: Json = 1;
  for (let i = 0; i < 1 + Math.floor(rnd() * 2000); i++) deep = [deep];
  return [
    null,
    true,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    2 ** 53 + 2,
    new RawJson("9223372036854775808"),
    new RawJson("-9223372036854775809"),
    new RawJson("1e400"),
    new RawJson("123456789012345678901234567890"),
    "",
    "a\u0000b",
    "\u0000",
    "\ud800",
    "💥".repeat(100),
    long(251),
    long(257),
    long(300),
    long(501),
    long(5001),
    long(70_000),
    "NaN",
    "Infinity",
    "-0",
    "2147483648",
    "9223372036854775808",
    "deadbeef".repeat(4),
    "../../../../etc/passwd",
    "'; DROP TABLE runs; --",
    [],
    [1, "a", null],
    Array.from({ length: 2000 }, (_, i) => String(i)),
    {},
    { key: { key: [] } },
    deep,
  ];
}

const badFilters = [
  "metrics.loss <",
  "params.lr = '0.1' AND",
  "attributes.nope = 1",
  "tags.`unclosed = 'x'",
  "name LIKE 5",
  "metrics.loss < 'a'",
  "run_id IN ()",
  "((((((((((",
  "name = '\u0000'",
  "version_number > 99999999999999999999",
  "x".repeat(20_000),
  "metrics.loss < 1 ".repeat(500),
  "dataset.name = 'a' OR 1=1",
];

const badTokens = ["!!!", "eyJvZmZzZXQiOiAtMX0=", "eyJvZmZzZXQiOiAxZTMwOH0=", "bm90IGpzb24=", "%00", "a".repeat(5000)];

const garbageBodies = ["", "{", "[1,2,3]", '"text"', "null", "{\"a\":}", "\u0000", "[".repeat(100_000), "{}".repeat(1000)];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

function serialize(value: Value | Body): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(serialize).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** encodeURIComponent, except that a lone surrogate goes out as the bytes it would be: not UTF-8. */
function encodeQuery(text: string): string {
  return text.replace(/[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]|[^\ud800-\udfff]+/g, (part) =>
    part.length === 1 && part >= "\ud800" && part <= "\udfff" ? "%ED%A0%80" : encodeURIComponent(part),
  );
}

function querySerialize(value: Value): string[] {
  if (value instanceof RawJson) return [value.text];
  if (Array.isArray(value)) return value.flatMap(querySerialize);
  if (value !== null && typeof value === "object") return [JSON.stringify(value)];
  return [String(value)];
}

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  body?: string;
}

/** One mutated request: some fields replaced, dropped or added, or a body that is not JSON. */
function mutate(rnd: () => number, endpoint: Endpoint, ids: Ids): FuzzRequest {
  const body: Body = endpoint.body(ids);
  const keys = Object.keys(body);
  const roll = rnd();
  let raw: string | undefined;
  if (roll < 0.08 && endpoint.method !== "GET") {
    raw = pick(rnd, garbageBodies);
  } else {
    for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
      const key = pick(rnd, keys);
      const kind = rnd();
      if (kind < 0.1) delete body[key];
      else if (kind < 0.25 && (key === "filter" || key === "order_by")) body[key] = pick(rnd, badFilters);
      else if (kind < 0.35 && key === "page_token") body[key] = pick(rnd, badTokens);
      else if (kind < 0.45) body[`unknown_${Math.floor(rnd() * 3)}`] = pick(rnd, badValues(rnd));
      else if (kind < 0.55 && Array.isArray(body[key])) {
        body[key] = [...(body[key] as Json[]), pick(rnd, badValues(rnd)) as Json];
      } else if (kind < 0.65) {
        // Nested: replace a field of the first element of some list of objects.
        const list = Object.values(body).find((v) => Array.isArray(v) && typeof v[0] === "object" && v[0] !== null);
        const first = Array.isArray(list) ? (list[0] as Record<string, Value>) : undefined;
        if (first) first[pick(rnd, Object.keys(first))] = pick(rnd, badValues(rnd));
        else body[key] = pick(rnd, badValues(rnd));
      } else body[key] = pick(rnd, badValues(rnd));
    }
  }
  const path = `/api/2.0/mlflow/${endpoint.path}`;
  if (endpoint.method === "GET") {
    const params: string[] = [];
    for (const [key, value] of Object.entries(body)) {
      for (const item of querySerialize(value)) params.push(`${encodeQuery(key)}=${encodeQuery(item)}`);
    }
    // Percent-encoding that does not decode, and raw NUL.
    if (rnd() < 0.05) params.push(pick(rnd, ["run_id=%zz", "name=%00", "max_results=%ff%fe", "a=%"]));
    return { method: "GET", path, query: params.length ? `?${params.join("&")}` : "" };
  }
  return { method: endpoint.method, path, query: "", body: raw ?? serialize(body) };
}

interface Failure {
  request: string;
  status: number;
  response: string;
}

async function send(server: FmlServer, requests: readonly FuzzRequest[]): Promise<Failure[]> {
  const failures: Failure[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const r = requests[next++] as FuzzRequest;
      const response = await fetch(server.url + r.path + r.query, {
        method: r.method,
        headers: r.body === undefined ? {} : { "content-type": "application/json" },
        body: r.body,
      });
      const text = await response.text();
      if (response.status >= 500) {
        failures.push({
          request: `${r.method} ${r.path}${r.query.slice(0, 300)} ${(r.body ?? "").slice(0, 300)} (${(r.body ?? r.query).length} chars)`,
          status: response.status,
          response: text.slice(0, 300),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return failures;
}

/** Everything a client can see of the store, in a stable order. */
async function snapshot(server: FmlServer): Promise<unknown> {
  const experiments = await server.api<{ experiments?: { experiment_id: string }[] }>("POST", "experiments/search", {
    view_type: "ALL",
    max_results: 1000,
  });
  const ids = (experiments.body.experiments ?? []).map((e) => e.experiment_id);
  const runs = await server.api("POST", "runs/search", { experiment_ids: ids, run_view_type: "ALL", max_results: 1000 });
  const models = await server.api("GET", "registered-models/search", { max_results: 1000 });
  const versions = await server.api("GET", "model-versions/search", { max_results: 1000 });
  return { experiments: experiments.body, runs: runs.body, models: models.body, versions: versions.body };
}

for (const backend of await backends()) {
  describe(`fuzz [${backend}]`, () => {
    let server: FmlServer;
    let ids: Ids;
    beforeAll(async () => {
      server = await startFml({ backend });
      const exp = await server.api<{ experiment_id: string }>("POST", "experiments/create", { name: "fuzzed" });
      const run = await server.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
        experiment_id: exp.body.experiment_id,
      });
      const runId = run.body.run.info.run_id;
      await server.api("POST", "runs/log-batch", {
        run_id: runId,
        metrics: [{ key: "loss", value: 0.3, timestamp: 1, step: 1 }],
        params: [{ key: "lr", value: "0.1" }],
        tags: [{ key: "t", value: "x" }],
      });
      await server.api("POST", "registered-models/create", { name: "model" });
      await server.api("POST", "model-versions/create", { name: "model", source: "s3://bucket/m", run_id: runId });
      await server.api("POST", "registered-models/alias", { name: "model", alias: "champion", version: "1" });
      ids = { experimentId: exp.body.experiment_id, runId, model: "model" };
    });
    afterAll(async () => {
      await server.stop();
    });

    /** On failure, shows the first requests and the server's own account of what went wrong. */
    const expectNoFailures = (failures: readonly Failure[]): void => {
      const unhandled = server.logs().split("\n").filter((line) => line.includes("unhandled error"));
      expect({ failures: failures.slice(0, 10), unhandled: unhandled.slice(0, 10) }).toEqual({ failures: [], unhandled: [] });
    };

    test(`${READ_REQUESTS} mutated read-only requests: no 5xx, the database unchanged`, async () => {
      const rnd = random(SEED);
      const readers = endpoints.filter((e) => e.readOnly);
      const requests = Array.from({ length: READ_REQUESTS }, () => mutate(rnd, pick(rnd, readers), ids));
      const before = await snapshot(server);
      const failures = await send(server, requests);
      expectNoFailures(failures);
      expect(await snapshot(server)).toEqual(before);
    }, 60_000);

    test(`${WRITE_REQUESTS} mutated write requests: no 5xx`, async () => {
      const rnd = random(SEED + 1);
      const writers = endpoints.filter((e) => !e.readOnly);
      const requests = Array.from({ length: WRITE_REQUESTS }, () => mutate(rnd, pick(rnd, writers), ids));
      const failures = await send(server, requests);
      expectNoFailures(failures);
      expect((await server.api("GET", "/health")).status).toBe(200);
    }, 60_000);
  });
}
