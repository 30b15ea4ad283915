/**
 * Release builds: one `fml` executable per Linux target, compiled by scripts/build.ts, and a
 * SHA256SUMS file in `sha256sum -c` format. Cross-compiling makes Bun download the target's
 * runtime from the npm registry; a target that cannot be built is named with Bun's reason and the
 * script exits 1 — nothing is faked. Binaries the host can run are checked with `--version`.
 *
 *   bun scripts/release.ts [--outdir dist/release] [--targets linux-x64,linux-arm64]
 */

import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { arch } from "node:os";
import { basename, join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

export const TARGETS = ["linux-x64", "linux-x64-baseline", "linux-arm64", "linux-x64-musl"] as const;
type Target = (typeof TARGETS)[number];

const root = resolve(import.meta.dir, "..");
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const outdir = resolve(root, option("--outdir") ?? "dist/release");
const targets = (option("--targets")?.split(",") ?? [...TARGETS]) as Target[];
for (const t of targets) {
  if (!TARGETS.includes(t)) {
    console.error(`unknown target '${t}': use ${TARGETS.join(", ")}`);
    process.exit(2);
  }
}

/** Whether this machine can execute the target's binary (glibc x86-64 or arm64 hosts). */
function hostRuns(target: Target): boolean {
  if (target === "linux-x64-musl") return false; // needs a musl loader, absent on glibc systems
  if (process.platform !== "linux") return false;
  return target === "linux-arm64" ? arch() === "arm64" : arch() === "x64";
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

mkdirSync(outdir, { recursive: true });
const built: { target: Target; file: string; version?: string }[] = [];
const failed: { target: Target; reason: string }[] = [];

for (const target of targets) {
  const file = join(outdir, `fml-${pkg.version}-${target}`);
  rmSync(file, { force: true });
  const build = Bun.spawnSync(
    [process.execPath, join(root, "scripts/build.ts"), "--target", `bun-${target}`, "--outfile", file],
    { cwd: root, stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) {
    const output = `${build.stderr.toString()}\n${build.stdout.toString()}`.trim().split("\n");
    failed.push({ target, reason: output.slice(-3).join(" | ") || `exit ${build.exitCode}` });
    console.error(`✗ ${target}: not built`);
    continue;
  }
  let version: string | undefined;
  if (hostRuns(target)) {
    const run = Bun.spawnSync([file, "--version"], { stdout: "pipe", stderr: "pipe" });
    version = run.stdout.toString().trim();
    if (run.exitCode !== 0 || !version.startsWith(`fml ${pkg.version} `)) {
      failed.push({ target, reason: `built, but '${basename(file)} --version' said: ${version || run.stderr.toString()}` });
      continue;
    }
  }
  built.push({ target, file, version });
  console.log(`✓ ${target}: ${file}${version ? `  (${version})` : "  (not runnable on this host)"}`);
}

const lines: string[] = [];
for (const { file } of built) lines.push(`${await sha256(file)}  ${basename(file)}`);
writeFileSync(join(outdir, "SHA256SUMS"), lines.length ? lines.join("\n") + "\n" : "");
console.log(`SHA256SUMS: ${built.length} binaries in ${outdir}`);

if (failed.length > 0) {
  console.error(
    `\n${failed.length} of ${targets.length} targets failed. Cross-compiling downloads Bun's runtime for each ` +
      "target from the npm registry (@oven/bun-<target>); without network access to it only the host target builds.",
  );
  for (const { target, reason } of failed) console.error(`  ${target}: ${reason}`);
  process.exit(1);
}
