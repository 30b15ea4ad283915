/**
 * Artifact endpoints (spec §9, §1.2): the tracking `artifacts/list`, the `mlflow-artifacts` proxy
 * (upload, download, list, delete, multipart), and the UI's `get-artifact` routes. Bodies stream
 * in both directions; which backend holds the bytes is the resolver's business, not this file's.
 */

import type { Context, Hono } from "hono";
import { MlflowError } from "../errors.ts";
import { safeArtifactPath } from "../artifacts/paths.ts";
import { resolveArtifactStore } from "../artifacts/resolve.ts";
import type { ArtifactStore, FileInfo } from "../artifacts/types.ts";
import type { ServerConfig } from "../config.ts";
import type { TrackingStore } from "../store/types.ts";
import { apiPrefixes, type Endpoint } from "./endpoint.ts";
import type { Json } from "./json.ts";
import { versionNumber } from "./registry-routes.ts";
import { readParams } from "./request.ts";

/** The UI's upload-artifact route takes one small file, as MLflow does. */
const MAX_UI_UPLOAD_BYTES = 10 * 1024 * 1024;

export interface ArtifactRouteDeps {
  store: TrackingStore;
  config: Pick<ServerConfig, "artifactsDestination" | "serveArtifacts" | "s3EndpointUri">;
  /** From the model registry, once it exists; without it model-version artifacts answer 501. */
  getModelVersionDownloadUri?: (name: string, version: number) => Promise<string>;
}

const contentTypes: Record<string, string> = {
  txt: "text/plain",
  log: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  json: "application/json",
  yaml: "text/yaml",
  yml: "text/yaml",
  xml: "application/xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  bmp: "image/bmp",
  webp: "image/webp",
  tif: "image/tiff",
  tiff: "image/tiff",
  svg: "image/svg+xml",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  html: "text/html",
  htm: "text/html",
  js: "text/javascript",
  py: "text/x-python",
  parquet: "application/octet-stream",
  pkl: "application/octet-stream",
};

export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf(".");
  const ext = dot >= 0 ? name.slice(dot + 1).toLowerCase() : "";
  return contentTypes[ext] ?? "application/octet-stream";
}

function contentDisposition(name: string): string {
  if (/^[\w.-]+$/.test(name)) return `attachment; filename=${name}`;
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** A path that names a file: the destination's root is refused (deleting it would take every experiment's artifacts). */
function filePath(path: string): string {
  if (path === "") throw new MlflowError("INVALID_PARAMETER_VALUE", "Invalid path");
  return path;
}

/** The request's body, or an empty stream for a bodyless upload. */
const bodyOf = (c: Context): ReadableStream<Uint8Array> => c.req.raw.body ?? new Blob([]).stream();

export async function download(store: ArtifactStore, path: string): Promise<Response> {
  filePath(path);
  const { stream, size } = await store.read(path);
  const name = path.slice(path.lastIndexOf("/") + 1);
  return new Response(stream, {
    headers: {
      "content-type": contentTypeFor(name),
      "content-length": String(size),
      "content-disposition": contentDisposition(name),
      "x-content-type-options": "nosniff",
    },
  });
}

/** Passes `body` through, failing it once more than `max` bytes went by (chunked bodies have no length). */
function limited(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) {
          controller.error(
            new MlflowError("REQUEST_LIMIT_EXCEEDED", `Artifact too large for upload-artifact (over ${max} bytes)`, 413),
          );
        } else controller.enqueue(chunk);
      },
    }),
  );
}

export const fileJson = (f: FileInfo, path: string): Json =>
  f.isDir ? { path, is_dir: true } : { path, is_dir: false, file_size: f.fileSize ?? 0 };

/** The part of the raw (still percent-encoded) URL path after `marker`, validated. */
function pathAfter(c: Context, marker: string): string {
  const pathname = new URL(c.req.url).pathname;
  const at = pathname.indexOf(marker);
  return safeArtifactPath(pathname.slice(at + marker.length), true);
}

const disabled = (c: Context): Response =>
  c.text(
    `Endpoint: ${c.req.path} disabled due to the mlflow server running with \`--no-serve-artifacts\`. ` +
      "To enable artifacts server functionality, run `fml server` with `--serve-artifacts`",
    503,
  );

export function artifactRoutes(deps: ArtifactRouteDeps): { endpoints: Endpoint[]; mount: (app: Hono) => void } {
  const { store, config } = deps;
  const resolver = { artifactsDestination: config.artifactsDestination, s3EndpointUri: config.s3EndpointUri };
  const storeFor = (uri: string): ArtifactStore => resolveArtifactStore(uri, resolver);
  const destination = (): ArtifactStore => storeFor(config.artifactsDestination);
  const runArtifacts = async (runId: string): Promise<{ uri: string; store: ArtifactStore }> => {
    const run = await store.getRun(runId);
    return { uri: run.info.artifactUri, store: storeFor(run.info.artifactUri) };
  };

  const endpoints: Endpoint[] = [
    {
      methods: ["GET"],
      path: "/mlflow/artifacts/list",
      async handle(p) {
        const { uri, store: artifacts } = await runArtifacts(p.runId());
        const dir = safeArtifactPath(p.optionalString("path") ?? "");
        const files = await artifacts.list(dir);
        const body: Record<string, Json> = { root_uri: uri };
        if (files.length > 0) body.files = files.map((f) => fileJson(f, f.path));
        return body;
      },
    },
  ];

  function mountProxy(app: Hono, prefix: string): void {
    const base = `${prefix}/mlflow-artifacts`;
    const guard = (handler: (c: Context) => Promise<Response>) => (c: Context) =>
      config.serveArtifacts ? handler(c) : disabled(c);

    app.get(
      `${base}/artifacts`,
      guard(async (c) => {
        const dir = safeArtifactPath(c.req.query("path") ?? "");
        const files = await destination().list(dir);
        const cut = dir === "" ? 0 : dir.length + 1;
        return c.json(files.length > 0 ? { files: files.map((f) => fileJson(f, f.path.slice(cut))) } : {});
      }),
    );
    app.get(
      `${base}/artifacts/*`,
      guard(async (c) => download(destination(), pathAfter(c, "/mlflow-artifacts/artifacts/"))),
    );
    app.put(
      `${base}/artifacts/*`,
      guard(async (c) => {
        const path = filePath(pathAfter(c, "/mlflow-artifacts/artifacts/"));
        await destination().write(path, bodyOf(c));
        return c.json({});
      }),
    );
    app.delete(
      `${base}/artifacts/*`,
      guard(async (c) => {
        await destination().delete(filePath(pathAfter(c, "/mlflow-artifacts/artifacts/")));
        return c.json({});
      }),
    );

    const multipart = () => {
      const target = destination();
      if (!target.multipart) {
        throw new MlflowError(
          "NOT_IMPLEMENTED",
          `Multipart upload is not supported for the artifact destination '${config.artifactsDestination}'`,
        );
      }
      return target.multipart;
    };
    app.post(
      `${base}/mpu/create/*`,
      guard(async (c) => {
        const path = pathAfter(c, "/mpu/create/");
        const numParts = (await readParams(c)).int("num_parts");
        const { uploadId, credentials } = await multipart().create(path, numParts);
        return c.json({
          upload_id: uploadId,
          credentials: credentials.map((x) => ({ url: x.url, part_number: x.partNumber, headers: x.headers })),
        });
      }),
    );
    app.post(
      `${base}/mpu/complete/*`,
      guard(async (c) => {
        const path = pathAfter(c, "/mpu/complete/");
        const p = await readParams(c);
        const parts = p.objectList("parts").map((part) => ({
          partNumber: part.int("part_number"),
          etag: part.string("etag"),
        }));
        await multipart().complete(path, p.string("upload_id"), parts);
        return c.json({});
      }),
    );
    app.post(
      `${base}/mpu/abort/*`,
      guard(async (c) => {
        const path = pathAfter(c, "/mpu/abort/");
        await multipart().abort(path, (await readParams(c)).string("upload_id"));
        return c.json({});
      }),
    );
  }

  function mount(app: Hono): void {
    for (const prefix of apiPrefixes) mountProxy(app, prefix);

    app.get("/get-artifact", async (c) => {
      const p = await readParams(c);
      const { store: artifacts } = await runArtifacts(p.runId());
      return download(artifacts, safeArtifactPath(p.string("path")));
    });

    app.get("/model-versions/get-artifact", async (c) => {
      const p = await readParams(c);
      if (!deps.getModelVersionDownloadUri) {
        throw new MlflowError("NOT_IMPLEMENTED", "Model version artifacts need the model registry, which is not enabled");
      }
      const path = safeArtifactPath(p.string("path"));
      const uri = await deps.getModelVersionDownloadUri(p.string("name"), versionNumber(p));
      return download(storeFor(uri), path);
    });

    app.post("/ajax-api/2.0/mlflow/upload-artifact", async (c) => {
      const p = new URLSearchParams(new URL(c.req.url).search);
      const runId = p.get("run_uuid") || p.get("run_id");
      const rawPath = p.get("path");
      if (!runId || !rawPath) {
        throw new MlflowError("INVALID_PARAMETER_VALUE", "Request must specify run_uuid and path.");
      }
      const path = filePath(safeArtifactPath(rawPath));
      if (Number(c.req.header("content-length") ?? "0") > MAX_UI_UPLOAD_BYTES) {
        throw new MlflowError("REQUEST_LIMIT_EXCEEDED", "Artifact too large for upload-artifact", 413);
      }
      const { store: artifacts } = await runArtifacts(runId);
      await artifacts.write(path, limited(bodyOf(c), MAX_UI_UPLOAD_BYTES));
      return c.json({});
    });
  }

  return { endpoints, mount };
}
