/**
 * Operators' logs: `--log-format json` makes every line one JSON object, and statements slower
 * than `--database-slow-threshold` are logged with their SQL text but never their values.
 */

import { describe, expect, test } from "bun:test";
import { startFml } from "../helpers/server.ts";

describe("logging", () => {
  test("json lines and slow statements without bound values", async () => {
    const fml = await startFml({ args: ["--log-format", "json", "--database-slow-threshold", "1"] });
    try {
      const exp = await fml.api<{ experiment_id: string }>("POST", "experiments/create", { name: "secret-name-42" });
      const run = await fml.api<{ run: { info: { run_id: string } } }>("POST", "runs/create", {
        experiment_id: exp.body.experiment_id,
      });
      for (let b = 0; b < 5; b++) {
        const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 10}`, value: i, timestamp: i, step: b * 1000 + i }));
        await fml.api("POST", "runs/log-batch", { run_id: run.body.run.info.run_id, metrics });
      }
      await Bun.sleep(100);
      const lines = fml.logs().trim().split("\n");
      const parsed = lines.map((line) => JSON.parse(line) as { time: string; level: string; msg?: string });
      expect(parsed.every((p) => typeof p.time === "string" && typeof p.level === "string")).toBe(true);
      const slow = parsed.filter((p) => p.level === "warn" && /slow/i.test(p.msg ?? ""));
      expect(slow.length).toBeGreaterThan(0);
      expect(fml.logs()).not.toContain("secret-name-42");
    } finally {
      await fml.stop();
    }
  });
});
