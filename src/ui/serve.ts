/**
 * Serves the embedded web UI: `/` is the single page, `/static-files/<name>` its bundled assets.
 * Asset names carry a content hash, so they are cached for a year; the page itself is revalidated
 * so a new binary's UI shows up on reload.
 */

import type { Hono } from "hono";
import { assets } from "./assets.generated.ts";

const page = assets["index.html"];

export function mountUi(app: Hono): void {
  const index = () =>
    new Response(page?.body ?? "UI assets missing: run `bun scripts/build-ui.ts`", {
      status: page ? 200 : 500,
      headers: { "content-type": page?.type ?? "text/plain", "cache-control": "no-cache" },
    });
  app.get("/", index);
  app.get("/index.html", index);
  app.get("/static-files/:name", (c) => {
    const name = c.req.param("name");
    const asset = name === "index.html" ? undefined : assets[name];
    if (!asset) return c.text("Not found", 404);
    return new Response(asset.body, {
      headers: {
        "content-type": asset.type,
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
      },
    });
  });
}
