/**
 * The README's shell commands run as written on a machine with only Node.js and npm after
 * `npm ci`: each starts with npm, npx, ./dist/fml or a system tool, every `npm run <script>`
 * exists, and no dependency's install script is left for npm to warn about.
 */

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers/server.ts";

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

/** Every command line of the README's ```sh blocks, comments stripped. */
function shellCommands(): string[] {
  const commands: string[] = [];
  let inShell = false;
  let inBlock = false;
  for (const line of readme.split("\n")) {
    if (line.startsWith("```")) {
      inShell = !inBlock && /^```(sh|bash|shell)\s*$/.test(line);
      inBlock = !inBlock;
      continue;
    }
    if (!inShell) continue;
    const command = line.replace(/\s+#.*$/, "").trim();
    if (command && !command.startsWith("#")) commands.push(command);
  }
  return commands;
}

// System tools an operator has (or installs), and MLflow's own command in a before/after example.
const SYSTEM = new Set(["export", "install", "systemctl", "journalctl", "docker", "mlflow", "curl", "cd", "sha256sum", "podman", "openssl", "printf"]);

describe("README commands", () => {
  const commands = shellCommands();

  test("there are shell commands to check", () => {
    expect(commands.length).toBeGreaterThan(10);
  });

  test("each starts with npm, npx, ./dist/fml, a release binary or a system tool; none with bare bun, deno or fml", () => {
    const notRunnable = commands
      .flatMap((command) => command.split(/&&|\|\|/).map((part) => part.trim()))
      .filter((part) => {
        // `name=$(tool ...)` runs tool.
        const first = part.replace(/^\w+=\$\(/, "").split(/\s+/)[0] as string;
        return !(["npm", "npx", "./dist/fml"].includes(first) || /^\.\/fml-[\d.]+-linux-/.test(first) || SYSTEM.has(first));
      });
    expect(notRunnable).toEqual([]);
  });

  test("every `npm run <script>` and `npx <tool>` exists after npm ci", () => {
    for (const match of readme.matchAll(/npm run ([\w:-]+)/g)) {
      expect({ script: match[1], exists: match[1] as string in pkg.scripts }).toEqual({ script: match[1], exists: true });
    }
    for (const match of readme.matchAll(/npx ([\w-]+)/g)) {
      expect(existsSync(join(repoRoot, "node_modules/.bin", match[1] as string))).toBe(true);
    }
  });

  test("npm run fml runs the command line from source", () => {
    const result = Bun.spawnSync(["npm", "run", "--silent", "fml", "--", "--version"], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString()).toMatch(/^fml \d+\.\d+\.\d+/);
  });

  test("every installed package with an install script is declared in allowScripts", () => {
    const modules = join(repoRoot, "node_modules");
    const names = readdirSync(modules).flatMap((name) =>
      name.startsWith("@") ? readdirSync(join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
    );
    const withScripts = names.filter((name) => {
      const file = join(modules, name, "package.json");
      if (!existsSync(file)) return false;
      const scripts = (JSON.parse(readFileSync(file, "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
      return ["preinstall", "install", "postinstall"].some((hook) => hook in scripts);
    });
    expect(withScripts.sort()).toEqual(["bun", "deno"]);
    for (const name of withScripts) expect(pkg.allowScripts?.[name]).toBe(true);
  });
});
