/**
 * The S3 backend, loaded on first use: the AWS SDK takes about 120 ms and 25 MB to load, which a
 * server whose artifacts live on local disk should never pay at start-up.
 */

import type { S3Options } from "./s3.ts";
import type {
  ArtifactBody,
  ArtifactStore,
  CompletedPart,
  FileInfo,
  MultipartSupport,
  PartCredential,
} from "./types.ts";

type S3Module = typeof import("./s3.ts");
let loading: Promise<S3Module> | undefined;
const loadS3 = (): Promise<S3Module> => (loading ??= import("./s3.ts"));

export class LazyS3ArtifactStore implements ArtifactStore {
  private store: Promise<ArtifactStore> | undefined;
  readonly multipart: MultipartSupport;

  constructor(
    readonly rootUri: string,
    private readonly options: S3Options,
  ) {
    const multipart = async (): Promise<MultipartSupport> => {
      const support = (await this.real()).multipart;
      if (!support) throw new Error("the S3 store lost its multipart support");
      return support;
    };
    this.multipart = {
      create: async (path: string, numParts: number): Promise<{ uploadId: string; credentials: PartCredential[] }> =>
        (await multipart()).create(path, numParts),
      complete: async (path: string, uploadId: string, parts: CompletedPart[]): Promise<void> =>
        (await multipart()).complete(path, uploadId, parts),
      abort: async (path: string, uploadId: string): Promise<void> => (await multipart()).abort(path, uploadId),
    };
  }

  private real(): Promise<ArtifactStore> {
    this.store ??= loadS3().then(({ S3ArtifactStore }) => new S3ArtifactStore(this.rootUri, this.options));
    return this.store;
  }

  async list(dir: string): Promise<FileInfo[]> {
    return (await this.real()).list(dir);
  }
  async read(path: string): Promise<ArtifactBody> {
    return (await this.real()).read(path);
  }
  async write(path: string, body: ReadableStream<Uint8Array>): Promise<void> {
    return (await this.real()).write(path, body);
  }
  async delete(path: string): Promise<void> {
    return (await this.real()).delete(path);
  }
}
