/**
 * A `Database` decorator that times every statement and reports those slower than a threshold
 * (`--database-slow-threshold`): the SQL text and its duration, never the bound values, which are
 * user data. Transactions hand out a timed connection too, so statements inside them are seen.
 */

import type { Database, Reader, Row } from "./database.ts";
import { render, type Sql } from "./sql.ts";

export interface SlowStatement {
  /** The statement's text with placeholders, whitespace collapsed. */
  text: string;
  durationMs: number;
}

export interface TimingOptions {
  thresholdMs: number;
  onSlow: (statement: SlowStatement) => void;
}

export class TimedDatabase implements Database {
  readonly dialect;

  constructor(
    private readonly inner: Database,
    private readonly options: TimingOptions,
  ) {
    this.dialect = inner.dialect;
  }

  private report(query: Sql, started: number): void {
    const durationMs = performance.now() - started;
    if (durationMs < this.options.thresholdMs) return;
    const text = render(query, this.dialect).text.replace(/\s+/g, " ").trim();
    this.options.onSlow({ text, durationMs });
  }

  private async timed<T>(query: Sql, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.report(query, started);
    }
  }

  all<T = Row>(query: Sql): Promise<T[]> {
    return this.timed(query, () => this.inner.all<T>(query));
  }

  run(query: Sql): Promise<number> {
    return this.timed(query, () => this.inner.run(query));
  }

  /** Counts the time spent waiting for batches, not the time the caller spends on them. */
  async *iterate<T = Row>(query: Sql, batchSize: number): AsyncIterable<T[]> {
    const iterator = this.inner.iterate<T>(query, batchSize)[Symbol.asyncIterator]();
    let waited = 0;
    try {
      while (true) {
        const started = performance.now();
        const next = await iterator.next();
        waited += performance.now() - started;
        if (next.done) break;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
      this.report(query, performance.now() - waited);
    }
  }

  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return this.inner.transaction((tx) => fn(new TimedDatabase(tx, this.options)));
  }

  /** Schema scripts, snapshots (import) and the schema lock run at start-up or offline: untimed. */
  exec(script: string): Promise<void> {
    return this.inner.exec(script);
  }

  snapshot<T>(fn: (reader: Reader) => Promise<T>): Promise<T> {
    return this.inner.snapshot(fn);
  }

  withSchemaLock<T>(fn: (session: Database) => Promise<T>): Promise<T> {
    return this.inner.withSchemaLock(fn);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Collapses long statements for a log line. */
export function describeSlow(statement: SlowStatement, thresholdMs: number, maxLength = 500): string {
  const text = statement.text.length > maxLength ? `${statement.text.slice(0, maxLength)}…` : statement.text;
  return `slow database statement: ${statement.durationMs.toFixed(1)} ms (threshold ${thresholdMs} ms): ${text}`;
}
