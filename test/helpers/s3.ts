/**
 * A throwaway S3 for a test: moto's server on a free local port, with one bucket created through
 * the AWS SDK. `stop` ends the process.
 */

import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { createServer } from "node:net";

export const s3TestEnv = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_DEFAULT_REGION: "us-east-1",
};

export interface MotoServer {
  endpoint: string;
  bucket: string;
  client: S3Client;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

export async function isMotoAvailable(): Promise<boolean> {
  const probe = Bun.spawnSync(["python3", "-c", "import moto.server"]);
  return probe.exitCode === 0;
}

export async function startMoto(bucket = "fml-test"): Promise<MotoServer> {
  const port = await freePort();
  const child = Bun.spawn(["python3", "-m", "moto.server", "-p", String(port), "-H", "127.0.0.1"], {
    stdout: "ignore",
    stderr: "ignore",
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      await fetch(`${endpoint}/`);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill();
        throw new Error(`moto server did not start on ${endpoint}`);
      }
      await Bun.sleep(100);
    }
  }
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: s3TestEnv.AWS_DEFAULT_REGION,
    credentials: { accessKeyId: s3TestEnv.AWS_ACCESS_KEY_ID, secretAccessKey: s3TestEnv.AWS_SECRET_ACCESS_KEY },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    client,
    async stop() {
      client.destroy();
      child.kill();
      await child.exited;
    },
  };
}
