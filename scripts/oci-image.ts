/**
 * Builds fml's container image as an OCI image layout archive, without a container engine: one
 * layer holding the binary, the few shared libraries `ldd` says it needs, a non-root user and the
 * /data volume; then the config, manifest and index, each addressed by its SHA-256 digest. The
 * result is the same image packaging/container/Dockerfile describes.
 *
 *   bun scripts/oci-image.ts [--binary dist/fml] [--output dist/fml-oci.tar] [--tag fml:<version>]
 *
 *   skopeo copy oci-archive:dist/fml-oci.tar docker-daemon:fml:0.1.0   # or: docker load -i dist/fml-oci.tar
 *   podman load -i dist/fml-oci.tar
 */

import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import pkg from "../package.json" with { type: "json" };

const root = resolve(import.meta.dir, "..");

/** The uid/gid fml runs as inside the image (distroless's "nonroot"). */
export const IMAGE_USER = 65532;

export const IMAGE_ENV = [
  "PATH=/usr/local/bin:/usr/bin:/bin",
  "FML_DATABASE_URI=sqlite:////data/fml.db",
  "FML_ARTIFACTS_DESTINATION=/data/mlartifacts",
  "FML_LISTEN_ADDRESS=0.0.0.0:5000",
];

// ---------------------------------------------------------------------------------------------
// tar (ustar), written by hand: deterministic owners, modes and times.

interface TarEntry {
  path: string;
  type: "file" | "dir";
  mode: number;
  uid?: number;
  gid?: number;
  data?: Uint8Array;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(512);
  let name = entry.type === "dir" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    // ustar keeps up to 155 more bytes of directory in the prefix field.
    const split = name.lastIndexOf("/", Math.min(155, name.length - 2));
    if (split <= 0 || Buffer.byteLength(name.slice(split + 1)) > 100) {
      throw new Error(`path too long for a ustar header: ${name}`);
    }
    prefix = name.slice(0, split);
    name = name.slice(split + 1);
  }
  header.write(name, 0, 100, "utf8");
  header.write(octal(entry.mode, 8), 100, "ascii");
  header.write(octal(entry.uid ?? 0, 8), 108, "ascii");
  header.write(octal(entry.gid ?? 0, 8), 116, "ascii");
  header.write(octal(size, 12), 124, "ascii");
  header.write(octal(0, 12), 136, "ascii"); // mtime: the epoch, so builds are reproducible
  header.write("        ", 148, "ascii");
  header.write(entry.type === "dir" ? "5" : "0", 156, "ascii");
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  header.write(octal(0, 8), 329, "ascii");
  header.write(octal(0, 8), 337, "ascii");
  header.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return header;
}

/** Writes a tar stream in pieces to `sink`, so large files are never copied into one buffer. */
function writeTar(entries: TarEntry[], sink: (chunk: Uint8Array) => void): void {
  for (const entry of entries) {
    const size = entry.type === "file" ? (entry.data?.byteLength ?? 0) : 0;
    sink(tarHeader(entry, size));
    if (size > 0) {
      sink(entry.data as Uint8Array);
      const pad = (512 - (size % 512)) % 512;
      if (pad) sink(new Uint8Array(pad));
    }
  }
  sink(new Uint8Array(1024));
}

function tarBuffer(entries: TarEntry[]): Buffer {
  const chunks: Uint8Array[] = [];
  writeTar(entries, (c) => chunks.push(c));
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// The root file system.

/** The absolute paths of the shared objects a dynamically linked binary loads, from `ldd`. */
export function sharedLibraries(binary: string): string[] {
  const result = Bun.spawnSync(["ldd", binary], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(`ldd ${binary} failed: ${result.stderr.toString().trim() || result.stdout.toString().trim()}`);
  }
  const paths = new Set<string>();
  for (const line of result.stdout.toString().split("\n")) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.add(match[1] as string);
  }
  return [...paths];
}

function elfArchitecture(binary: string): "amd64" | "arm64" {
  const head = readFileSync(binary).subarray(0, 20);
  const machine = head.readUInt16LE(18);
  if (machine === 62) return "amd64";
  if (machine === 183) return "arm64";
  throw new Error(`${binary}: unsupported ELF machine ${machine}`);
}

export function rootFilesystem(binary: string): TarEntry[] {
  const files = new Map<string, TarEntry>();
  const dirs = new Map<string, TarEntry>();
  const addDir = (path: string, mode = 0o755, uid = 0): void => {
    const parts = path.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!dirs.has(dir)) dirs.set(dir, { path: dir, type: "dir", mode: 0o755 });
    }
    dirs.set(parts.join("/"), { path: parts.join("/"), type: "dir", mode, uid, gid: uid });
  };
  const addFile = (path: string, data: Uint8Array, mode = 0o644): void => {
    const relative = path.replace(/^\/+/, "");
    addDir(dirname(relative) === "." ? "" : dirname(relative));
    files.set(relative, { path: relative, type: "file", mode, data });
  };

  addFile("/usr/local/bin/fml", readFileSync(binary), 0o755);
  const libraries = sharedLibraries(binary);
  // glibc before 2.34 loads name-service modules at run time for /etc/hosts and DNS lookups.
  const libDir = libraries.map(dirname).find((d) => !d.endsWith("lib64"));
  for (const extra of ["libnss_files.so.2", "libnss_dns.so.2", "libresolv.so.2"]) {
    if (libDir && existsSync(join(libDir, extra))) libraries.push(join(libDir, extra));
  }
  for (const library of libraries) {
    // The path the loader asks for, holding the real file (no symlinks into the host's layout).
    addFile(library, readFileSync(realpathSync(library)), 0o755);
  }
  const text = (s: string) => new TextEncoder().encode(s);
  addFile("/etc/passwd", text(`root:x:0:0:root:/root:/sbin/nologin\nfml:x:${IMAGE_USER}:${IMAGE_USER}:fml:/data:/sbin/nologin\n`));
  addFile("/etc/group", text(`root:x:0:\nfml:x:${IMAGE_USER}:\n`));
  addFile("/etc/nsswitch.conf", text("passwd: files\ngroup: files\nhosts: files dns\n"));
  addFile("/etc/hosts", text("127.0.0.1\tlocalhost\n::1\tlocalhost\n"));
  addDir("tmp", 0o1777);
  addDir("data", 0o755, IMAGE_USER);
  addDir("proc");
  addDir("dev");

  const sorted = [...dirs.values()].filter((d) => d.path !== "").sort((a, b) => a.path.localeCompare(b.path));
  return [...sorted, ...[...files.values()].sort((a, b) => a.path.localeCompare(b.path))];
}

// ---------------------------------------------------------------------------------------------
// The OCI image layout.

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

interface Blob {
  digest: string;
  size: number;
  data: Uint8Array;
}

const blob = (data: Uint8Array): Blob => ({ digest: `sha256:${sha256(data)}`, size: data.byteLength, data });
const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

export interface ImageOptions {
  binary: string;
  output: string;
  tag: string;
}

export function buildImage(options: ImageOptions): { manifestDigest: string; layerDigest: string } {
  const layerTar = tarBuffer(rootFilesystem(options.binary));
  const layer = blob(gzipSync(layerTar, { level: 6 }));
  const architecture = elfArchitecture(options.binary);
  const created = "1970-01-01T00:00:00Z";
  const config = blob(
    json({
      created,
      architecture,
      os: "linux",
      config: {
        User: `${IMAGE_USER}:${IMAGE_USER}`,
        Env: IMAGE_ENV,
        Entrypoint: ["/usr/local/bin/fml"],
        Cmd: ["server"],
        WorkingDir: "/data",
        Volumes: { "/data": {} },
        ExposedPorts: { "5000/tcp": {} },
        Labels: {
          "org.opencontainers.image.title": "fml",
          "org.opencontainers.image.description": pkg.description,
          "org.opencontainers.image.version": pkg.version,
          "org.opencontainers.image.licenses": pkg.license,
        },
      },
      rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layerTar)}`] },
      history: [{ created, created_by: "scripts/oci-image.ts: fml, its shared libraries, user fml, /data" }],
    }),
  );
  const manifest = blob(
    json({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer.digest, size: layer.size }],
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: manifest.digest,
        size: manifest.size,
        platform: { architecture, os: "linux" },
        annotations: { "org.opencontainers.image.ref.name": options.tag.split(":").at(-1), "io.containerd.image.name": options.tag },
      },
    ],
  };
  const blobPath = (b: Blob) => `blobs/sha256/${b.digest.slice("sha256:".length)}`;
  // docker load reads manifest.json; OCI tools read index.json. Both point at the same blobs.
  const dockerManifest = [{ Config: blobPath(config), RepoTags: [options.tag], Layers: [blobPath(layer)] }];

  mkdirSync(dirname(options.output), { recursive: true });
  const fd = openSync(options.output, "w");
  try {
    writeTar(
      [
        { path: "oci-layout", type: "file", mode: 0o644, data: json({ imageLayoutVersion: "1.0.0" }) },
        { path: "index.json", type: "file", mode: 0o644, data: json(index) },
        { path: "manifest.json", type: "file", mode: 0o644, data: json(dockerManifest) },
        { path: "blobs", type: "dir", mode: 0o755 },
        { path: "blobs/sha256", type: "dir", mode: 0o755 },
        ...[config, manifest, layer].map((b): TarEntry => ({ path: blobPath(b), type: "file", mode: 0o644, data: b.data })),
      ],
      (chunk) => {
        writeSync(fd, chunk);
      },
    );
  } finally {
    closeSync(fd);
  }
  return { manifestDigest: manifest.digest, layerDigest: layer.digest };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const binary = resolve(root, option("--binary") ?? "dist/fml");
  if (!existsSync(binary) || !statSync(binary).isFile()) {
    console.error(`no binary at ${binary}: run \`bun scripts/build.ts\` first (or pass --binary)`);
    process.exit(2);
  }
  const output = resolve(root, option("--output") ?? "dist/fml-oci.tar");
  const tag = option("--tag") ?? `fml:${pkg.version}`;
  const { manifestDigest } = buildImage({ binary, output, tag });
  console.log(`${output}: ${tag} (manifest ${manifestDigest}, ${(statSync(output).size / 1e6).toFixed(1)} MB)`);
}
