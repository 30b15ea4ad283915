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
import { artifactMimeType, attachmentDisposition } from "./artifact-mime.ts";
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

/** A path that names a file: the destination's root is refused (deleting it would take every experiment's artifacts). */
function filePath(path: string): string {
  if (path === "") throw new MlflowError("INVALID_PARAMETER_VALUE", "Invalid path");
  return path;
}

/** The request's body, or an empty stream for a bodyless upload. */
const bodyOf = (c: Context): ReadableStream<Uint8Array> => c.req.raw.body ?? new Blob([]).stream();

/**
 * How MLflow names the file: the UI's get-artifact routes go through Werkzeug's `send_file`
 * (`"my file.txt"` quoted), the proxy writes `attachment; filename=<name>` as it is. A non-ASCII
 * name, which a header cannot carry as it is, gets `send_file`'s form on both.
 */
type Disposition = "send_file" | "proxy";

export async function download(store: ArtifactStore, path: string, disposition: Disposition = "send_file"): Promise<Response> {
  filePath(path);
  const { stream, size } = await store.read(path);
  const name = path.slice(path.lastIndexOf("/") + 1);
  const raw = disposition === "proxy" && /^[\x20-\x7e]*$/.test(name);
  return new Response(stream, {
    headers: {
      "content-type": artifactMimeType(name),
      "content-length": String(size),
      "content-disposition": raw ? `attachment; filename=${name}` : attachmentDisposition(name),
      "x-content-type-options": "nosniff",
    },
  });
}

const uploadTooLarge = (): MlflowError =>
  new MlflowError("INVALID_PARAMETER_VALUE", "Artifact size is too large. Max size is 10MB.");

/** Passes `body` through, failing it once more than `max` bytes went by (chunked bodies have no length). */
function limited(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) {
          controller.error(uploadTooLarge());
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
        // The path is checked before the run is looked up, as MLflow's handler does.
        const dir = safeArtifactPath(p.optionalString("path") ?? "");
        const { uri, store: artifacts } = await runArtifacts(p.runId());
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
      guard(async (c) => download(destination(), pathAfter(c, "/mlflow-artifacts/artifacts/"), "proxy")),
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
      // The path is checked before the run is looked up, as MLflow's handler does.
      const path = safeArtifactPath(p.string("path"));
      const { store: artifacts } = await runArtifacts(p.runId());
      return download(artifacts, path, "send_file");
    });

    app.get("/model-versions/get-artifact", async (c) => {
      const p = await readParams(c);
      if (!deps.getModelVersionDownloadUri) {
        throw new MlflowError("NOT_IMPLEMENTED", "Model version artifacts need the model registry, which is not enabled");
      }
      const path = safeArtifactPath(p.string("path"));
      const uri = await deps.getModelVersionDownloadUri(p.string("name"), versionNumber(p));
      return download(storeFor(uri), path, "send_file");
    });

    app.post("/ajax-api/2.0/mlflow/upload-artifact", async (c) => {
      const p = new URLSearchParams(new URL(c.req.url).search);
      // MLflow's handler checks in this order, with these messages.
      const runId = p.get("run_uuid") || p.get("run_id");
      if (!runId) throw new MlflowError("INVALID_PARAMETER_VALUE", "Request must specify run_uuid.");
      const rawPath = p.get("path");
      if (!rawPath) throw new MlflowError("INVALID_PARAMETER_VALUE", "Request must specify path.");
      const path = filePath(safeArtifactPath(rawPath));
      const length = c.req.header("content-length");
      if (Number(length ?? "0") > MAX_UI_UPLOAD_BYTES) throw uploadTooLarge();
      if (length === "0" || (length === undefined && c.req.raw.body === null)) {
        throw new MlflowError("INVALID_PARAMETER_VALUE", "Request must specify data.");
      }
      const { store: artifacts } = await runArtifacts(runId);
      await artifacts.write(path, limited(bodyOf(c), MAX_UI_UPLOAD_BYTES));
      return c.json({});
    });
  }

  return { endpoints, mount };
}
