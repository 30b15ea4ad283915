/**
 * Artifacts on the local file system: plain paths and `file:///` URIs. Writes go to a temporary
 * file that is renamed into place, so a reader never sees half a file; symlinks leading out of
 * the root are refused like `..`.
 */

import { mkdir, open, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { invalidParameter, MlflowError, notFound } from "../errors.ts";
import { localPathOf } from "./locations.ts";
import { invalidPath, joinPath } from "./paths.ts";
import type { ArtifactBody, ArtifactStore, FileInfo } from "./types.ts";

const CHUNK_BYTES = 256 * 1024;
/** Most file systems refuse longer names (ENAMETOOLONG). */
const MAX_NAME_BYTES = 255;
/** Uploads land in a hidden sibling first; one left by a crash is removed once this old. */
const UPLOAD_PREFIX = ".fml-upload-";
const STALE_UPLOAD_MS = 60 * 60 * 1000;

const encoder = new TextEncoder();

/**
 * A file-system failure as the client may see it: what went wrong in MLflow's terms, never the
 * server's path (the log has the full error).
 */
function fileSystemError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "ENAMETOOLONG":
      return invalidParameter(`Invalid path: a name is longer than ${MAX_NAME_BYTES} bytes`);
    case "EEXIST":
    case "ENOTDIR":
    case "EISDIR":
      return invalidParameter("Invalid path: a file and a directory of the same name");
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new MlflowError("PERMISSION_DENIED", "The artifact store refused access to this path");
    case "ENOSPC":
    case "EDQUOT":
      return new MlflowError("TEMPORARILY_UNAVAILABLE", "The artifact store is out of space");
    default:
      return error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * `file:///srv/a` → `/srv/a`; plain paths are made absolute against the working directory. A file
 * URI with a query or fragment is refused: a URL parser would drop that part, and with it whatever
 * was appended to the location (`file:///etc#/<run>/artifacts` would be `/etc`).
 */
export function localPathFromUri(uri: string): string {
  const path = localPathOf(uri);
  if (path === undefined) throw invalidParameter(`Invalid artifact location '${uri}'`);
  return isAbsolute(path) ? path : resolve(path);
}

/** Best effort: another upload may still be writing a young one, and a failure changes nothing. */
async function removeIfStale(path: string): Promise<void> {
  try {
    if (Date.now() - (await stat(path)).mtimeMs > STALE_UPLOAD_MS) await rm(path, { force: true });
  } catch {
    // gone already, or not ours to remove
  }
}

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;

  constructor(readonly rootUri: string) {
    this.root = localPathFromUri(rootUri);
  }

  private inside(real: string, realRoot: string): boolean {
    const rel = relative(realRoot, real);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
  }

  /**
   * The absolute path of `path`, after checking that the deepest existing part of it, with
   * symlinks resolved, is still inside the root.
   */
  private async resolve(path: string): Promise<string> {
    if (path.split("/").some((name) => encoder.encode(name).byteLength > MAX_NAME_BYTES)) {
      throw invalidParameter(`Invalid path: a name is longer than ${MAX_NAME_BYTES} bytes`);
    }
    const full = join(this.root, path);
    let realRoot: string;
    try {
      realRoot = await realpath(this.root);
    } catch (error) {
      if (isMissing(error)) return full; // nothing exists yet, so nothing can point outside
      throw error;
    }
    let probe = full;
    for (;;) {
      try {
        const real = await realpath(probe);
        if (!this.inside(real, realRoot)) throw invalidPath();
        return full;
      } catch (error) {
        if (!isMissing(error)) throw error;
        const parent = dirname(probe);
        if (parent === probe) return full;
        probe = parent;
      }
    }
  }

  async list(dir: string): Promise<FileInfo[]> {
    const full = await this.resolve(dir);
    let entries;
    try {
      entries = await readdir(full, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw fileSystemError(error);
    }
    const files: FileInfo[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith(UPLOAD_PREFIX)) {
        void removeIfStale(join(full, entry.name));
        continue;
      }
      const path = joinPath(dir, entry.name);
      // stat follows symlinks, so a link is listed as what it points to.
      const info = await stat(join(full, entry.name)).catch(() => undefined);
      if (!info) continue;
      files.push(info.isDirectory() ? { path, isDir: true } : { path, isDir: false, fileSize: info.size });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async read(path: string): Promise<ArtifactBody> {
    const full = await this.resolve(path);
    let handle;
    try {
      handle = await open(full, "r");
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException)?.code === "EISDIR") {
        throw notFound(`Artifact '${path}' does not exist`);
      }
      throw fileSystemError(error);
    }
    const info = await handle.stat();
    if (info.isDirectory()) {
      await handle.close();
      throw notFound(`Artifact '${path}' is a directory, not a file`);
    }
    const file = handle;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const buffer = new Uint8Array(CHUNK_BYTES);
        const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) {
          await file.close();
          controller.close();
        } else {
          controller.enqueue(bytesRead === CHUNK_BYTES ? buffer : buffer.subarray(0, bytesRead));
        }
      },
      async cancel() {
        await file.close();
      },
    });
    return { stream, size: info.size };
  }

  async write(path: string, body: ReadableStream<Uint8Array>): Promise<void> {
    const full = await this.resolve(path);
    // A fixed-length name of its own: appended to a long file name it could pass 255 bytes.
    const temporary = join(dirname(full), `${UPLOAD_PREFIX}${crypto.randomUUID()}`);
    let handle;
    try {
      await mkdir(dirname(full), { recursive: true });
      // Directories created just now may have raced with a symlink swap: check again.
      await this.resolve(path);
      handle = await open(temporary, "w");
    } catch (error) {
      throw fileSystemError(error);
    }
    try {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let offset = 0;
        while (offset < value.byteLength) {
          const { bytesWritten } = await handle.write(value, offset, value.byteLength - offset);
          offset += bytesWritten;
        }
      }
      await handle.close();
      await rename(temporary, full);
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(temporary, { force: true });
      throw fileSystemError(error);
    }
  }

  async delete(path: string): Promise<void> {
    const full = await this.resolve(path);
    if (full === this.root || path === "") {
      // Deleting the whole root removes its contents, keeping the directory itself.
      const entries = await readdir(full).catch(() => [] as string[]);
      await Promise.all(entries.map((e) => rm(join(full, e), { recursive: true, force: true })));
      return;
    }
    await rm(full, { recursive: true, force: true });
  }
}
