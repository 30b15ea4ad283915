/**
 * packaging/systemd/fml.service passes `systemd-analyze verify` without a single warning and
 * scores as well hardened by `systemd-analyze security`. Skipped, visibly, without systemd-analyze.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers/server.ts";

const analyze = Bun.which("systemd-analyze");
const unit = readFileSync(join(repoRoot, "packaging/systemd/fml.service"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "fml-systemd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** verify checks that ExecStart exists: point it at an executable that does here. */
function unitFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text.replace("ExecStart=/usr/local/bin/fml", `ExecStart=${process.execPath}`));
  return path;
}

function verify(path: string): { code: number; output: string } {
  const result = Bun.spawnSync([analyze as string, "verify", path], { stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode ?? -1, output: (result.stdout.toString() + result.stderr.toString()).trim() };
}

test("the unit keeps the database and artifacts in StateDirectory and reads FML_* from /etc/fml/fml.env", () => {
  expect(unit).toContain("StateDirectory=fml\n");
  expect(unit).toContain("WorkingDirectory=/var/lib/fml\n");
  expect(unit).toContain("Environment=FML_DATABASE_URI=sqlite:////var/lib/fml/fml.db\n");
  expect(unit).toContain("EnvironmentFile=-/etc/fml/fml.env\n");
  expect(unit).toContain("Restart=on-failure\n");
  expect(unit).toContain("DynamicUser=yes\n");
});

describe.skipIf(!analyze)(`systemd-analyze${analyze ? "" : " (skipped: systemd-analyze is not installed)"}`, () => {
  test("verify accepts fml.service without any warning", () => {
    const result = verify(unitFile("fml.service", unit));
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  test("verify does read the file: a misspelt key is reported (control)", () => {
    const result = verify(unitFile("fml.service", unit.replace("Restart=on-failure", "Restartt=on-failure")));
    expect(result.output).toContain("Unknown key 'Restartt'");
  });

  test("security rates the sandbox as OK or better", () => {
    const result = Bun.spawnSync([analyze as string, "security", "--offline=true", unitFile("fml.service", unit)], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const text = result.stdout.toString() + result.stderr.toString();
    const score = /Overall exposure level for fml\.service: ([\d.]+)/.exec(text);
    if (!score) {
      console.warn(`systemd-analyze security --offline is not supported here:\n${text.slice(0, 300)}`);
      return;
    }
    expect(Number(score[1])).toBeLessThan(3);
  });
});

test("the unit's Documentation= is the README it installs, not a placeholder URL", () => {
  const documentation = /^Documentation=(.+)$/m.exec(unit)?.[1];
  expect(documentation).toBe("file:/usr/local/share/doc/fml/README.md");
  expect(unit).toContain("install -D -m 0644 README.md /usr/local/share/doc/fml/README.md");
});
