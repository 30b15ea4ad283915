/**
 * Every `fml server` setting in one table: its flag, the flag's aliases (MLflow's spellings), the
 * environment variables that set it (`FML_*` first, then MLflow's own names), and its help text.
 * The command line, `--help` and the configuration resolver all read this table, so a setting
 * cannot be documented under one name and read under another.
 */

export interface Setting {
  type: "string" | "boolean";
  /** Other spellings: one letter is a short flag (`-p`), longer ones long flags (`--backend-store-uri`). */
  alias?: string[];
  /** Variables in precedence order: `FML_*` names before MLflow's. */
  env: string[];
  description: string;
  /** Shown in `--help`; the resolver holds the real defaults. */
  default?: string;
  /** The flag pair MLflow spells differently (`--enable-workspaces/--disable-workspaces`). */
  negation?: string;
}

export const serverSettings = {
  "listen-address": {
    type: "string",
    env: ["FML_LISTEN_ADDRESS"],
    description: "host:port to listen on",
    default: "127.0.0.1:5000",
  },
  host: {
    type: "string",
    alias: ["h"],
    env: ["FML_HOST", "MLFLOW_HOST"],
    description: "MLflow's way to set the host to listen on",
    default: "127.0.0.1",
  },
  port: {
    type: "string",
    alias: ["p"],
    env: ["FML_PORT", "MLFLOW_PORT"],
    description: "MLflow's way to set the port to listen on",
    default: "5000",
  },
  "database-uri": {
    type: "string",
    alias: ["backend-store-uri"],
    env: ["FML_DATABASE_URI", "FML_BACKEND_STORE_URI", "MLFLOW_BACKEND_STORE_URI"],
    description: "sqlite://<file>, postgresql://user:pass@host/db or mysql://user:pass@host/db",
    default: "sqlite://fml.db",
  },
  "registry-store-uri": {
    type: "string",
    env: ["FML_REGISTRY_STORE_URI", "MLFLOW_REGISTRY_STORE_URI"],
    description: "fml keeps the model registry in the tracking database: only that same URI is accepted",
  },
  "artifact-root": {
    type: "string",
    alias: ["default-artifact-root"],
    env: ["FML_ARTIFACT_ROOT", "FML_DEFAULT_ARTIFACT_ROOT", "MLFLOW_DEFAULT_ARTIFACT_ROOT"],
    description: "where new experiments store artifacts: a local path, file://, s3://bucket/path or mlflow-artifacts:/",
    default: "mlflow-artifacts:/ when serving artifacts, else ./mlruns",
  },
  "artifacts-destination": {
    type: "string",
    env: ["FML_ARTIFACTS_DESTINATION", "MLFLOW_ARTIFACTS_DESTINATION"],
    description: "where fml stores proxied (mlflow-artifacts:) artifacts: a local path or s3://bucket/path",
    default: "./mlartifacts",
  },
  "serve-artifacts": {
    type: "boolean",
    env: ["FML_SERVE_ARTIFACTS", "MLFLOW_SERVE_ARTIFACTS"],
    description: "proxy artifact uploads and downloads",
    default: "true",
  },
  "artifacts-only": {
    type: "boolean",
    env: ["FML_ARTIFACTS_ONLY", "MLFLOW_ARTIFACTS_ONLY"],
    description: "serve only the artifact proxy (/api/2.0/mlflow-artifacts/...); tracking endpoints answer 503",
    default: "false",
  },
  "s3-endpoint-uri": {
    type: "string",
    env: ["FML_S3_ENDPOINT_URI", "MLFLOW_S3_ENDPOINT_URL"],
    description: "S3-compatible endpoint, e.g. http://127.0.0.1:9000",
  },
  "static-prefix": {
    type: "string",
    env: ["FML_STATIC_PREFIX", "MLFLOW_STATIC_PREFIX"],
    description: "serve everything (UI, API, health) under this path prefix, e.g. /mlflow",
  },
  "database-migrate": {
    type: "boolean",
    env: ["FML_DATABASE_MIGRATE"],
    description: "upgrade an older MLflow schema at start-up",
    default: "true",
  },
  "database-pool-max": {
    type: "string",
    env: ["FML_DATABASE_POOL_MAX"],
    description: "maximum PostgreSQL or MySQL connections",
    default: "10",
  },
  "database-cache-size": {
    type: "string",
    env: ["FML_DATABASE_CACHE_SIZE"],
    description: "SQLite page cache for reads, in MB",
    default: "64",
  },
  "log-level": {
    type: "string",
    env: ["FML_LOG_LEVEL"],
    description: "debug, info, warn or error",
    default: "info",
  },
  "log-format": {
    type: "string",
    env: ["FML_LOG_FORMAT"],
    description: "text or json, for every log line",
    default: "text",
  },
  "database-slow-threshold": {
    type: "string",
    env: ["FML_DATABASE_SLOW_THRESHOLD"],
    description: "log database statements slower than this many ms, 0 = off",
    default: "1000",
  },
  "auth-username": {
    type: "string",
    env: ["FML_AUTH_USERNAME"],
    description: "require HTTP basic auth with this username (default: no auth)",
  },
  "auth-password": {
    type: "string",
    env: ["FML_AUTH_PASSWORD"],
    description: "the basic-auth password; prefer the variable, flags show in ps",
  },
  "auth-tokens-file": {
    type: "string",
    env: ["FML_AUTH_TOKENS_FILE"],
    description: "accept bearer tokens whose SHA-256 hex digest ([name:]digest) is a line of this file",
  },
  "shutdown-timeout": {
    type: "string",
    env: ["FML_SHUTDOWN_TIMEOUT"],
    description: "after SIGTERM, exit anyway after this long, e.g. 30s",
    default: "30s",
  },
  "expose-prometheus": {
    type: "string",
    env: ["MLFLOW_EXPOSE_PROMETHEUS"],
    description: "MLflow's metrics directory: fml always serves /metrics from memory, the directory is not used",
  },
  dev: {
    type: "boolean",
    env: [],
    description: "MLflow's development mode: here, debug logging (fml does not auto-reload)",
  },
  "app-name": {
    type: "string",
    env: [],
    description: "MLflow's app plugin: only basic-auth, served by fml's --auth-* settings",
  },
  "x-frame-options": {
    type: "string",
    env: ["MLFLOW_SERVER_X_FRAME_OPTIONS"],
    description: "X-Frame-Options header on every response: SAMEORIGIN, DENY or NONE (no header)",
    default: "SAMEORIGIN",
  },
  workers: {
    type: "string",
    alias: ["w"],
    env: ["MLFLOW_WORKERS"],
    description: "MLflow's worker processes: not needed, one fml process serves requests concurrently",
  },
  "gunicorn-opts": { type: "string", env: ["MLFLOW_GUNICORN_OPTS"], description: "not needed by fml (no gunicorn)" },
  "uvicorn-opts": { type: "string", env: ["MLFLOW_UVICORN_OPTS"], description: "not needed by fml (no uvicorn)" },
  "waitress-opts": { type: "string", env: [], description: "not needed by fml (no waitress)" },
  "allowed-hosts": {
    type: "string",
    env: ["MLFLOW_SERVER_ALLOWED_HOSTS"],
    description: "MLflow's Host-header check: not implemented by fml, logged and ignored",
  },
  "cors-allowed-origins": {
    type: "string",
    env: ["MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"],
    description: "MLflow's CORS allow-list: fml sends no CORS headers, so browsers keep cross-origin calls out",
  },
  "disable-security-middleware": {
    type: "boolean",
    env: ["MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE"],
    description: "MLflow's switch for its Host/CORS checks: fml has none to disable",
  },
  "secrets-cache-ttl": { type: "string", env: [], description: "not needed by fml (no secrets store)" },
  "secrets-cache-max-size": { type: "string", env: [], description: "not needed by fml (no secrets store)" },
  "workspace-store-uri": {
    type: "string",
    env: ["MLFLOW_WORKSPACE_STORE_URI"],
    description: "ignored, as by MLflow without workspaces",
  },
  "enable-workspaces": {
    type: "boolean",
    env: ["MLFLOW_ENABLE_WORKSPACES"],
    negation: "disable-workspaces",
    description: "MLflow workspaces: not supported by fml, refused when enabled",
    default: "false",
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof serverSettings;
