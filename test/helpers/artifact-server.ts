/**
 * An fml server whose proxied artifacts live on local disk or in S3 (moto), with a second root
 * outside the proxy that tests write to directly, as a client with its own credentials would.
 */

import { PutObjectCommand } from "@aws-sdk/client-s3";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startMoto, s3TestEnv, type MotoServer } from "./s3.ts";
import { startFml, type FmlServer } from "./server.ts";

export type ArtifactKind = "local" | "s3";

export interface ArtifactServer {
  server: FmlServer;
  /** An artifact_location outside the proxy, accessed by the server directly. */
  directRoot: string;
  putDirect(key: string, data: Uint8Array | string): Promise<void>;
  stop(): Promise<void>;
}

export async function startArtifactServer(kind: ArtifactKind): Promise<ArtifactServer> {
  let moto: MotoServer | undefined;
  if (kind === "s3") {
    const m = await startMoto();
    moto = m;
    const server = await startFml({
      args: ["--artifacts-destination", `s3://${m.bucket}/prefix`, "--s3-endpoint-uri", m.endpoint],
      env: s3TestEnv,
    });
    return {
      server,
      directRoot: `s3://${m.bucket}/direct`,
      async putDirect(key, data) {
        await m.client.send(new PutObjectCommand({ Bucket: m.bucket, Key: `direct/${key}`, Body: data }));
      },
      async stop() {
        await server.stop();
        await moto?.stop();
      },
    };
  }
  const server = await startFml();
  const directRoot = join(server.dir, "direct-root");
  return {
    server,
    directRoot,
    async putDirect(key, data) {
      const path = join(directRoot, key);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, data);
    },
    stop: async () => void (await server.stop()),
  };
}
