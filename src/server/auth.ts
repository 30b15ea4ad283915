/**
 * Optional authentication for every route but `/health` and `/ready`: HTTP basic auth with one
 * username and password (what MLflow clients send for MLFLOW_TRACKING_USERNAME/PASSWORD) and
 * bearer tokens (MLFLOW_TRACKING_TOKEN) checked against a file of SHA-256 hashes, so the file
 * holds no secret. Comparisons are on digests with `timingSafeEqual`; no secret is ever logged.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { MiddlewareHandler } from "hono";
import { ConfigError, type AuthConfig } from "../config.ts";

export interface TokenHash {
  name: string;
  digest: Buffer;
}

export interface AuthOptions {
  username?: string;
  password?: string;
  tokens: TokenHash[];
}

const OPEN_PATHS = new Set(["/health", "/ready"]);

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * The tokens file: one SHA-256 hex digest per line, optionally `name:` before it; blank lines and
 * `#` comments are ignored. Make a line with: `printf %s "$TOKEN" | sha256sum | cut -d' ' -f1`.
 */
export function parseTokensFile(text: string, path: string): TokenHash[] {
  const tokens: TokenHash[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.lastIndexOf(":");
    const name = colon === -1 ? `token${tokens.length + 1}` : line.slice(0, colon).trim();
    const hex = (colon === -1 ? line : line.slice(colon + 1)).trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new ConfigError(`${path}:${i + 1}: expected a SHA-256 hex digest (64 hex digits), optionally after 'name:'`);
    }
    tokens.push({ name, digest: Buffer.from(hex, "hex") });
  });
  return tokens;
}

export function loadAuthOptions(config: AuthConfig): AuthOptions | undefined {
  if (config.username === undefined && config.tokensFile === undefined) return undefined;
  let tokens: TokenHash[] = [];
  if (config.tokensFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.tokensFile, "utf8");
    } catch (error) {
      throw new ConfigError(`cannot read --auth-tokens-file ${config.tokensFile}: ${(error as Error).message}`);
    }
    tokens = parseTokensFile(text, config.tokensFile);
  }
  return { username: config.username, password: config.password, tokens };
}

/** Who the credentials belong to, or undefined when they are missing or wrong. */
export function authenticate(header: string | undefined, options: AuthOptions): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(" ");
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (scheme === "basic" && options.username !== undefined && options.password !== undefined) {
    let decoded: string;
    try {
      decoded = Buffer.from(credentials, "base64").toString("utf8");
    } catch {
      return undefined;
    }
    const colon = decoded.indexOf(":");
    if (colon === -1) return undefined;
    // Both halves are always compared, so the time taken says nothing about which was wrong.
    const userOk = timingSafeEqual(sha256(decoded.slice(0, colon)), sha256(options.username));
    const passwordOk = timingSafeEqual(sha256(decoded.slice(colon + 1)), sha256(options.password));
    return userOk && passwordOk ? options.username : undefined;
  }
  if (scheme === "bearer" && options.tokens.length > 0) {
    const digest = sha256(credentials);
    let match: string | undefined;
    for (const token of options.tokens) {
      if (timingSafeEqual(digest, token.digest)) match ??= token.name;
    }
    return match;
  }
  return undefined;
}

export function authMiddleware(options: AuthOptions): MiddlewareHandler {
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    if (authenticate(c.req.header("authorization"), options) === undefined) {
      return c.text(
        "You are not authenticated. Set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, " +
          "or MLFLOW_TRACKING_TOKEN.",
        401,
        { "www-authenticate": 'Basic realm="fml"' },
      );
    }
    return next();
  };
}
