/**
 * Tokenizer for MLflow's search filter and order_by strings. It recognises the same lexemes as the
 * SQL tokenizer MLflow uses (quoted strings with '' and \' escapes, back-ticked names, numbers with
 * an optional sign and exponent, comparison operators) and keeps each token's source span so
 * errors can point at the offending text. It never fails: text it cannot read becomes an
 * `invalid` token for the parser to report.
 */

export type TokenKind =
  | "word"
  | "backtick"
  | "dquote"
  | "squote"
  | "number"
  | "op"
  | "lparen"
  | "rparen"
  | "comma"
  | "dot"
  | "semicolon"
  | "invalid"
  | "eof";

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const SQUOTE = /'(?:''|\\'|[^'])*'/y;
const DQUOTE = /"(?:""|\\"|[^"])*"/y;
const BACKTICK = /`(?:``|[^`])*`/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\p{L}\p{N}_])/uy;
const WORD = /[\p{L}\p{N}_]+/uy;
const OP = /<=|>=|<>|!=|==|=|<|>/y;
const SPACE = /\s+/y;

const PUNCTUATION: Record<string, TokenKind> = {
  "(": "lparen",
  ")": "rparen",
  ",": "comma",
  ";": "semicolon",
};

function match(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, lexeme: string): void => {
    tokens.push({ kind, text: lexeme, start: i, end: i + lexeme.length });
    i += lexeme.length;
  };

  while (i < text.length) {
    const space = match(SPACE, text, i);
    if (space) {
      i += space.length;
      continue;
    }
    const ch = text[i] ?? "";
    const prev = tokens[tokens.length - 1];
    const touchesPrev = prev !== undefined && prev.end === i;

    if (ch === "'" || ch === '"' || ch === "`") {
      const re = ch === "'" ? SQUOTE : ch === '"' ? DQUOTE : BACKTICK;
      const lexeme = match(re, text, i);
      if (lexeme) push(ch === "'" ? "squote" : ch === '"' ? "dquote" : "backtick", lexeme);
      else push("invalid", text.slice(i));
      continue;
    }
    // `metrics.acc`: a dot glued to a name separates identifier parts; `.5` elsewhere is a number.
    if (ch === "." && touchesPrev && ["word", "backtick", "dquote"].includes(prev.kind)) {
      push("dot", ".");
      continue;
    }
    // After such a dot, `metrics.1st` is a name part, not a number.
    const afterDot = touchesPrev && prev.kind === "dot";
    const word = afterDot ? match(WORD, text, i) : undefined;
    if (word) {
      push("word", word);
      continue;
    }
    const number = match(NUMBER, text, i);
    if (number) {
      push("number", number);
      continue;
    }
    const name = match(WORD, text, i);
    if (name) {
      push("word", name);
      continue;
    }
    const op = match(OP, text, i);
    if (op) {
      push("op", op);
      continue;
    }
    const punct = PUNCTUATION[ch];
    if (punct) {
      push(punct, ch);
      continue;
    }
    if (ch === ".") {
      push("dot", ".");
      continue;
    }
    push("invalid", String.fromCodePoint(text.codePointAt(i) ?? 0));
  }
  tokens.push({ kind: "eof", text: "", start: text.length, end: text.length });
  return tokens;
}
