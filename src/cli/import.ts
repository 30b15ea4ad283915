/**
 * `fml import --input-database-uri A --output-database-uri B`: moves an MLflow database between
 * SQLite, PostgreSQL and MySQL (any direction, or to another server), ids included, and proves it with a
 * per-table row count at the end.
 */

import { defineCommand, type ArgsDef } from "citty";
import { maskPassword, parseDatabaseUri } from "../config.ts";
import { importDatabase, ImportError, type ImportReport, type OnConflict } from "../import/copy.ts";
import { rejectUnknownFlags } from "./flags.ts";

const importArgs = {
  "input-database-uri": {
    type: "string",
    description: "the MLflow database to copy from: sqlite://<file>, postgresql://user@host/db or mysql://user@host/db (never changed)",
  },
  "output-database-uri": {
    type: "string",
    description: "the database to copy into; its schema is created or upgraded first",
  },
  "on-conflict": {
    type: "string",
    description:
      "fail (default): refuse an output that already holds runs or experiments; " +
      "skip: keep rows already in the output and add the missing ones",
  },
} as const satisfies ArgsDef;

const onConflictValues: readonly OnConflict[] = ["fail", "skip"];

function required(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== "string" || value === "") throw new ImportError(`--${name} is required (see fml import --help)`);
  return value;
}

/** One self-updating line on a terminal; nothing when stderr is a file or a pipe. */
function progressLine(): { update(copied: number, total: number, table: string): void; done(): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(copied, total, table) {
      const now = performance.now();
      if (now - last < 100 && copied < total) return;
      last = now;
      shown = true;
      const percent = total ? Math.floor((copied / total) * 100) : 100;
      process.stderr.write(
        `\r\x1b[Kimporting ${table}: ${copied.toLocaleString("en")} / ${total.toLocaleString("en")} rows (${percent}%)`,
      );
    },
    done() {
      if (shown) process.stderr.write("\r\x1b[K");
    },
  };
}

function printReport(report: ImportReport, input: string, output: string): void {
  const width = Math.max(...report.tables.map((t) => t.table.length), 5);
  const pad = (text: string | number, n: number): string => String(text).padStart(n);
  const lines = [`${"table".padEnd(width)}  ${pad("input", 10)}  ${pad("written", 10)}  ${pad("output", 10)}`];
  for (const t of report.tables) {
    lines.push(`${t.table.padEnd(width)}  ${pad(t.source, 10)}  ${pad(t.written, 10)}  ${pad(t.after, 10)}`);
  }
  const rows = report.tables.reduce((sum, t) => sum + t.written, 0);
  const kept = report.tables.reduce((sum, t) => sum + Math.max(0, t.source - t.written), 0);
  lines.push(
    `imported ${rows} rows from ${input} into ${output}` +
      (kept > 0 ? ` (${kept} already there, kept)` : "") +
      "; row counts check out",
  );
  if (report.notImported.length > 0) {
    lines.push(
      `not imported (fml imports tracking and registry data): ` +
        report.notImported.map((t) => `${t.table} (${t.rows} rows)`).join(", "),
    );
  }
  console.log(lines.join("\n"));
}

export const importCommand = defineCommand({
  meta: {
    name: "import",
    description: "Copy an MLflow database (SQLite, PostgreSQL or MySQL) into another, keeping all ids",
  },
  args: importArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, importArgs, "fml import --help");
    const onConflict = (args["on-conflict"] || "fail") as OnConflict;
    if (!onConflictValues.includes(onConflict)) {
      throw new ImportError(`--on-conflict must be fail or skip, got '${onConflict}'`);
    }
    const input = parseDatabaseUri(required(args, "input-database-uri"), process.cwd());
    const output = parseDatabaseUri(required(args, "output-database-uri"), process.cwd());
    const progress = progressLine();
    const log = (line: string): void => {
      progress.done();
      process.stderr.write(`${line}\n`);
    };
    let report: ImportReport;
    try {
      report = await importDatabase({ input, output, onConflict, log, progress: progress.update });
    } finally {
      progress.done();
    }
    printReport(report, maskPassword(input.uri), maskPassword(output.uri));
  },
});
