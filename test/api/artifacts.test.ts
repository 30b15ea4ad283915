/**
 * Artifacts through fml's HTTP API, on real processes: the same suite runs with the proxy's
 * destination on local disk and in S3 (a moto server started for the test).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFml, type FmlServer } from "../helpers/server.ts";
import { startArtifactServer, type ArtifactServer } from "../helpers/artifact-server.ts";
import { isMotoAvailable, s3TestEnv } from "../helpers/s3.ts";

const proxy = "/api/2.0/mlflow-artifacts/artifacts";

function binary(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  for (let i = 0; i < Math.min(256, size); i++) out[i] = i; // every byte value, NUL included
  return out;
}

async function put(server: FmlServer, path: string, body: BodyInit): Promise<Response> {
  return fetch(`${server.url}${proxy}/${path}`, { method: "PUT", body });
}

async function createRun(server: FmlServer, experimentId = "0"): Promise<{ runId: string; artifactUri: string }> {
  const { body } = await server.api<{ run: { info: { run_id: string; artifact_uri: string } } }>(
    "POST",
    "runs/create",
    { experiment_id: experimentId },
  );
  return { runId: body.run.info.run_id, artifactUri: body.run.info.artifact_uri };
}

const motoAvailable = await isMotoAvailable();
if (!motoAvailable) console.warn("moto is not installed (pip install 'moto[server]'): S3 artifact tests skipped");

type Kind = "local" | "s3";

for (const kind of ["local", "s3"] as Kind[]) {
  describe.skipIf(kind === "s3" && !motoAvailable)(`artifacts on ${kind}`, () => {
    let server: FmlServer;
    let artifacts: ArtifactServer;
    /** An artifact_location outside the proxy, accessed by the server directly. */
    let directRoot: string;
    let putDirect: ArtifactServer["putDirect"];

    beforeAll(async () => {
      artifacts = await startArtifactServer(kind);
      ({ server, directRoot, putDirect } = artifacts);
    }, 60000);

    afterAll(async () => {
      await artifacts?.stop();
    });

    test("PUT then GET returns the same bytes, binary content included", async () => {
      const data = binary(300_000, 7);
      const uploaded = await put(server, "round/trip/data.bin", data);
      expect(uploaded.status).toBe(200);
      expect(await uploaded.json()).toEqual({});
      const downloaded = await fetch(`${server.url}${proxy}/round/trip/data.bin`);
      expect(downloaded.status).toBe(200);
      expect(new Uint8Array(await downloaded.arrayBuffer())).toEqual(data);
    });

    test("an empty file round-trips, and PUT overwrites", async () => {
      expect((await put(server, "empty/file.txt", "first")).status).toBe(200);
      expect((await put(server, "empty/file.txt", "")).status).toBe(200);
      const response = await fetch(`${server.url}${proxy}/empty/file.txt`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("");
    });

    test("downloads carry MLflow's Content-Type and Werkzeug's attachment disposition, and nosniff", async () => {
      // [name, Content-Type, Content-Disposition] as MLflow 3.11's _send_artifact answers them.
      const expected: [string, string, string][] = [
        ["metrics.json", "text/plain", "attachment; filename=metrics.json"],
        ["notes.txt", "text/plain", "attachment; filename=notes.txt"],
        ["conda.yaml", "text/plain", "attachment; filename=conda.yaml"],
        ["script.js", "text/plain", "attachment; filename=script.js"],
        ["MLmodel", "text/plain", "attachment; filename=MLmodel"],
        ["MLproject", "application/octet-stream", "attachment; filename=MLproject"],
        ["README", "application/octet-stream", "attachment; filename=README"],
        [".bashrc", "application/octet-stream", "attachment; filename=.bashrc"],
        ["x.webp", "image/webp", "attachment; filename=x.webp"],
        ["plot.PNG", "image/png", "attachment; filename=plot.PNG"],
        ["page.HTML", "text/html", "attachment; filename=page.HTML"],
        ["model.pkl", "application/octet-stream", "attachment; filename=model.pkl"],
        ["data.csv.gz", "text/csv", "attachment; filename=data.csv.gz"],
        ["archive.tgz", "application/x-tar", "attachment; filename=archive.tgz"],
        ["x.gz", "application/octet-stream", "attachment; filename=x.gz"],
        // The proxy writes the name as it is; get-artifact's send_file quotes it (below).
        ["my file (1).txt", "text/plain", "attachment; filename=my file (1).txt"],
        ['a"b.txt', "text/plain", 'attachment; filename=a"b.txt'],
        ["résumé.txt", "text/plain", "attachment; filename=resume.txt; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"],
        ["日本.txt", "text/plain", "attachment; filename=.txt; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"],
      ];
      for (const [name, type, disposition] of expected) {
        expect((await put(server, `headers/${encodeURIComponent(name)}`, "x")).status).toBe(200);
        const response = await fetch(`${server.url}${proxy}/headers/${encodeURIComponent(name)}`);
        expect({ name, status: response.status }).toEqual({ name, status: 200 });
        expect({ name, type: response.headers.get("content-type") }).toEqual({ name, type });
        expect(response.headers.get("content-disposition")).toBe(disposition);
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        await response.arrayBuffer();
      }
    });

    test("get-artifact names the file as Werkzeug's send_file does", async () => {
      const { runId } = await createRun(server);
      const expected: [string, string][] = [
        ["plot.png", "attachment; filename=plot.png"],
        ["my file (1).txt", 'attachment; filename="my file (1).txt"'],
        ['a"b.txt', 'attachment; filename="a\\"b.txt"'],
        ["résumé.txt", "attachment; filename=resume.txt; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"],
      ];
      for (const [name, disposition] of expected) {
        await put(server, `0/${runId}/artifacts/${encodeURIComponent(name)}`, "x");
        const response = await fetch(`${server.url}/get-artifact?run_id=${runId}&path=${encodeURIComponent(name)}`);
        expect([name, response.status, response.headers.get("content-disposition")]).toEqual([name, 200, disposition]);
        await response.arrayBuffer();
      }
    });

    test("the proxy lists a directory with basenames, is_dir and sizes; missing dir is {}", async () => {
      await put(server, "tree/a.txt", "12345");
      await put(server, "tree/sub/b.bin", binary(1000, 1));
      await put(server, "tree/sub/deeper/c.txt", "c");
      const root = await server.api("GET", proxy, { path: "tree" });
      expect(root).toMatchObject({ status: 200 });
      expect(root.body).toEqual({
        files: [
          { path: "a.txt", is_dir: false, file_size: 5 },
          { path: "sub", is_dir: true },
        ],
      });
      const sub = await server.api("GET", proxy, { path: "tree/sub" });
      expect(sub.body).toEqual({
        files: [
          { path: "b.bin", is_dir: false, file_size: 1000 },
          { path: "deeper", is_dir: true },
        ],
      });
      expect((await server.api("GET", proxy, { path: "no/such/dir" })).body).toEqual({});
    });

    test("artifacts/list gives paths relative to the run's artifact root, through both prefixes", async () => {
      const { runId, artifactUri } = await createRun(server);
      expect(artifactUri).toBe(`mlflow-artifacts:/0/${runId}/artifacts`);
      const base = `0/${runId}/artifacts`;
      await put(server, `${base}/model/MLmodel`, "flavors: {}");
      await put(server, `${base}/model/data/weights.bin`, binary(4096, 2));
      await put(server, `${base}/metrics.json`, "{}");

      const top = await server.api("GET", "artifacts/list", { run_id: runId });
      expect(top.body).toEqual({
        root_uri: artifactUri,
        files: [
          { path: "metrics.json", is_dir: false, file_size: 2 },
          { path: "model", is_dir: true },
        ],
      });
      const model = await server.api("GET", "/ajax-api/2.0/mlflow/artifacts/list", { run_uuid: runId, path: "model" });
      expect(model.body).toEqual({
        root_uri: artifactUri,
        files: [
          { path: "model/MLmodel", is_dir: false, file_size: 11 },
          { path: "model/data", is_dir: true },
        ],
      });
      const missing = await server.api("GET", "artifacts/list", { run_id: runId, path: "nothing/here" });
      expect(missing.body).toEqual({ root_uri: artifactUri });
    });

    test("artifacts/list and get-artifact read an experiment's own artifact_location directly", async () => {
      const created = await server.api<{ experiment_id: string }>("POST", "experiments/create", {
        name: `direct-${kind}`,
        artifact_location: directRoot,
      });
      expect(created.status).toBe(200);
      const { runId, artifactUri } = await createRun(server, created.body.experiment_id);
      expect(artifactUri).toBe(`${directRoot}/${runId}/artifacts`);
      const data = binary(2048, 3);
      await putDirect(`${runId}/artifacts/outputs/result.bin`, data);
      await putDirect(`${runId}/artifacts/outputs/nested/log.txt`, new TextEncoder().encode("log"));

      const listed = await server.api("GET", "artifacts/list", { run_id: runId, path: "outputs" });
      expect(listed.body).toEqual({
        root_uri: artifactUri,
        files: [
          { path: "outputs/nested", is_dir: true },
          { path: "outputs/result.bin", is_dir: false, file_size: 2048 },
        ],
      });
      const response = await fetch(`${server.url}/get-artifact?run_uuid=${runId}&path=outputs/result.bin`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-disposition")).toBe("attachment; filename=result.bin");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(data);
    });

    test("get-artifact serves a proxied run's file; a missing one is 404", async () => {
      const { runId } = await createRun(server);
      await put(server, `0/${runId}/artifacts/plot.png`, binary(500, 4));
      const ok = await fetch(`${server.url}/get-artifact?run_id=${runId}&path=plot.png`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await ok.arrayBuffer())).toEqual(binary(500, 4));
      const missing = await fetch(`${server.url}/get-artifact?run_id=${runId}&path=nope.png`);
      expect(missing.status).toBe(404);
      expect((await missing.json()).error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    });

    test("a missing file is 404 RESOURCE_DOES_NOT_EXIST", async () => {
      const response = await server.api("GET", `${proxy}/does/not/exist.txt`);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST" });
    });

    test("DELETE removes a file, then a whole directory", async () => {
      await put(server, "doomed/one.txt", "1");
      await put(server, "doomed/dir/two.txt", "2");
      await put(server, "doomed/dir/three/four.txt", "4");
      expect((await server.api("DELETE", `${proxy}/doomed/one.txt`)).body).toEqual({});
      expect((await server.api("GET", `${proxy}/doomed/one.txt`)).status).toBe(404);
      expect((await server.api("GET", proxy, { path: "doomed" })).body).toEqual({
        files: [{ path: "dir", is_dir: true }],
      });
      expect((await server.api("DELETE", `${proxy}/doomed/dir`)).status).toBe(200);
      expect((await server.api("GET", proxy, { path: "doomed" })).body).toEqual({});
      expect((await server.api("GET", `${proxy}/doomed/dir/three/four.txt`)).status).toBe(404);
    });

    test("paths that leave the root are 400 Invalid path", async () => {
      const invalid = { error_code: "INVALID_PARAMETER_VALUE", message: "Invalid path" };
      const { runId } = await createRun(server);
      const attempts: [string, string][] = [
        ["GET", `${proxy}/..%2f..%2fetc%2fpasswd`],
        ["GET", `${proxy}/%2e%2e%2f%2e%2e%2fetc/passwd`],
        ["GET", `${proxy}/a/%2E%2E%2F%2E%2E%2Fb`],
        ["GET", `${proxy}/%252e%252e%252fsecret`],
        ["GET", `${proxy}/..%5c..%5csecret`],
        ["GET", `${proxy}/a%00b`],
        ["PUT", `${proxy}/..%2fescaped.txt`],
        ["DELETE", `${proxy}/%2e%2e%2f`],
        ["GET", `${proxy}?path=../`],
        ["GET", `${proxy}?path=/etc`],
        ["GET", `${proxy}?path=a\\..\\..\\b`],
        ["GET", `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=../../..`],
        ["GET", `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=%2Fetc`],
        ["GET", `/get-artifact?run_id=${runId}&path=/etc/passwd`],
        ["GET", `/get-artifact?run_id=${runId}&path=../../../../etc/passwd`],
        ["GET", `/get-artifact?run_id=${runId}&path=..%5C..%5Cx`],
        ["GET", `/get-artifact?run_id=${runId}&path=file:///etc/passwd`],
        // Checked before the run is looked up, as MLflow does.
        ["GET", `/get-artifact?run_id=${"f".repeat(32)}&path=../x`],
        ["GET", `/api/2.0/mlflow/artifacts/list?run_id=${"f".repeat(32)}&path=../x`],
      ];
      for (const [method, path] of attempts) {
        const response = await fetch(server.url + path, { method, body: method === "PUT" ? "x" : undefined });
        expect({ path, status: response.status }).toEqual({ path, status: 400 });
        expect(await response.json()).toEqual(invalid);
      }
    });

    test("DELETE of the destination root itself is refused", async () => {
      const response = await server.api("DELETE", `${proxy}/`);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: "Invalid path" });
    });

    test("the UI's upload-artifact writes one file under the run's root, at most 10 MB", async () => {
      const { runId } = await createRun(server);
      const upload = (path: string, body: BodyInit) =>
        fetch(`${server.url}/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=${path}`, {
          method: "POST",
          body,
        });
      expect((await upload("notes/readme.md", "# hi")).status).toBe(200);
      const back = await fetch(`${server.url}/get-artifact?run_id=${runId}&path=notes/readme.md`);
      expect(await back.text()).toBe("# hi");
      const tooBig = await upload("big.bin", new Uint8Array(10 * 1024 * 1024 + 1));
      expect([tooBig.status, await tooBig.json()]).toEqual([
        400,
        { error_code: "INVALID_PARAMETER_VALUE", message: "Artifact size is too large. Max size is 10MB." },
      ]);
      expect((await upload("../escape.txt", "x")).status).toBe(400);
      const empty = await upload("empty.txt", "");
      expect([empty.status, await empty.json()]).toEqual([
        400,
        { error_code: "INVALID_PARAMETER_VALUE", message: "Request must specify data." },
      ]);
      const refused = async (query: string, message: string) => {
        const r = await fetch(`${server.url}/ajax-api/2.0/mlflow/upload-artifact?${query}`, { method: "POST", body: "x" });
        expect([query, r.status, await r.json()]).toEqual([query, 400, { error_code: "INVALID_PARAMETER_VALUE", message }]);
      };
      await refused("path=a.txt", "Request must specify run_uuid.");
      await refused(`run_uuid=${runId}`, "Request must specify path.");
    });

    test("model-version get-artifact answers 404 for a version that does not exist", async () => {
      const response = await server.api("GET", "/model-versions/get-artifact", { name: "m", version: "1", path: "MLmodel" });
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST" });
    });

    test("the /ajax-api prefix serves the proxy too", async () => {
      expect((await fetch(`${server.url}/ajax-api/2.0/mlflow-artifacts/artifacts/ajax/x.txt`, { method: "PUT", body: "x" })).status).toBe(200);
      const response = await fetch(`${server.url}/ajax-api/2.0/mlflow-artifacts/artifacts/ajax/x.txt`);
      expect(await response.text()).toBe("x");
    });

    if (kind === "local") {
      test("a symlink pointing outside the root is refused", async () => {
        const outside = join(server.dir, "outside");
        mkdirSync(outside, { recursive: true });
        writeFileSync(join(outside, "secret.txt"), "secret");
        mkdirSync(join(server.dir, "mlartifacts"), { recursive: true });
        symlinkSync(outside, join(server.dir, "mlartifacts", "link"));
        const read = await server.api("GET", `${proxy}/link/secret.txt`);
        expect(read.status).toBe(400);
        expect(read.body).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: "Invalid path" });
        expect((await put(server, "link/planted.txt", "x")).status).toBe(400);
        expect((await server.api("GET", proxy, { path: "link" })).status).toBe(400);
      });

      test("multipart upload is 501 NOT_IMPLEMENTED on local storage", async () => {
        const response = await server.api("POST", "/api/2.0/mlflow-artifacts/mpu/create/big.bin", {
          path: "big.bin",
          num_parts: 2,
        });
        expect(response.status).toBe(501);
        expect(response.body).toMatchObject({ error_code: "NOT_IMPLEMENTED" });
      });
    }

    if (kind === "s3") {
      test("an upload larger than one part goes to S3 as a multipart upload", async () => {
        const data = binary(9 * 1024 * 1024 + 123, 5);
        expect((await put(server, "large/nine-mb.bin", data)).status).toBe(200);
        const listed = await server.api("GET", proxy, { path: "large" });
        expect(listed.body).toEqual({ files: [{ path: "nine-mb.bin", is_dir: false, file_size: data.length }] });
        const back = new Uint8Array(await (await fetch(`${server.url}${proxy}/large/nine-mb.bin`)).arrayBuffer());
        expect(back.length).toBe(data.length);
        expect(Buffer.compare(back, data)).toBe(0);
      });

      test("mpu create/complete uploads parts to presigned URLs; abort cancels", async () => {
        const partSize = 5 * 1024 * 1024;
        const data = binary(partSize + 1000, 6);
        const created = await server.api<{
          upload_id: string;
          credentials: { url: string; part_number: number; headers: Record<string, string> }[];
        }>("POST", "/api/2.0/mlflow-artifacts/mpu/create/mpu/file.bin", { path: "mpu/file.bin", num_parts: 2 });
        expect(created.status).toBe(200);
        expect(created.body.credentials.map((c) => c.part_number)).toEqual([1, 2]);
        const parts = [];
        for (const credential of created.body.credentials) {
          const start = (credential.part_number - 1) * partSize;
          const response = await fetch(credential.url, {
            method: "PUT",
            headers: credential.headers,
            body: data.subarray(start, start + partSize),
          });
          expect(response.status).toBe(200);
          parts.push({ part_number: credential.part_number, etag: response.headers.get("etag"), url: credential.url });
        }
        const completed = await server.api("POST", "/api/2.0/mlflow-artifacts/mpu/complete/mpu/file.bin", {
          path: "mpu/file.bin",
          upload_id: created.body.upload_id,
          parts,
        });
        expect(completed).toMatchObject({ status: 200, body: {} });
        const back = new Uint8Array(await (await fetch(`${server.url}${proxy}/mpu/file.bin`)).arrayBuffer());
        expect(Buffer.compare(back, data)).toBe(0);

        const another = await server.api<{ upload_id: string }>("POST", "/api/2.0/mlflow-artifacts/mpu/create/mpu/x.bin", {
          path: "mpu/x.bin",
          num_parts: 1,
        });
        const aborted = await server.api("POST", "/api/2.0/mlflow-artifacts/mpu/abort/mpu/x.bin", {
          path: "mpu/x.bin",
          upload_id: another.body.upload_id,
        });
        expect(aborted).toMatchObject({ status: 200, body: {} });
      });
    }
  });
}

describe("artifact serving switched off or unreachable", () => {
  test("--no-serve-artifacts answers the proxy routes with 503 plain text", async () => {
    const server = await startFml({ args: ["--no-serve-artifacts"] });
    try {
      for (const [method, path] of [
        ["GET", `${proxy}/a.txt`],
        ["PUT", `${proxy}/a.txt`],
        ["GET", proxy],
        ["DELETE", `${proxy}/a.txt`],
        ["POST", "/api/2.0/mlflow-artifacts/mpu/create/a.txt"],
      ] as const) {
        const response = await fetch(server.url + path, { method, body: method === "GET" ? undefined : "{}" });
        expect({ path, method, status: response.status }).toEqual({ path, method, status: 503 });
        expect(response.headers.get("content-type")).toStartWith("text/plain");
        expect(await response.text()).toContain("--no-serve-artifacts");
      }
    } finally {
      await server.stop();
    }
  });

  test("an unreachable S3 endpoint is a prompt 503 naming the cause", async () => {
    const server = await startFml({
      args: ["--artifacts-destination", "s3://bucket/prefix", "--s3-endpoint-uri", "http://127.0.0.1:9"],
      env: s3TestEnv,
    });
    try {
      const started = Date.now();
      const response = await server.api("PUT", `${proxy}/a.txt`, "data");
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error_code: "TEMPORARILY_UNAVAILABLE" });
      expect((response.body as { message: string }).message).toContain("ECONNREFUSED");
      expect(Date.now() - started).toBeLessThan(15000);
    } finally {
      await server.stop();
    }
  }, 30000);
});

/** The pid of the process listening on `port`, from `ss -ltnp`. */
function pidListeningOn(port: number): number {
  const out = Bun.spawnSync(["ss", "-ltnpH", `sport = :${port}`]).stdout.toString();
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (!pid) throw new Error(`no process found listening on port ${port}: ${out}`);
  return Number(pid);
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

describe("streaming", () => {
  const MB = 1024 * 1024;
  const totalMb = Number(process.env.FML_TEST_STREAM_MB ?? 200);

  /** 200 distinct 1 MB chunks, generated on the fly so the test holds only one at a time. */
  function chunkStream(): ReadableStream<Uint8Array> {
    const block = binary(MB, 11);
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === totalMb) return controller.close();
        const chunk = block.slice();
        new DataView(chunk.buffer).setUint32(300, sent);
        sent++;
        controller.enqueue(chunk);
      },
    });
  }

  async function digest(stream: ReadableStream<Uint8Array>): Promise<{ hash: string; bytes: number }> {
    const hasher = new Bun.CryptoHasher("sha256");
    let bytes = 0;
    for await (const chunk of stream) {
      hasher.update(chunk);
      bytes += chunk.byteLength;
    }
    return { hash: hasher.digest("hex"), bytes };
  }

  test(`a ${totalMb} MB upload and download stream through the proxy with bounded server memory`, async () => {
    const server = await startFml();
    try {
      const pid = pidListeningOn(Number(new URL(server.url).port));
      const baseline = peakRssMb(pid);
      const expected = await digest(chunkStream());

      let started = performance.now();
      const uploaded = await fetch(`${server.url}${proxy}/big/200mb.bin`, {
        method: "PUT",
        body: chunkStream(),
        // @ts-expect-error Bun and Node need this to send a streamed request body
        duplex: "half",
      });
      expect(uploaded.status).toBe(200);
      const uploadSeconds = (performance.now() - started) / 1000;
      const afterUpload = peakRssMb(pid);

      started = performance.now();
      const downloaded = await fetch(`${server.url}${proxy}/big/200mb.bin`);
      expect(downloaded.status).toBe(200);
      const received = await digest(downloaded.body as ReadableStream<Uint8Array>);
      const downloadSeconds = (performance.now() - started) / 1000;
      expect(received).toEqual(expected);

      const stored = join(server.dir, "mlartifacts", "big", "200mb.bin");
      started = performance.now();
      expect(Bun.spawnSync(["cp", stored, `${stored}.copy`]).exitCode).toBe(0);
      const copySeconds = (performance.now() - started) / 1000;

      const peak = peakRssMb(pid);
      console.log(
        `${totalMb} MB via proxy: upload ${(totalMb / uploadSeconds).toFixed(0)} MB/s, ` +
          `download ${(totalMb / downloadSeconds).toFixed(0)} MB/s; raw disk copy (cp) ` +
          `${(totalMb / copySeconds).toFixed(0)} MB/s; server peak RSS (VmHWM) ${peak.toFixed(0)} MB, ${baseline.toFixed(0)} MB before, ${afterUpload.toFixed(0)} MB after the upload`,
      );
      expect(peak).toBeLessThan(150);
    } finally {
      await server.stop();
    }
  }, 120000);
});
