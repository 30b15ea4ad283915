/**
 * `--help` text that reads like documentation in a terminal, a pipe or a file: every spelling of
 * a flag as it is typed (`-p, --port`, `--no-serve-artifacts`), wrapped to the terminal's width
 * (80 columns when stdout is not a terminal) and coloured only on a terminal.
 */

import type { ArgDef, ArgsDef, CommandDef } from "citty";

export interface HelpOutput {
  isTTY: boolean;
  columns: number | undefined;
  noColor: boolean;
}

export function helpOutput(): HelpOutput {
  return {
    isTTY: process.stdout.isTTY === true,
    columns: process.stdout.columns,
    noColor: process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "",
  };
}

/** Greedy word wrap; a word longer than the width gets a line of its own. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function spellings(name: string, def: ArgDef): string {
  const aliases = "alias" in def && def.alias ? [def.alias].flat() : [];
  const dash = (s: string) => (s.length === 1 ? `-${s}` : `--${s}`);
  const names = [...aliases.filter((a) => a.length === 1), name, ...aliases.filter((a) => a.length > 1)];
  const forms = names.map(dash);
  if (def.type === "boolean") forms.push(...names.filter((n) => n.length > 1).map((n) => `--no-${n}`));
  const hint = def.type === "string" ? ` <${("valueHint" in def && def.valueHint) || "value"}>` : "";
  return forms.join(", ") + hint;
}

const FLAG_COLUMN = 30;

type Resolvable<T> = T | (() => T) | (() => Promise<T>);

/** citty lets meta, args and sub-commands be values or (async) functions returning them. */
export async function resolveValue<T>(value: Resolvable<T> | Promise<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

export async function renderHelp(command: CommandDef, parent: CommandDef | undefined, out: HelpOutput): Promise<string> {
  const width = Math.max(40, out.isTTY && out.columns ? out.columns : 80);
  const color = out.isTTY && !out.noColor;
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const heading = (text: string) => paint(1, text);

  const meta = command.meta && (await resolveValue(command.meta));
  const parentMeta = parent?.meta && (await resolveValue(parent.meta));
  const fullName = [parentMeta?.name, meta?.name].filter(Boolean).join(" ");
  const args: ArgsDef = command.args ? await resolveValue(command.args) : {};
  const subCommands = command.subCommands && ((await resolveValue(command.subCommands)) as Record<string, CommandDef>);

  const lines: string[] = [];
  if (meta?.description) lines.push(...wrap(meta.description, width), "");
  const usage = `${fullName}${subCommands ? " <command>" : ""}${Object.keys(args).length ? " [options]" : ""}`;
  lines.push(`${heading("Usage:")} ${usage}`, "");

  const indent = "  ";
  const rows = (entries: [string, string][]): void => {
    const widest = Math.min(FLAG_COLUMN, Math.max(...entries.map(([left]) => left.length)));
    // On a narrow terminal descriptions go under their flag, indented a little.
    const column = width - indent.length - widest - 2 < 44 ? 4 : widest;
    for (const [left, right] of entries) {
      const text = wrap(right, width - indent.length - column - 2);
      const pad = `${indent}${" ".repeat(column + 2)}`;
      if (left.length <= column) {
        const [first = "", ...rest] = text;
        lines.push(`${indent}${paint(36, left)}${" ".repeat(column - left.length + 2)}${first}`.trimEnd());
        for (const more of rest) lines.push(`${pad}${more}`);
      } else {
        // Spellings too long for one line go one per line.
        const spellingLines = left.length > width - indent.length ? left.split(", ").map((part, i, all) => part + (i < all.length - 1 ? "," : "")) : [left];
        for (const spelling of spellingLines) lines.push(`${indent}${paint(36, spelling)}`);
        for (const more of text) lines.push(`${pad}${more}`);
      }
    }
  };

  if (subCommands) {
    lines.push(heading("Commands:"));
    const entries: [string, string][] = [];
    for (const [name, sub] of Object.entries(subCommands)) entries.push([name, (sub.meta && (await resolveValue(sub.meta)).description) ?? ""]);
    rows(entries);
    if (!parent) {
      lines.push("", heading("Options:"));
      rows([["--version", "print fml's version"], ["--help", "show this help"]]);
    }
    lines.push("", `Run '${fullName} <command> --help' for a command's options.`);
  }
  const options = Object.entries(args).filter(([, def]) => def.type !== "positional");
  if (options.length) {
    lines.push(heading("Options:"));
    rows(options.map(([name, def]) => [spellings(name, def), def.description ?? ""]));
    rows([["--help", "show this help"]]);
  }
  return lines.join("\n");
}
