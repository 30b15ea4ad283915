/**
 * Recursive-descent parser for the shape shared by every MLflow filter grammar:
 *
 *   filter     := <empty> | or
 *   or         := and { OR and }             (only where OR is allowed: run search)
 *   and        := primary { AND primary }
 *   primary    := "(" or ")" | comparison    (parentheses only where OR is allowed)
 *   comparison := identifier comparator value | identifier IS [NOT] NULL
 *   identifier := part { "." part }          (parts glued together, no spaces)
 *   comparator := = | != | <> | == | > | >= | < | <= | LIKE | ILIKE | IN | NOT IN
 *   value      := number | 'text' | "text" | word | `text` | "(" value { "," value } [","] ")"
 *
 * It checks syntax only and keeps raw tokens; what an entity, key or value means is checked by
 * the grammar-specific modules (runs.ts, experiments.ts, registry.ts), in MLflow's order.
 */

import { SearchError } from "./errors.ts";
import { tokenize, type Token } from "./tokenizer.ts";

export interface RawIdentifier {
  /** The part before the first dot, back-ticks trimmed; undefined when there is no dot. */
  entity: string | undefined;
  /** The rest, with one level of quotes or back-ticks removed as MLflow does. */
  key: string;
  text: string;
}

export type RawValue =
  | { kind: "number"; text: string; value: number }
  | { kind: "string"; text: string; value: string }
  /** An unquoted word or a back-ticked name where a value belongs. */
  | { kind: "bare"; text: string }
  | { kind: "list"; text: string; items: RawValue[] }
  /** IS NULL / IS NOT NULL carry no value. */
  | { kind: "none"; text: string };

export interface RawComparison {
  type: "comparison";
  identifier: RawIdentifier;
  comparator: string;
  value: RawValue;
  text: string;
}

export type RawExpr =
  | { type: "and"; operands: RawExpr[] }
  | { type: "or"; operands: RawExpr[] }
  | RawComparison;

export interface SyntaxOptions {
  /** OR and grouping parentheses: an fml extension, offered for run search only. */
  allowOr: boolean;
  /** RLIKE as a comparator (trace search). */
  allowRlike?: boolean;
}

const KEYWORDS = new Set(["AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "TRUE", "FALSE"]);
const MAX_DEPTH = 50;
/** Keeps the compiled SQL within SQLite's expression-depth limit. */
export const MAX_CLAUSES = 400;

export function trimBackticks(s: string): string {
  return s.length >= 2 && s.startsWith("`") && s.endsWith("`") ? s.slice(1, -1) : s;
}

export function stripQuotes(s: string): string {
  const quoted = (q: string) => s.length >= 2 && s.startsWith(q) && s.endsWith(q);
  return quoted("'") || quoted('"') ? s.slice(1, -1) : s;
}

function isKeyword(t: Token, word?: string): boolean {
  if (t.kind !== "word") return false;
  const upper = t.text.toUpperCase();
  return word === undefined ? KEYWORDS.has(upper) : upper === word;
}

class Cursor {
  readonly tokens: Token[];
  pos = 0;
  constructor(readonly text: string) {
    this.tokens = tokenize(text);
  }
  peek(offset = 0): Token {
    const t = this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
    if (!t) throw new Error("token stream without eof");
    return t;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.pos++;
    return t;
  }
}

/** Reads `part { "." part }`, parts glued together. Fails via `fail(expected)` on bad syntax. */
function readIdentifier(c: Cursor, fail: (expected: string) => never): RawIdentifier {
  const first = c.peek();
  const isPart = (t: Token) => t.kind === "word" || t.kind === "backtick" || t.kind === "dquote";
  if (!isPart(first) || isKeyword(first)) fail("an identifier such as metrics.<key>, params.<key>, tags.<key> or an attribute");
  c.next();
  const parts: Token[] = [first];
  while (c.peek().kind === "dot" && c.peek().start === parts[parts.length - 1]?.end) {
    const dot = c.next();
    const part = c.peek();
    if (!(isPart(part) || part.kind === "number") || part.start !== dot.end) {
      fail(`a key right after '${c.text.slice(first.start, dot.end)}'`);
    }
    parts.push(c.next());
  }
  const last = parts[parts.length - 1] ?? first;
  const text = c.text.slice(first.start, last.end);
  if (parts.length === 1) return { entity: undefined, key: trimBackticks(stripQuotes(first.text)), text };
  const second = parts[1] ?? first;
  return {
    entity: trimBackticks(first.text),
    key: trimBackticks(stripQuotes(c.text.slice(second.start, last.end))),
    text,
  };
}

class FilterParser {
  private readonly c: Cursor;
  private clauseStart = 0;
  private clauses = 0;

  constructor(
    private readonly text: string,
    private readonly options: SyntaxOptions,
  ) {
    this.c = new Cursor(text);
  }

  parse(): RawExpr | undefined {
    if (this.c.peek().kind === "eof") return undefined;
    const expr = this.parseOr(0);
    const t = this.c.peek();
    if (t.kind !== "eof") {
      this.clauseStart = t.start;
      if (t.kind === "rparen") {
        throw new SearchError(`Invalid clause(s) in filter string: ')' (unmatched ')' at position ${t.start})`);
      }
      if (t.kind === "semicolon" && this.c.peek(1).kind !== "eof") {
        throw new SearchError(
          `Search filter contained multiple expression '${this.text}'. Provide AND-ed expression list.`,
        );
      }
      if (isKeyword(t, "OR")) this.orUnsupported(t);
      this.fail(this.options.allowOr ? "AND, OR or the end of the filter" : "AND or the end of the filter");
    }
    return expr;
  }

  private parseOr(depth: number): RawExpr {
    const operands = [this.parseAnd(depth)];
    while (isKeyword(this.c.peek(), "OR")) {
      if (!this.options.allowOr) this.orUnsupported(this.c.peek());
      this.c.next();
      operands.push(this.parseAnd(depth));
    }
    return operands.length === 1 ? (operands[0] as RawExpr) : { type: "or", operands };
  }

  private parseAnd(depth: number): RawExpr {
    const operands = [this.parsePrimary(depth)];
    while (isKeyword(this.c.peek(), "AND")) {
      this.c.next();
      operands.push(this.parsePrimary(depth));
    }
    return operands.length === 1 ? (operands[0] as RawExpr) : { type: "and", operands };
  }

  private parsePrimary(depth: number): RawExpr {
    const t = this.c.peek();
    this.clauseStart = t.start;
    if (t.kind !== "lparen") return this.parseComparison();
    if (!this.options.allowOr) {
      throw new SearchError(
        `Invalid clause(s) in filter string: '${t.text}' (grouping parentheses are not supported in this filter, at position ${t.start})`,
      );
    }
    if (depth >= MAX_DEPTH) this.fail(`at most ${MAX_DEPTH} levels of nested parentheses`);
    this.c.next();
    const inner = this.parseOr(depth + 1);
    if (this.c.peek().kind !== "rparen") {
      this.clauseStart = t.start;
      this.fail(`AND, OR or ')' to close the '(' at position ${t.start},`);
    }
    this.c.next();
    return inner;
  }

  private parseComparison(): RawComparison {
    const start = this.c.peek().start;
    if (++this.clauses > MAX_CLAUSES) {
      throw new SearchError(`Invalid filter: more than ${MAX_CLAUSES} comparisons in filter string`);
    }
    const identifier = readIdentifier(this.c, (e) => this.fail(e));
    const { comparator, value } = this.parseComparatorAndValue();
    const end = this.c.tokens[this.c.pos - 1]?.end ?? this.text.length;
    return { type: "comparison", identifier, comparator, value, text: this.text.slice(start, end) };
  }

  private parseComparatorAndValue(): { comparator: string; value: RawValue } {
    const t = this.c.peek();
    if (t.kind === "op") {
      this.c.next();
      return { comparator: t.text, value: this.parseValue() };
    }
    const rlike = this.options.allowRlike === true && isKeyword(t, "RLIKE");
    if (isKeyword(t, "LIKE") || isKeyword(t, "ILIKE") || isKeyword(t, "IN") || rlike) {
      this.c.next();
      return { comparator: t.text.toUpperCase(), value: this.parseValue() };
    }
    if (isKeyword(t, "NOT")) {
      this.c.next();
      if (!isKeyword(this.c.peek(), "IN")) this.fail("IN after NOT (NOT is only supported as NOT IN)");
      this.c.next();
      return { comparator: "NOT IN", value: this.parseValue() };
    }
    if (isKeyword(t, "IS")) {
      this.c.next();
      let comparator = "IS NULL";
      if (isKeyword(this.c.peek(), "NOT")) {
        this.c.next();
        comparator = "IS NOT NULL";
      }
      if (!isKeyword(this.c.peek(), "NULL")) this.fail(`NULL after '${comparator.replace(" NULL", "")}'`);
      const end = this.c.next();
      return { comparator, value: { kind: "none", text: this.text.slice(t.start, end.end) } };
    }
    return this.fail("a comparison operator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN, IS NULL)");
  }

  private parseValue(): RawValue {
    const t = this.c.peek();
    switch (t.kind) {
      case "number":
        this.c.next();
        return { kind: "number", text: t.text, value: Number(t.text) };
      case "squote":
      case "dquote":
        this.c.next();
        return { kind: "string", text: t.text, value: t.text.slice(1, -1) };
      case "backtick":
        this.c.next();
        return { kind: "bare", text: t.text };
      case "word":
        if (isKeyword(t)) break;
        this.c.next();
        return { kind: "bare", text: t.text };
      case "lparen":
        return this.parseList();
      default:
        break;
    }
    return this.fail("a value (a number, a quoted string or a parenthesised list)");
  }

  private parseList(): RawValue {
    const open = this.c.next();
    const items: RawValue[] = [];
    while (this.c.peek().kind !== "rparen") {
      const t = this.c.peek();
      if (t.kind === "lparen" || t.kind === "eof" || t.kind === "semicolon") {
        this.fail(t.kind === "lparen" ? "a list item" : `')' to close the list opened at position ${open.start}`);
      }
      items.push(this.parseValue());
      if (this.c.peek().kind === "comma") this.c.next();
      else if (this.c.peek().kind !== "rparen") this.fail("',' or ')' in the list");
    }
    const close = this.c.next();
    return { kind: "list", text: this.text.slice(open.start, close.end), items };
  }

  private orUnsupported(t: Token): never {
    throw new SearchError(
      `Invalid clause(s) in filter string: '${t.text}' (only AND is supported in this filter, at position ${t.start})`,
    );
  }

  private fail(expected: string): never {
    const t = this.c.peek();
    if (t.kind === "invalid") {
      const what = /^['"`]/.test(t.text)
        ? `unterminated quoted text starting at position ${t.start}`
        : `unexpected character '${t.text}' at position ${t.start}`;
      throw new SearchError(`Invalid clause(s) in filter string: '${this.snippet(t)}' (${what})`);
    }
    const where = t.kind === "eof" ? "at the end of the filter" : `at position ${t.start}`;
    throw new SearchError(`Invalid clause(s) in filter string: '${this.snippet(t)}' (expected ${expected} ${where})`);
  }

  private snippet(t: Token): string {
    const end = t.kind === "eof" || t.kind === "invalid" ? this.text.length : t.end;
    const text = this.text.slice(Math.min(this.clauseStart, t.start), end).trim();
    // A filter that ends where a clause should start: show what it ended with (`... AND`).
    return text || (this.c.tokens[this.c.pos - 1]?.text ?? "");
  }
}

/**
 * Longest filter and order_by clause parsed. Tokens take far more memory than their text (a 15 MB
 * filter took 500 MB and a second of the event loop), so longer text is refused before it is
 * tokenized. 256 KiB still holds an `IN` list of ~7,000 run ids.
 */
export const MAX_FILTER_LENGTH = 256 * 1024;
export const MAX_ORDER_BY_LENGTH = 1024;

export function parseFilterSyntax(text: string, options: SyntaxOptions): RawExpr | undefined {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new SearchError(`Invalid filter: longer than ${MAX_FILTER_LENGTH} characters (got ${text.length}).`);
  }
  return new FilterParser(text, options).parse();
}

export interface RawOrderBy {
  identifier: RawIdentifier;
  ascending: boolean;
}

/** `identifier [ASC|DESC]`, with MLflow's two messages for what goes wrong. */
export function parseOrderBySyntax(text: string): RawOrderBy {
  if (text.length > MAX_ORDER_BY_LENGTH) {
    throw new SearchError(`Invalid order_by clause: longer than ${MAX_ORDER_BY_LENGTH} characters (got ${text.length}).`);
  }
  const unparsable = (): never => {
    throw new SearchError(`Invalid order_by clause '${text}'. Could not be parsed.`);
  };
  const c = new Cursor(text);
  const identifier = readIdentifier(c, unparsable);
  let ascending = true;
  const t = c.peek();
  if (t.kind !== "eof") {
    if (t.kind !== "word" && t.kind !== "backtick" && t.kind !== "dquote" && t.kind !== "squote") unparsable();
    const direction = stripQuotes(trimBackticks(t.text)).toLowerCase();
    c.next();
    if (c.peek().kind !== "eof") unparsable();
    if (direction !== "asc" && direction !== "desc") {
      throw new SearchError(`Invalid ordering key in order_by clause '${text}'.`);
    }
    ascending = direction === "asc";
  }
  return { identifier, ascending };
}
