/**
 * The artifact-store contract: one interface, one module per backend (local disk, S3). Paths are
 * relative to the store's root, already validated by `safeArtifactPath`; the HTTP layer never
 * knows which backend serves it.
 */

export interface FileInfo {
  /** Relative to the store's root, `/`-separated. */
  path: string;
  isDir: boolean;
  /** Absent for directories. */
  fileSize?: number;
}

export interface ArtifactBody {
  stream: ReadableStream<Uint8Array>;
  size: number;
}

export interface PartCredential {
  url: string;
  partNumber: number;
  headers: Record<string, string>;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** Multipart uploads with presigned part URLs: the client sends the parts to the store directly. */
export interface MultipartSupport {
  create(path: string, numParts: number): Promise<{ uploadId: string; credentials: PartCredential[] }>;
  complete(path: string, uploadId: string, parts: CompletedPart[]): Promise<void>;
  abort(path: string, uploadId: string): Promise<void>;
}

export interface ArtifactStore {
  /** The URI this store is rooted at, e.g. `s3://bucket/prefix` or `/srv/mlartifacts/1`. */
  readonly rootUri: string;
  /** Direct children of `dir` ("" = root); empty when `dir` does not exist or is a file. */
  list(dir: string): Promise<FileInfo[]>;
  /** Throws RESOURCE_DOES_NOT_EXIST when the file is missing. */
  read(path: string): Promise<ArtifactBody>;
  /** Creates parents and overwrites; consumes the stream without buffering it whole. */
  write(path: string, body: ReadableStream<Uint8Array>): Promise<void>;
  /** Deletes a file or a directory tree; a missing path is not an error. */
  delete(path: string): Promise<void>;
  /** Present only when the backend can do presigned multipart uploads. */
  readonly multipart?: MultipartSupport;
}
