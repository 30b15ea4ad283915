/**
 * Traces v3 and v2 endpoints against a real fml server, on every backend (spec §3): StartTraceV3
 * and its merge with OTLP spans, info, get with spans, batch reads, search, tags, deletion and the
 * UI's get-trace-artifact.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";
import { hexId, otlpJson, pipelineSpans, postOtlp, startTraceBody } from "../helpers/traces.ts";

type Info = {
  trace_id: string;
  state: string;
  request_time: string;
  execution_duration?: string;
  trace_metadata?: Record<string, string>;
  tags: Record<string, string>;
  request_preview?: string;
  response_preview?: string;
  assessments?: unknown[];
};
type Span = { span_id: string; parent_span_id?: string; name: string; attributes: { key: string; value: unknown }[] };

const v3 = (path: string) => `/api/3.0/mlflow/${path}`;

for (const backend of await backends()) {
  describe(`traces [${backend}]`, () => {
    let fml: FmlServer;
    let exp: string;
    beforeAll(async () => {
      fml = await startFml({ backend });
      exp = (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "traces" })).body.experiment_id;
    });
    afterAll(async () => {
      await fml.stop();
    });

    const newExperiment = async (name: string) =>
      (await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name })).body.experiment_id;
    const start = (traceId: string, experimentId = exp, extra: Record<string, unknown> = {}) =>
      fml.api<{ trace: { trace_info: Info }; message?: string }>("POST", v3("traces"), startTraceBody(traceId, experimentId, extra));
    const search = (body: Record<string, unknown>) =>
      fml.api<{ traces?: Info[]; next_page_token?: string; message?: string }>("POST", v3("traces/search"), body);
    const at = (experimentId: string) => [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } }];

    test("StartTraceV3 stores the trace and adds the artifact location tag and infoFinalized", async () => {
      const id = `tr-${hexId(16)}`;
      const r = await start(id);
      expect(r.status).toBe(200);
      expect(r.body.trace.trace_info).toEqual({
        trace_id: id,
        trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } },
        request_time: "2026-11-30T17:26:34.170Z",
        execution_duration: "0.233s",
        state: "OK",
        trace_metadata: { "mlflow.trace_schema.version": "3", "mlflow.user": "tester", "mlflow.trace.infoFinalized": "true" },
        tags: { "mlflow.traceName": "pipeline", "mlflow.artifactLocation": `mlflow-artifacts:/${exp}/traces/${id}/artifacts` },
        request_preview: '{"x": 3}',
        response_preview: "8",
      } as unknown as Info);
      const got = await fml.api<{ trace: { trace_info: Info } }>("GET", v3(`traces/${id}`));
      expect(got.status).toBe(200);
      expect(got.body.trace.trace_info).toEqual(r.body.trace.trace_info);
    });

    test("StartTraceV3 refuses a missing trace, an unknown and a deleted experiment", async () => {
      const missing = await fml.api("POST", v3("traces"), {});
      expect(missing.status).toBe(400);
      expect(missing.body.error_code).toBe("INVALID_PARAMETER_VALUE");
      expect(String(missing.body.message)).toContain("'trace'");
      const unknown = await start(`tr-${hexId(16)}`, "99999");
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "No Experiment with id=99999 exists" });
      const gone = await newExperiment("traces-deleted");
      await fml.api("POST", "experiments/delete", { experiment_id: gone });
      const deleted = await start(`tr-${hexId(16)}`, gone);
      expect(deleted.status).toBe(400);
      expect(String(deleted.body.message)).toContain("must be in the 'active' state");
      const badTime = await start(`tr-${hexId(16)}`, exp, { request_time: "yesterday" });
      expect(badTime.status).toBe(400);
      expect(String(badTime.body.message)).toContain("request_time");
    });

    test("over-long ids, tags and metadata and NUL characters are refused with 400 naming the field, nothing stored", async () => {
      const id = `tr-${hexId(16)}`;
      const cases: [Record<string, unknown>, string][] = [
        [{ tags: { k: "x".repeat(8001) } }, "'tags.k' exceeds the maximum length of 8000 characters"],
        [{ tags: { ["k".repeat(251)]: "v" } }, "'tags key' exceeds the maximum length of 250 characters"],
        [{ trace_metadata: { m: "x".repeat(8001) } }, "'trace_metadata.m' exceeds the maximum length of 8000 characters"],
        [{ trace_metadata: { m: "a\u0000b" } }, "NUL characters are not allowed"],
        [{ trace_id: `tr-${"a".repeat(48)}` }, "'trace_id' exceeds the maximum length of 50 characters"],
        [{ client_request_id: "c".repeat(51) }, "'client_request_id' exceeds the maximum length of 50 characters"],
      ];
      for (const [extra, message] of cases) {
        const r = await start(id, exp, extra);
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ error_code: "INVALID_PARAMETER_VALUE" });
        expect(String(r.body.message)).toContain(message);
      }
      expect((await fml.api("GET", v3(`traces/${id}`))).status).toBe(404);
      const long = await start(id, exp, { request_preview: "p".repeat(5000) });
      expect(long.status).toBe(200);
      expect(long.body.trace.trace_info.request_preview).toHaveLength(1000);
    });

    test("a known trace path asked with another method is 405; an unknown path 404 ENDPOINT_NOT_FOUND", async () => {
      const linkV3 = await fml.api("POST", v3("traces/link-to-run"), { trace_ids: [], run_id: "r" });
      expect(linkV3.status).toBe(405);
      expect(linkV3.body.error_code).toBe("BAD_REQUEST");
      expect((await fml.api("DELETE", v3("traces/search"))).status).toBe(405);
      const v2Assessments = await fml.api("POST", "/api/2.0/mlflow/traces/tr-x/assessments", {});
      expect(v2Assessments.status).toBe(404);
      expect(v2Assessments.body.error_code).toBe("ENDPOINT_NOT_FOUND");
    });

    test("an unknown trace is 404 RESOURCE_DOES_NOT_EXIST on info, get and the v2 info", async () => {
      const info = await fml.api("GET", v3("traces/tr-nope"));
      expect(info.status).toBe(404);
      expect(info.body).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "Trace with ID 'tr-nope' not found." });
      const get = await fml.api("GET", v3("traces/get"), { trace_id: "tr-nope" });
      expect(get.status).toBe(404);
      expect(get.body).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "Trace with ID tr-nope is not found." });
      const v2 = await fml.api("GET", "traces/tr-nope/info");
      expect(v2.status).toBe(404);
      const noId = await fml.api("GET", v3("traces/get"));
      expect(noId.status).toBe(400);
    });

    test("spans first, then StartTraceV3: the start merges, its response has the spans tag and no metadata", async () => {
      const hex = hexId(16);
      const id = `tr-${hex}`;
      expect((await postOtlp(fml, exp, otlpJson(pipelineSpans(hex)))).status).toBe(200);
      const r = await start(id);
      expect(r.status).toBe(200);
      expect(r.body.trace.trace_info.trace_metadata).toBeUndefined();
      expect(r.body.trace.trace_info.tags).toEqual({
        "mlflow.traceName": "pipeline",
        "mlflow.artifactLocation": `mlflow-artifacts:/${exp}/traces/${id}/artifacts`,
        "mlflow.trace.spansLocation": "TRACKING_STORE",
      });
      const got = await fml.api<{ trace: { trace_info: Info } }>("GET", v3(`traces/${id}`));
      expect(got.body.trace.trace_info.trace_metadata?.["mlflow.trace.infoFinalized"]).toBe("true");
      expect(got.body.trace.trace_info.execution_duration).toBe("0.233s");
    });

    test("traces/get serves the spans root first, typed attributes and exact nanosecond times", async () => {
      const hex = hexId(16);
      const id = `tr-${hex}`;
      const spans = pipelineSpans(hex);
      await postOtlp(fml, exp, otlpJson([...spans].reverse()));
      await start(id);
      const response = await fetch(`${fml.url}${v3("traces/get")}?trace_id=${id}`);
      expect(response.status).toBe(200);
      const text = await response.text();
      // Times are emitted as exact integers, beyond what a JS number holds.
      expect(text).toContain(`"start_time_unix_nano":${spans[0]?.start}`);
      expect(text).toContain(`"end_time_unix_nano":${spans[1]?.end}`);
      const body = JSON.parse(text) as { trace: { trace_info: Info; spans: Span[] } };
      expect(body.trace.spans.map((s) => s.name)).toEqual(["pipeline", "add"]);
      const [root, child] = body.trace.spans as [Span, Span];
      expect(root.parent_span_id).toBeUndefined();
      expect(child.parent_span_id).toBe(Buffer.from(spans[0]?.spanId ?? "", "hex").toString("base64"));
      expect(root).toMatchObject({
        trace_id: Buffer.from(hex, "hex").toString("base64"),
        span_id: Buffer.from(spans[0]?.spanId ?? "", "hex").toString("base64"),
        status: { code: "STATUS_CODE_OK" },
      });
      expect(root.attributes).toEqual([
        { key: "mlflow.traceRequestId", value: { string_value: id } },
        { key: "mlflow.spanType", value: { string_value: "CHAIN" } },
        { key: "mlflow.spanInputs", value: { kvlist_value: { values: [{ key: "x", value: { int_value: 3 } }] } } },
        { key: "mlflow.spanOutputs", value: { int_value: 8 } },
      ]);
    });

    test("get with allow_partial serves the stored spans; without it, a trace still being exported is 404 after a wait", async () => {
      const hex = hexId(16);
      const id = `tr-${hex}`;
      const sizeStats = JSON.stringify({ num_spans: 3 });
      await postOtlp(fml, exp, otlpJson(pipelineSpans(hex)));
      await start(id, exp, { trace_metadata: { "mlflow.trace.sizeStats": sizeStats } });
      const partial = await fml.api<{ trace: { spans: Span[] } }>("GET", v3("traces/get"), { trace_id: id, allow_partial: "True" });
      expect(partial.status).toBe(200);
      expect(partial.body.trace.spans).toHaveLength(2);
      const full = await fml.api("GET", v3("traces/get"), { trace_id: id });
      expect(full.status).toBe(404);
      expect(String(full.body.message)).toContain("not fully exported yet");
      const batch = await fml.api("GET", v3("traces/batchGet"), { trace_ids: [id] });
      expect(batch.body).toEqual({});
      const bad = await fml.api("GET", v3("traces/get"), { trace_id: id, allow_partial: "yes" });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe("Invalid boolean value: yes, must be 'true' or 'false'.");
    });

    test("batchGet answers in request order and skips unknown ids; batchGetInfos likewise", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const hex = hexId(16);
        await postOtlp(fml, exp, otlpJson(pipelineSpans(hex)));
        ids.push(`tr-${hex}`);
      }
      const order = [ids[2], "tr-unknown", ids[0]] as string[];
      const r = await fml.api<{ traces: { trace_info: Info; spans: Span[] }[] }>("GET", v3("traces/batchGet"), { trace_ids: order });
      expect(r.status).toBe(200);
      const expected = [ids[2], ids[0]] as string[];
      expect(r.body.traces.map((t) => t.trace_info.trace_id)).toEqual(expected);
      expect(r.body.traces.every((t) => t.spans.length === 2)).toBe(true);
      expect((await fml.api("GET", v3("traces/batchGet"), { trace_ids: ["tr-x"] })).body).toEqual({});
      const infos = await fml.api<{ trace_infos: Info[] }>("POST", v3("traces/batchGetInfos"), { trace_ids: order });
      expect(infos.body.trace_infos.map((t) => t.trace_id)).toEqual(expected);
      expect((await fml.api("POST", v3("traces/batchGetInfos"), { trace_ids: [] })).body).toEqual({});
      expect((await fml.api("POST", v3("traces/batchGetInfos"), {})).status).toBe(400);
    });

    test("search: filters on attributes, tags, metadata, spans, order_by and paging", async () => {
      const e = await newExperiment("traces-search");
      const made: string[] = [];
      for (let i = 0; i < 5; i++) {
        const hex = hexId(16);
        const id = `tr-${hex}`;
        made.push(id);
        await postOtlp(fml, e, otlpJson(pipelineSpans(hex, 1796059594170738332n + BigInt(i) * 1_000_000_000n)));
        await start(id, e, {
          request_time: new Date(1796059594170 + i * 1000).toISOString(),
          state: i === 4 ? "ERROR" : "OK",
          trace_metadata: { "mlflow.user": i % 2 ? "bob" : "alice", "mlflow.trace.sizeStats": '{"num_spans": 2}' },
          tags: { "mlflow.traceName": i === 0 ? "first" : "pipeline", n: String(i) },
        });
      }
      const all = await search({ locations: at(e) });
      expect(all.status).toBe(200);
      expect(all.body.traces?.map((t) => t.trace_id)).toEqual([...made].reverse());
      const ids = async (filter: string, extra: Record<string, unknown> = {}): Promise<unknown[]> =>
        (await search({ locations: at(e), filter, ...extra })).body.traces?.map((t) => t.trace_id) ?? [];
      expect(await ids("trace.status = 'ERROR'")).toEqual([made[4]]);
      expect(await ids("status IN ('ERROR')")).toEqual([made[4]]);
      expect(await ids("tags.`mlflow.traceName` = 'first'")).toEqual([made[0]]);
      expect(await ids("name = 'first'")).toEqual([made[0]]);
      expect(await ids("metadata.`mlflow.user` = 'bob'")).toEqual([made[3], made[1]]);
      expect(await ids("tags.n != '0' AND tags.n LIKE '%'")).toHaveLength(4);
      expect(await ids("tags.missing IS NULL")).toHaveLength(5);
      expect(await ids("tags.n IS NOT NULL AND timestamp_ms >= 1796059597170")).toEqual([made[4], made[3]]);
      expect(await ids("timestamp_ms < '1796059595170'")).toEqual([made[0]]);
      expect(await ids("span.name = 'add' AND span.type = 'UNKNOWN'")).toHaveLength(5);
      // All span clauses must hold for the same span.
      expect(await ids("span.name = 'add' AND span.type = 'CHAIN'")).toEqual([]);
      expect(await ids("span.attributes.mlflow.spanOutputs LIKE '%8%'")).toHaveLength(5);
      expect(await ids("request_id = '" + made[2] + "'")).toEqual([made[2]]);
      expect(await ids("", { order_by: ["timestamp_ms ASC"] })).toEqual(made);
      expect(await ids("", { order_by: ["tags.n DESC"] })).toEqual([...made].reverse());

      const page1 = await search({ locations: at(e), max_results: 2 });
      expect(page1.body.traces).toHaveLength(2);
      expect(page1.body.next_page_token).toBeDefined();
      const page2 = await search({ locations: at(e), max_results: 2, page_token: page1.body.next_page_token });
      const page3 = await search({ locations: at(e), max_results: 2, page_token: page2.body.next_page_token });
      expect([...(page1.body.traces ?? []), ...(page2.body.traces ?? []), ...(page3.body.traces ?? [])].map((t) => t.trace_id)).toEqual(
        [...made].reverse(),
      );
      expect(page3.body.next_page_token).toBeUndefined();
      expect((await search({ locations: [] })).body).toEqual({});
    });

    test("search refuses bad filters, order_by, page tokens and max_results with INVALID_PARAMETER_VALUE", async () => {
      const bad = async (body: Record<string, unknown>, message: string) => {
        const r = await search({ locations: at(exp), ...body });
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ error_code: "INVALID_PARAMETER_VALUE" });
        expect(String((r.body as { message?: string }).message)).toContain(message);
      };
      await bad({ filter: "status = 'OK' OR status = 'ERROR'" }, "Invalid clause(s) in filter string: 'OR'");
      await bad({ filter: "foo = 'x'" }, "Invalid attribute key 'foo' specified");
      await bad({ filter: "timestamp_ms > 'abc'" }, "Expected numeric value type");
      await bad({ filter: "tags.k > 'x'" }, "Invalid comparator '>'");
      await bad({ filter: "status = OK" }, "not quoted");
      await bad({ filter: "span.bogus = 'x'" }, "Invalid span attribute 'bogus'");
      await bad({ filter: "bogus.k = 'x'" }, "Invalid entity type 'bogus'");
      await bad({ order_by: ["bogus"] }, "Invalid attribute key 'bogus' specified");
      await bad({ order_by: ["timestamp_ms", "timestamp_ms DESC"] }, "duplicate fields");
      await bad({ page_token: "%%%" }, "Invalid page token");
      await bad({ max_results: 0 }, "It must be a positive integer");
      await bad({ max_results: 501 }, "Invalid value 501 for parameter 'max_results' supplied");
      const missing = await search({});
      expect(missing.status).toBe(400);
      expect(String(missing.body.message)).toContain("'locations'");
    });

    test("trace tags: set, overwrite, delete; errors for unknown traces and keys", async () => {
      const id = `tr-${hexId(16)}`;
      await start(id);
      expect((await fml.api("PATCH", `traces/${id}/tags`, { key: "k", value: "v1" })).status).toBe(200);
      expect((await fml.api("PATCH", v3(`traces/${id}/tags`), { key: "k", value: "v2" })).body).toEqual({});
      let info = (await fml.api<{ trace: { trace_info: Info } }>("GET", v3(`traces/${id}`))).body.trace.trace_info;
      expect(info.tags.k).toBe("v2");
      expect((await fml.api("DELETE", `traces/${id}/tags`, { key: "k" })).body).toEqual({});
      info = (await fml.api<{ trace: { trace_info: Info } }>("GET", v3(`traces/${id}`))).body.trace.trace_info;
      expect(info.tags.k).toBeUndefined();
      const again = await fml.api("DELETE", `traces/${id}/tags`, { key: "k" });
      expect(again.status).toBe(404);
      expect(again.body.message).toBe(`No trace tag with key 'k' for trace with ID '${id}'`);
      const long = await fml.api("PATCH", `traces/${id}/tags`, { key: "x".repeat(251), value: "v" });
      expect(long.status).toBe(400);
      expect(long.body.message).toBe("'key' exceeds the maximum length of 250 characters");
      const longValue = await fml.api("PATCH", `traces/${id}/tags`, { key: "k", value: "v".repeat(8001) });
      expect(longValue.status).toBe(400);
      expect(longValue.body.message).toBe("'value' exceeds the maximum length of 8000 characters");
      const unknown = await fml.api("PATCH", "traces/tr-unknown/tags", { key: "k", value: "v" });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error_code).toBe("BAD_REQUEST");
      const noKey = await fml.api("PATCH", `traces/${id}/tags`, { value: "v" });
      expect(noKey.status).toBe(400);
    });

    test("delete-traces by ids (other experiments untouched) and by max_timestamp_millis + max_traces", async () => {
      const e = await newExperiment("traces-delete");
      const other = await newExperiment("traces-delete-other");
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = `tr-${hexId(16)}`;
        ids.push(id);
        await start(id, e, { request_time: new Date(1796059594000 + i * 1000).toISOString() });
      }
      const foreign = `tr-${hexId(16)}`;
      await start(foreign, other);
      const r = await fml.api("POST", "traces/delete-traces", { experiment_id: e, request_ids: [ids[0], foreign] });
      expect(r.body).toEqual({ traces_deleted: 1 });
      expect((await fml.api("GET", v3(`traces/${foreign}`))).status).toBe(200);
      const byTime = await fml.api("POST", v3("traces/delete-traces"), { experiment_id: e, max_timestamp_millis: 1796059597000, max_traces: 2 });
      expect(byTime.body).toEqual({ traces_deleted: 2 });
      expect((await fml.api("GET", v3(`traces/${ids[3]}`))).status).toBe(200);
      expect((await fml.api("GET", v3(`traces/${ids[1]}`))).status).toBe(404);
      const everything = await fml.api("POST", "traces/delete-traces", { experiment_id: e, max_timestamp_millis: 0 });
      expect(everything.body).toEqual({ traces_deleted: 0 });

      const bad = async (body: Record<string, unknown>, message: string) => {
        const x = await fml.api("POST", "traces/delete-traces", body);
        expect(x.status).toBe(400);
        expect(x.body.message).toBe(message);
      };
      await bad({ experiment_id: e }, "Either `max_timestamp_millis` or `trace_ids` must be specified.");
      await bad({ experiment_id: e, request_ids: ["a"], max_timestamp_millis: 1 }, "Only one of `max_timestamp_millis` and `trace_ids` can be specified.");
      await bad({ experiment_id: e, request_ids: ["a"], max_traces: 1 }, "`max_traces` can't be specified if `trace_ids` is specified.");
      await bad({ experiment_id: e, max_timestamp_millis: 1, max_traces: 0 }, "`max_traces` must be a positive integer, received 0.");
    });

    test("get-trace-artifact serves spans from the database, else the uploaded traces.json", async () => {
      const hex = hexId(16);
      const id = `tr-${hex}`;
      await postOtlp(fml, exp, otlpJson(pipelineSpans(hex)));
      const r = await fetch(`${fml.url}/ajax-api/3.0/mlflow/get-trace-artifact?request_id=${id}`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-disposition")).toBe("attachment; filename=traces.json");
      const data = JSON.parse(await r.text()) as { spans: { name: string; attributes: Record<string, string> }[] };
      expect(data.spans.map((s) => s.name)).toEqual(["pipeline", "add"]);
      expect(data.spans[0]?.attributes["mlflow.spanInputs"]).toBe('{"x": 3}');

      // A trace whose spans only live in traces.json (as clients upload them when they start first).
      const artifactOnly = `tr-${hexId(16)}`;
      await start(artifactOnly);
      const missing = await fetch(`${fml.url}/ajax-api/2.0/mlflow/get-trace-artifact?request_id=${artifactOnly}`);
      expect(missing.status).toBe(404);
      const traceJson = JSON.stringify({
        spans: [
          {
            trace_id: "AAAAAAAAAAAAAAAAAAAAAA==",
            span_id: "AAAAAAAAAAE=",
            parent_span_id: null,
            name: "art-only",
            start_time_unix_nano: 1796040000123000000,
            end_time_unix_nano: 1796040000373000000,
            events: [],
            status: { code: "STATUS_CODE_OK", message: "" },
            attributes: { "mlflow.spanType": '"CHAIN"', "mlflow.spanInputs": '{"x": 1}' },
          },
        ],
      });
      const put = await fetch(`${fml.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/traces/${artifactOnly}/artifacts/traces.json`, {
        method: "PUT",
        body: traceJson,
      });
      expect(put.status).toBe(200);
      const served = await fetch(`${fml.url}/ajax-api/2.0/mlflow/get-trace-artifact?request_id=${artifactOnly}`);
      expect(await served.text()).toBe(traceJson);
      const got = await fml.api<{ trace: { spans: Span[] } }>("GET", v3("traces/get"), { trace_id: artifactOnly });
      expect(got.body.trace.spans.map((s) => s.name)).toEqual(["art-only"]);
      expect(got.body.trace.spans[0]?.attributes).toEqual([
        { key: "mlflow.spanType", value: { string_value: "CHAIN" } },
        { key: "mlflow.spanInputs", value: { kvlist_value: { values: [{ key: "x", value: { int_value: 1 } }] } } },
      ]);
      const noParam = await fetch(`${fml.url}/ajax-api/2.0/mlflow/get-trace-artifact`);
      expect(noParam.status).toBe(400);
    });

    test("v2: start, end, info, search and links", async () => {
      const started = await fml.api<{ trace_info: { request_id: string; status: string; tags: { key: string; value: string }[] } }>(
        "POST",
        "traces",
        { experiment_id: exp, timestamp_ms: 1796059594000, request_metadata: [{ key: "m", value: "1" }], tags: [{ key: "t", value: "x" }] },
      );
      expect(started.status).toBe(200);
      const id = started.body.trace_info.request_id;
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(started.body.trace_info.status).toBe("IN_PROGRESS");
      expect(started.body.trace_info.tags).toContainEqual({ key: "mlflow.artifactLocation", value: `mlflow-artifacts:/${exp}/traces/${id}/artifacts` });
      const ended = await fml.api<{ trace_info: Record<string, unknown> }>("PATCH", `traces/${id}`, {
        timestamp_ms: 1796059594500,
        status: "OK",
        tags: [{ key: "t", value: "y" }],
      });
      expect(ended.body.trace_info).toMatchObject({ request_id: id, experiment_id: exp, timestamp_ms: 1796059594000, execution_time_ms: 500, status: "OK" });
      const info = await fml.api<{ trace_info: { tags: { key: string; value: string }[] } }>("GET", `traces/${id}/info`);
      expect(info.body.trace_info.tags).toContainEqual({ key: "t", value: "y" });
      const found = await fml.api<{ traces: { request_id: string }[] }>("GET", "traces", { experiment_ids: [exp], filter: "tags.t = 'y'" });
      expect(found.body.traces.map((t) => t.request_id)).toEqual([id]);
      expect((await fml.api("GET", "traces", {})).status).toBe(400);

      const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", { experiment_id: exp });
      const runId = run.body.run.info.run_id;
      expect((await fml.api("POST", "traces/link-to-run", { trace_ids: [id], run_id: runId })).body).toEqual({});
      const linked = await search({ locations: at(exp), filter: `run_id = '${runId}'` });
      expect(linked.body.traces?.map((t) => t.trace_id)).toEqual([id]);
      const tooMany = await fml.api("POST", "traces/link-to-run", { trace_ids: Array.from({ length: 101 }, (_, i) => `t${i}`), run_id: runId });
      expect(tooMany.body.message).toBe("Cannot link more than 100 traces to a run in a single request. Provided 101 traces.");
      expect((await fml.api("POST", "traces/link-prompts", { trace_id: id, prompt_versions: [{ name: "p", version: "2" }] })).body).toEqual({});
      const prompted = await search({ locations: at(exp), filter: "prompt = 'p/2'" });
      expect(prompted.body.traces?.map((t) => t.trace_id)).toEqual([id]);
    });

    // Several fml processes share one PostgreSQL (SQLite has a single writer process).
    if (backend === "postgresql") {
      test("two fml processes on one database: spans on one, StartTraceV3 on the other, all racing", async () => {
        const second = await startFml({ backend, databaseUri: fml.databaseUri });
        try {
          const e = await newExperiment("traces-two-processes");
          const hexes = Array.from({ length: 10 }, () => hexId(16));
          await Promise.all(
            hexes.flatMap((hex, i) => {
              const [root, child] = pipelineSpans(hex);
              const [a, b] = i % 2 ? [fml, second] : [second, fml];
              return [
                postOtlp(a, e, otlpJson([child!])),
                b.api("POST", v3("traces"), startTraceBody(`tr-${hex}`, e, { trace_metadata: { "mlflow.trace.sizeStats": '{"num_spans": 2}' } })),
                postOtlp(b, e, otlpJson([root!])),
              ];
            }),
          );
          const r = await second.api<{ traces: { trace_info: Info; spans: Span[] }[] }>("GET", v3("traces/batchGet"), {
            trace_ids: hexes.map((h) => `tr-${h}`),
          });
          expect(r.body.traces).toHaveLength(10);
          for (const trace of r.body.traces) {
            expect(trace.spans.map((s) => s.name)).toEqual(["pipeline", "add"]);
            expect(trace.trace_info.state).toBe("OK");
            expect(trace.trace_info.tags["mlflow.traceName"]).toBe("pipeline");
            expect(trace.trace_info.tags["mlflow.trace.spansLocation"]).toBe("TRACKING_STORE");
          }
        } finally {
          await second.stop(); // its own files only: the database belongs to the first server
        }
      });
    }

    test("concurrent OTLP batches and StartTraceV3 for the same traces end as one complete trace each", async () => {
      const e = await newExperiment("traces-race");
      const hexes = Array.from({ length: 8 }, () => hexId(16));
      await Promise.all(
        hexes.flatMap((hex) => {
          const [root, child] = pipelineSpans(hex);
          return [
            postOtlp(fml, e, otlpJson([child!])),
            start(`tr-${hex}`, e, { trace_metadata: { "mlflow.trace.sizeStats": '{"num_spans": 2}' } }),
            postOtlp(fml, e, otlpJson([root!])),
          ];
        }),
      );
      const r = await fml.api<{ traces: { trace_info: Info; spans: Span[] }[] }>("GET", v3("traces/batchGet"), {
        trace_ids: hexes.map((h) => `tr-${h}`),
      });
      expect(r.body.traces).toHaveLength(8);
      for (const trace of r.body.traces) {
        expect(trace.spans.map((s) => s.name)).toEqual(["pipeline", "add"]);
        expect(trace.trace_info.state).toBe("OK");
        expect(trace.trace_info.trace_metadata?.["mlflow.trace.infoFinalized"]).toBe("true");
        expect(trace.trace_info.tags["mlflow.trace.spansLocation"]).toBe("TRACKING_STORE");
        expect(trace.trace_info.request_time).toBe("2026-11-30T17:26:34.170Z");
      }
    });
  });
}
