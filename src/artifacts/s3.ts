/**
 * Artifacts in S3 or an S3-compatible store (`s3://bucket/prefix`). Credentials and region come
 * from the standard AWS chain and variables; a custom endpoint (`--s3-endpoint-uri`) switches to
 * path-style addressing. Timeouts are short enough that an unreachable endpoint becomes a clear
 * 503 naming the cause instead of a hanging request.
 */

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { MlflowError, notFound } from "../errors.ts";
import { joinPath } from "./paths.ts";
import type {
  ArtifactBody,
  ArtifactStore,
  CompletedPart,
  FileInfo,
  MultipartSupport,
  PartCredential,
} from "./types.ts";

/** Uploads of unknown length are cut into parts of this size; one part is buffered at a time. */
export const PART_BYTES = 8 * 1024 * 1024;
const PRESIGNED_URL_SECONDS = 3600;

export interface S3Options {
  endpoint: string | undefined;
}

const clients = new Map<string, { client: S3Client; region: string }>();

function region(): string {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1";
}

function s3Client(endpoint: string | undefined): { client: S3Client; region: string } {
  const key = endpoint ?? "";
  let entry = clients.get(key);
  if (!entry) {
    entry = {
      region: region(),
      client: new S3Client({
        region: region(),
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        maxAttempts: 2,
        requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 120_000 }),
      }),
    };
    clients.set(key, entry);
  }
  return entry;
}

/** `s3://bucket/a/b` → bucket and key prefix `a/b` (no slashes at either end). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new MlflowError("INVALID_PARAMETER_VALUE", `Not an S3 URI: '${uri}'`);
  return { bucket: match[1] as string, prefix: (match[2] as string).replace(/^\/+|\/+$/g, "") };
}

export class S3ArtifactStore implements ArtifactStore {
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly region: string;
  readonly multipart: MultipartSupport;

  constructor(
    readonly rootUri: string,
    private readonly options: S3Options,
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(rootUri));
    ({ client: this.client, region: this.region } = s3Client(options.endpoint));
    this.multipart = {
      create: (path, numParts) => this.createMultipart(path, numParts),
      complete: (path, uploadId, parts) => this.completeMultipart(path, uploadId, parts),
      abort: (path, uploadId) => this.abortMultipart(path, uploadId),
    };
  }

  private key(path: string): string {
    return path === "" ? this.prefix : joinPath(this.prefix, path);
  }

  private async send<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.translate(what, error);
    }
  }

  private translate(what: string, error: unknown): Error {
    if (error instanceof MlflowError) return error;
    const where = `s3://${this.bucket}${this.options.endpoint ? ` at ${this.options.endpoint}` : ""}`;
    if (error instanceof S3ServiceException) {
      return new MlflowError(
        "INTERNAL_ERROR",
        `S3 ${what} failed on ${where}: ${error.name}: ${error.message}`,
      );
    }
    const e = error as { name?: string; code?: string; message?: string };
    const cause = [e.code, e.name, e.message].filter((x) => x && x !== "Error").join(": ");
    return new MlflowError(
      "TEMPORARILY_UNAVAILABLE",
      `S3 ${what} failed: cannot reach ${where}: ${cause || String(error)}`,
    );
  }

  private async *listPages(prefix: string, delimiter?: string) {
    let token: string | undefined;
    do {
      const page = await this.send("list", () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            Delimiter: delimiter,
            ContinuationToken: token,
          }),
        ),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async list(dir: string): Promise<FileInfo[]> {
    const base = this.key(dir);
    const prefix = base === "" ? "" : `${base}/`;
    const files: FileInfo[] = [];
    for await (const page of this.listPages(prefix, "/")) {
      for (const common of page.CommonPrefixes ?? []) {
        const name = (common.Prefix ?? "").slice(prefix.length).replace(/\/$/, "");
        if (name) files.push({ path: joinPath(dir, name), isDir: true });
      }
      for (const object of page.Contents ?? []) {
        const name = (object.Key ?? "").slice(prefix.length);
        if (name) files.push({ path: joinPath(dir, name), isDir: false, fileSize: object.Size ?? 0 });
      }
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async read(path: string): Promise<ArtifactBody> {
    let response;
    try {
      response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
    } catch (error) {
      if (error instanceof S3ServiceException && (error.name === "NoSuchKey" || error.name === "NotFound")) {
        throw notFound(`Artifact '${path}' does not exist`);
      }
      throw this.translate("download", error);
    }
    if (!response.Body) throw notFound(`Artifact '${path}' does not exist`);
    return {
      stream: response.Body.transformToWebStream() as ReadableStream<Uint8Array>,
      size: response.ContentLength ?? 0,
    };
  }

  /**
   * Streams `body` into S3 without knowing its length: a small body becomes one PutObject, a
   * larger one a multipart upload sent part by part, so at most one part is held in memory.
   */
  async write(path: string, body: ReadableStream<Uint8Array>): Promise<void> {
    const key = this.key(path);
    const reader = body.getReader();
    let chunks: Uint8Array[] = [];
    let buffered = 0;
    let ended = false;
    const fill = async (): Promise<Uint8Array> => {
      while (!ended && buffered < PART_BYTES) {
        const { done, value } = await reader.read();
        if (done) ended = true;
        else {
          chunks.push(value);
          buffered += value.byteLength;
        }
      }
      const all = concat(chunks, buffered);
      const part = all.subarray(0, Math.min(PART_BYTES, all.byteLength));
      const rest = all.subarray(part.byteLength);
      chunks = rest.byteLength > 0 ? [rest] : [];
      buffered = rest.byteLength;
      return part;
    };

    const first = await fill();
    if (ended && buffered === 0) {
      await this.send("upload", () =>
        this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: first })),
      );
      return;
    }
    const { UploadId } = await this.send("upload", () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })),
    );
    const parts: CompletedPart[] = [];
    try {
      let part: Uint8Array = first;
      for (let number = 1; ; number++) {
        const body = part;
        const { ETag } = await this.send("upload", () =>
          this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber: number, Body: body }),
          ),
        );
        parts.push({ partNumber: number, etag: ETag ?? "" });
        if (ended && buffered === 0) break;
        part = await fill();
        if (part.byteLength === 0) break;
      }
      await this.completeMultipart(path, UploadId as string, parts);
    } catch (error) {
      await reader.cancel().catch(() => {});
      await this.abortMultipart(path, UploadId as string).catch(() => {});
      throw error;
    }
  }

  async delete(path: string): Promise<void> {
    const key = this.key(path);
    const keys: string[] = [];
    if (key !== "") keys.push(key);
    for await (const page of this.listPages(key === "" ? "" : `${key}/`)) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    }
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.send("delete", () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
    }
  }

  private async createMultipart(
    path: string,
    numParts: number,
  ): Promise<{ uploadId: string; credentials: PartCredential[] }> {
    const key = this.key(path);
    const { UploadId } = await this.send("multipart create", () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })),
    );
    const uploadId = UploadId as string;
    const credentials: PartCredential[] = [];
    for (let partNumber = 1; partNumber <= numParts; partNumber++) {
      credentials.push({ url: await this.presignPart(key, uploadId, partNumber), partNumber, headers: {} });
    }
    return { uploadId, credentials };
  }

  private async completeMultipart(path: string, uploadId: string, parts: CompletedPart[]): Promise<void> {
    await this.send("multipart complete", () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key(path),
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      ),
    );
  }

  private async abortMultipart(path: string, uploadId: string): Promise<void> {
    await this.send("multipart abort", () =>
      this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(path), UploadId: uploadId }),
      ),
    );
  }

  /** A presigned UploadPart URL, signed with the client's own SigV4 signer. */
  private async presignPart(key: string, uploadId: string, partNumber: number): Promise<string> {
    const base = new URL(this.options.endpoint ?? `https://s3.${this.region}.amazonaws.com`);
    const encodedKey = key.split("/").map(encodeURIComponent).join("/");
    const path = this.options.endpoint
      ? `${base.pathname.replace(/\/$/, "")}/${this.bucket}/${encodedKey}`
      : `/${encodedKey}`;
    const hostname = this.options.endpoint ? base.hostname : `${this.bucket}.${base.hostname}`;
    const host = base.port ? `${hostname}:${base.port}` : hostname;
    const signer = (await this.client.config.signer()) as unknown as {
      presign(request: object, options: object): Promise<{ query?: Record<string, string> }>;
    };
    const signed = await signer.presign(
      {
        method: "PUT",
        protocol: base.protocol,
        hostname,
        port: base.port ? Number(base.port) : undefined,
        path,
        query: { partNumber: String(partNumber), uploadId },
        headers: { host },
      },
      { expiresIn: PRESIGNED_URL_SECONDS, signingRegion: this.region, signingService: "s3" },
    );
    const query = new URLSearchParams(signed.query ?? {}).toString().replaceAll("+", "%20");
    return `${base.protocol}//${host}${path}?${query}`;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
