/**
 * Picks the artifact store for a URI by its scheme, so each experiment's artifact_location
 * chooses its own backend. `mlflow-artifacts:` URIs (and http URIs pointing at the proxy) live
 * under the server's `--artifacts-destination`, which may itself be local or S3.
 */

import { MlflowError } from "../errors.ts";
import { LocalArtifactStore } from "./local.ts";
import { safeArtifactPath } from "./paths.ts";
import { LazyS3ArtifactStore } from "./lazy-s3.ts";
import type { ArtifactStore } from "./types.ts";

export interface ResolverOptions {
  artifactsDestination: string;
  s3EndpointUri: string | undefined;
}

const schemeOf = (uri: string): string | undefined =>
  /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();

/** `root` + `/sub`, for URIs and paths alike. */
export function joinUri(root: string, sub: string): string {
  if (sub === "") return root;
  return `${root.replace(/\/+$/, "")}/${sub}`;
}

/** The path inside the destination that a proxied URI names; validated like any client path. */
function proxiedPath(uri: string): string | undefined {
  const scheme = schemeOf(uri);
  if (scheme === "mlflow-artifacts") {
    // mlflow-artifacts:/p, mlflow-artifacts:///p and mlflow-artifacts://host:port/p
    const rest = uri.slice("mlflow-artifacts:".length).replace(/^\/\/[^/]*/, "");
    return safeArtifactPath(rest.replace(/^\/+/, ""));
  }
  if (scheme === "http" || scheme === "https") {
    const marker = "/mlflow-artifacts/artifacts";
    let path: string;
    try {
      path = new URL(uri).pathname;
    } catch {
      return undefined; // not a URL at all, so not the proxy's either
    }
    const at = path.indexOf(marker);
    if (at >= 0) return safeArtifactPath(path.slice(at + marker.length).replace(/^\/+/, ""), true);
  }
  return undefined;
}

export function resolveArtifactStore(uri: string, options: ResolverOptions): ArtifactStore {
  const proxied = proxiedPath(uri);
  if (proxied !== undefined) {
    const destination = options.artifactsDestination;
    if (proxiedPath(destination) !== undefined) {
      throw new MlflowError("INVALID_STATE", `--artifacts-destination cannot itself be a proxied URI: '${destination}'`);
    }
    return resolveArtifactStore(joinUri(destination, proxied), options);
  }
  const scheme = schemeOf(uri);
  // A single letter before the colon is a Windows drive, not a scheme.
  if (scheme === undefined || scheme.length === 1 || scheme === "file") return new LocalArtifactStore(uri);
  if (scheme === "s3" || scheme === "s3a") return new LazyS3ArtifactStore(uri, { endpoint: options.s3EndpointUri });
  throw new MlflowError(
    "NOT_IMPLEMENTED",
    `fml cannot access artifacts at '${uri}': the '${scheme}' scheme is not supported (use a local path, file:// or s3://)`,
  );
}
