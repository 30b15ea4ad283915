/**
 * Reads a trace's `traces.json` from its `mlflow.artifactLocation` (where MLflow clients upload
 * spans when the tracking store does not hold them), through the same artifact resolver as the
 * artifact proxy, so local and S3 destinations both work.
 */

import { resolveArtifactStore, type ResolverOptions } from "../artifacts/resolve.ts";
import { MlflowError } from "../errors.ts";

export function traceArtifactReader(resolver: ResolverOptions): (artifactLocation: string) => Promise<string | undefined> {
  return async (artifactLocation) => {
    try {
      const body = await resolveArtifactStore(artifactLocation, resolver).read("traces.json");
      return await new Response(body.stream).text();
    } catch (error) {
      if (error instanceof MlflowError && error.code === "RESOURCE_DOES_NOT_EXIST") return undefined;
      throw error;
    }
  };
}
