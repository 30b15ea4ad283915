/**
 * scripts/oci-image.ts without a container engine: the archive is a valid OCI image layout
 * (every blob matches its digest), its configuration matches packaging/container/Dockerfile, and
 * its root file system alone runs fml: extracted into an empty directory, started there with
 * chroot as the image's non-root user (or, where chroot is impossible, through the dynamic loader
 * inside that root), it answers HTTP and writes its database into /data.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { repoRoot } from "../helpers/server.ts";

const work = mkdtempSync(join(tmpdir(), "fml-oci-"));
const layout = join(work, "layout");
const rootfs = join(work, "rootfs");
const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");
const blobPath = (digest: string): string => join(layout, "blobs/sha256", digest.replace(/^sha256:/, ""));

function run(command: string[], options: { cwd?: string } = {}): string {
  const result = Bun.spawnSync(command, { cwd: options.cwd ?? repoRoot, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${command.join(" ")} failed:\n${result.stderr.toString()}`);
  return result.stdout.toString();
}

interface ImageConfig {
  architecture: string;
  os: string;
  config: { User: string; Env: string[]; Entrypoint: string[]; Cmd: string[]; Volumes: Record<string, object> };
  rootfs: { diff_ids: string[] };
}
let config: ImageConfig;
let layerTar: Buffer;

beforeAll(() => {
  const binary = join(work, "fml");
  run([process.execPath, "scripts/build.ts", "--outfile", binary]);
  run([process.execPath, "scripts/oci-image.ts", "--binary", binary, "--output", join(work, "fml-oci.tar"), "--tag", "fml:test"]);
  mkdirSync(layout);
  run(["tar", "-xf", join(work, "fml-oci.tar"), "-C", layout]);
}, 300_000);

const procMounted = (): boolean => readFileSync("/proc/mounts", "utf8").includes(` ${join(rootfs, "proc")} `);

afterAll(() => {
  if (procMounted()) Bun.spawnSync(["umount", join(rootfs, "proc")]);
  // Never recurse into a live /proc.
  if (procMounted()) console.warn(`could not unmount ${join(rootfs, "proc")}: leaving ${work} in place`);
  else rmSync(work, { recursive: true, force: true });
});

test("the archive is an OCI image layout whose blobs all match their digests", () => {
  expect(JSON.parse(readFileSync(join(layout, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  expect(index.schemaVersion).toBe(2);
  expect(index.manifests).toHaveLength(1);
  const ref = index.manifests[0];
  expect(ref.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
  expect(ref.annotations["io.containerd.image.name"]).toBe("fml:test");

  const manifestBytes = readFileSync(blobPath(ref.digest));
  expect(`sha256:${sha256(manifestBytes)}`).toBe(ref.digest);
  expect(manifestBytes.byteLength).toBe(ref.size);
  const manifest = JSON.parse(manifestBytes.toString());
  expect(manifest.config.mediaType).toBe("application/vnd.oci.image.config.v1+json");

  const configBytes = readFileSync(blobPath(manifest.config.digest));
  expect(`sha256:${sha256(configBytes)}`).toBe(manifest.config.digest);
  expect(configBytes.byteLength).toBe(manifest.config.size);
  config = JSON.parse(configBytes.toString());
  expect(config.os).toBe("linux");
  expect(config.architecture).toBe(process.arch === "arm64" ? "arm64" : "amd64");

  expect(manifest.layers).toHaveLength(1);
  const layer = manifest.layers[0];
  expect(layer.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
  const layerBytes = readFileSync(blobPath(layer.digest));
  expect(`sha256:${sha256(layerBytes)}`).toBe(layer.digest);
  expect(layerBytes.byteLength).toBe(layer.size);
  layerTar = gunzipSync(layerBytes);
  expect(config.rootfs.diff_ids).toEqual([`sha256:${sha256(layerTar)}`]);

  // docker load's manifest.json names the same blobs.
  const docker = JSON.parse(readFileSync(join(layout, "manifest.json"), "utf8"));
  expect(docker).toEqual([
    { Config: `blobs/sha256/${manifest.config.digest.slice(7)}`, RepoTags: ["fml:test"], Layers: [`blobs/sha256/${layer.digest.slice(7)}`] },
  ]);
});

test("the image configuration is the one packaging/container/Dockerfile declares", () => {
  const dockerfile = readFileSync(join(repoRoot, "packaging/container/Dockerfile"), "utf8");
  const final = dockerfile.slice(dockerfile.lastIndexOf("FROM scratch"));
  const envs = [...final.matchAll(/^ENV (\S+)$/gm)].map((m) => m[1]);
  expect(config.config.Env).toEqual(envs as string[]);
  expect(config.config.Env).toContain("FML_DATABASE_URI=sqlite:////data/fml.db");
  expect(config.config.Env).toContain("FML_LISTEN_ADDRESS=0.0.0.0:5000");
  expect(final).toContain(`USER ${config.config.User}\n`);
  expect(config.config.User).toBe("65532:65532");
  expect(final).toContain("VOLUME /data\n");
  expect(Object.keys(config.config.Volumes)).toEqual(["/data"]);
  expect(final).toContain(`ENTRYPOINT ${JSON.stringify(config.config.Entrypoint).replaceAll(",", ", ")}\n`);
  expect(final).toContain(`CMD ${JSON.stringify(config.config.Cmd)}\n`);
});

describe("the image's root file system alone runs fml", () => {
  let mode: "chroot" | "loader";
  let child: ReturnType<typeof Bun.spawn> | undefined;
  let url = "";
  let stderr = "";

  beforeAll(async () => {
    mkdirSync(rootfs);
    Bun.spawnSync(["tar", "-xzpf", blobPath(JSON.parse(readFileSync(blobPath(JSON.parse(readFileSync(join(layout, "index.json"), "utf8")).manifests[0].digest), "utf8")).layers[0].digest), "-C", rootfs]);
    // A container runtime mounts /proc; Bun reads /proc/self/exe to find the embedded program.
    const chroot = Bun.which("chroot");
    const canChroot =
      !process.env.FML_TEST_OCI_NO_CHROOT &&
      process.getuid?.() === 0 &&
      chroot !== null &&
      Bun.spawnSync(["mount", "-t", "proc", "proc", join(rootfs, "proc")]).exitCode === 0;
    mode = canChroot ? "chroot" : "loader";
    const env: Record<string, string> = {};
    for (const entry of config.config.Env) {
      const at = entry.indexOf("=");
      env[entry.slice(0, at)] = entry.slice(at + 1);
    }
    env.FML_LISTEN_ADDRESS = "127.0.0.1:0"; // a free port instead of 0.0.0.0:5000
    let command: string[];
    if (mode === "chroot") {
      command = [chroot as string, `--userspec=${config.config.User}`, rootfs, ...config.config.Entrypoint, ...config.config.Cmd];
    } else {
      console.warn("chroot impossible here: running the image's binary through its own dynamic loader instead");
      const loader = process.arch === "arm64" ? "lib/ld-linux-aarch64.so.1" : "lib64/ld-linux-x86-64.so.2";
      const libs = process.arch === "arm64" ? "lib/aarch64-linux-gnu" : "lib/x86_64-linux-gnu";
      command = [join(rootfs, loader), "--library-path", join(rootfs, libs), join(rootfs, "usr/local/bin/fml"), "server"];
      env.FML_DATABASE_URI = `sqlite:///${join(rootfs, "data/fml.db")}`;
      env.FML_ARTIFACTS_DESTINATION = join(rootfs, "data/mlartifacts");
    }
    // Only the image's environment: nothing from the host leaks in.
    child = Bun.spawn(command, { cwd: rootfs, env, stdout: "pipe", stderr: "pipe" });
    const decoder = new TextDecoder();
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fml did not start:\n${stderr}`)), 20_000);
      (async () => {
        for await (const chunk of child!.stderr as ReadableStream<Uint8Array>) {
          stderr += decoder.decode(chunk);
          const match = /listening on http:\/\/[^:]+:(\d+)/.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        }
        reject(new Error(`fml exited:\n${stderr}`));
      })().catch(reject);
    });
    url = `http://127.0.0.1:${port}`;
  }, 60_000);

  afterAll(async () => {
    child?.kill("SIGTERM");
    await child?.exited;
  });

  test("/health answers and an experiment can be created and found", async () => {
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe("OK");
    const created = await fetch(`${url}/api/2.0/mlflow/experiments/create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "from-the-image" }),
    });
    expect(created.status).toBe(200);
    const { experiment_id } = (await created.json()) as { experiment_id: string };
    const got = await fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`);
    expect(((await got.json()) as { experiment: { name: string } }).experiment.name).toBe("from-the-image");
    expect(stderr).toContain("database=sqlite:///");
  });

  test("the database lives in the /data volume, written by the non-root user", () => {
    const db = join(rootfs, "data/fml.db");
    expect(existsSync(db)).toBe(true);
    if (mode === "chroot") expect(statSync(db).uid).toBe(65532);
  });

  test("SIGTERM stops it cleanly", async () => {
    child?.kill("SIGTERM");
    expect(await child?.exited).toBe(0);
  });
});
