/**
 * Editing in the web UI and the model registry's pages, in a real headless Chromium against a real
 * fml server (SQLite and PostgreSQL) seeded over HTTP, each change checked through the API: stage
 * changes ask first and can archive the other Production version, a model version's page, register
 * model from a run's model folder, markdown descriptions (never running HTML), tags on runs,
 * experiments, registered models and versions, run rename, the experiment's description and tags,
 * the User column from `mlflow.user`, Esc closing every dialog, and a 390 px wide phone.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { browserTimeout, hasChromium, openBrowser, outputDir, type TestBrowser } from "../helpers/browser.ts";
import { backends, startFml, type FmlServer } from "../helpers/server.ts";
import { renderMarkdown } from "../../src/ui/app/markdown.ts";
import { inputExamplePath, modelSignature } from "../../src/ui/app/model-signature.ts";

const mlmodel = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    python_version: 3.12.3
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.7.2
mlflow_version: 3.11.2
saved_input_example_info:
  artifact_path: input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "double", "name": "petal width (cm)", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2026-11-30 10:00:00.000000'
`;

const script = "<script>window.__injected = true</script>";

interface Seeded {
  experimentId: string;
  runId: string;
  userRunId: string;
  source: string;
}

async function seed(server: FmlServer): Promise<Seeded> {
  const ok = async (method: string, endpoint: string, body: unknown) => {
    const r = await server.api<any>(method, endpoint, body);
    if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const experimentId = (
    await ok("POST", "experiments/create", {
      name: "iris-registry",
      tags: [
        { key: "mlflow.note.content", value: `# About\nA **tuned** iris classifier. ${script}` },
        { key: "team", value: "vision" },
      ],
    })
  ).experiment_id as string;
  const run = (await ok("POST", "runs/create", { experiment_id: experimentId, run_name: "train-iris", start_time: Date.now(), user_id: "ada" })).run;
  const runId = run.info.run_id as string;
  await ok("POST", "runs/set-tag", { run_id: runId, key: "keep", value: "me" });
  // A run from a client that sent only the mlflow.user tag.
  const userRun = (await ok("POST", "runs/create", { experiment_id: experimentId, run_name: "tagged-user", start_time: Date.now() - 1000, tags: [{ key: "mlflow.user", value: "grace" }] })).run;
  for (const [path, body] of [
    ["model/MLmodel", mlmodel],
    ["model/input_example.json", JSON.stringify({ columns: ["sepal length (cm)", "petal width (cm)"], data: [[5.1, 0.2]] })],
  ] as const) {
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/${path}`, { method: "PUT", body });
    if (put.status !== 200) throw new Error(`${path}: ${put.status}`);
  }
  const source = `${run.info.artifact_uri}/model`;
  await ok("POST", "registered-models/create", { name: "iris" });
  await ok("POST", "model-versions/create", { name: "iris", source, run_id: runId, description: "First **fit**.", tags: [{ key: "owner", value: "ada" }] });
  await ok("POST", "model-versions/create", { name: "iris", source, run_id: runId });
  await ok("POST", "model-versions/transition-stage", { name: "iris", version: "1", stage: "Production", archive_existing_versions: false });
  await ok("POST", "registered-models/alias", { name: "iris", alias: "champion", version: "1" });
  return { experimentId, runId, userRunId: userRun.info.run_id as string, source };
}

/** Adds `stage=dev`, edits it to `prod` and deletes it, checking the stored tags after each step. */
async function exerciseTags(page: Page, scope: Locator, stored: () => Promise<Record<string, string>>): Promise<void> {
  await scope.getByLabel("New tag key").fill("stage");
  await scope.getByLabel("New tag value").fill("dev");
  await scope.getByRole("button", { name: "Add tag" }).click();
  await scope.locator('tr[data-tag="stage"]', { hasText: "dev" }).waitFor();
  expect((await stored()).stage).toBe("dev");
  await scope.getByRole("button", { name: "Edit tag stage" }).click();
  await scope.getByLabel("Value of stage").fill("prod");
  await scope.getByLabel("Value of stage").press("Enter");
  await scope.locator('tr[data-tag="stage"]', { hasText: "prod" }).waitFor();
  expect((await stored()).stage).toBe("prod");
  await scope.getByRole("button", { name: "Delete tag stage" }).click();
  await scope.locator('tr[data-tag="stage"]').waitFor({ state: "detached" });
  expect((await stored()).stage).toBeUndefined();
  await page.waitForTimeout(0);
}

describe("descriptions are markdown that can never become markup", () => {
  test("a link whose URL starts with a control character is not a link (browsers strip it: \\u0001javascript:)", () => {
    expect(renderMarkdown("[x](\u0001javascript:alert(1))")).not.toContain("<a");
    expect(renderMarkdown("[x]( javascript:alert(1))")).not.toContain("<a");
  });

  test("emphasis never reaches inside a link's markup", () => {
    expect(renderMarkdown("[a](x*) and [c](y*)")).toBe(
      '<p><a href="x*" target="_blank" rel="noopener noreferrer">a</a> and <a href="y*" target="_blank" rel="noopener noreferrer">c</a></p>',
    );
    expect(renderMarkdown("[**bold** `c`](https://a.example/c_d_e)")).toBe(
      '<p><a href="https://a.example/c_d_e" target="_blank" rel="noopener noreferrer"><strong>bold</strong> <code>c</code></a></p>',
    );
  });

  test("a NUL in the text cannot pose as a placeholder", () => {
    expect(renderMarkdown("a\u00000\u0000b `x`")).toBe("<p>a0b <code>x</code></p>");
  });
});

describe("a model's signature from its MLmodel file", () => {
  test("columns, tensors and parameters, from quoted scalars PyYAML folded over lines", () => {
    expect(modelSignature(mlmodel)).toEqual({
      inputs: [
        { name: "sepal length (cm)", type: "double", required: true, defaultValue: undefined },
        { name: "petal width (cm)", type: "double", required: true, defaultValue: undefined },
      ],
      outputs: [{ name: undefined, type: "tensor int64 (-1)", required: true, defaultValue: undefined }],
      params: undefined,
    });
    expect(inputExamplePath(mlmodel)).toBe("input_example.json");
    const params = modelSignature(`signature:\n  inputs: '[{"type": "string", "name": "it''s"}]'\n  params: '[{"name": "t", "type": "double", "default": 0.5, "shape": null}]'\n`);
    expect(params?.inputs?.[0]?.name).toBe("it's");
    expect(params?.params).toEqual([{ name: "t", type: "double", required: true, defaultValue: "0.5" }]);
  });

  test("a model logged without a signature has none", () => {
    expect(modelSignature("artifact_path: model\nflavors: {}\n")).toBeUndefined();
  });
});

const tagMap = (tags: { key: string; value: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));

for (const backend of await backends()) {
  describe.skipIf(!hasChromium)(`registry and editing in the web UI (Chromium, ${backend})`, () => {
    let server: FmlServer;
    let seeded: Seeded;
    let browser: TestBrowser;
    let page: Page;
    let loggedModelId = "";
    const version = async (v: string) => (await server.api<any>("GET", "model-versions/get", { name: "iris", version: v })).body.model_version;

    beforeAll(async () => {
      server = await startFml({ backend });
      seeded = await seed(server);
      browser = await openBrowser();
      page = browser.page;
    }, 60000);

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    }, browserTimeout);

    test("a stage change asks first: Esc and Cancel change nothing", async () => {
      await page.goto(`${server.url}/#/models/iris`);
      await page.getByLabel("Stage of version 2").selectOption("Staging");
      const dialog = page.getByTestId("stage-dialog");
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain("Transition existing Staging model versions to Archived");
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      await page.getByLabel("Stage of version 2").selectOption("Archived");
      await dialog.waitFor();
      expect(await dialog.getByRole("checkbox").count()).toBe(0);
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "detached" });
      expect((await version("2")).current_stage).toBe("None");
      expect(await page.getByLabel("Stage of version 2").inputValue()).toBe("None");
    }, browserTimeout);

    test("moving a version to Production with the archive choice archives the other Production version", async () => {
      await page.getByLabel("Stage of version 2").selectOption("Production");
      const dialog = page.getByTestId("stage-dialog");
      await dialog.getByLabel("Transition existing Production model versions to Archived").check();
      await dialog.getByRole("button", { name: "Transition" }).click();
      await dialog.waitFor({ state: "detached" });
      await page.waitForFunction(() => (document.querySelector('select[aria-label="Stage of version 1"]') as HTMLSelectElement | null)?.value === "Archived");
      expect((await version("2")).current_stage).toBe("Production");
      expect((await version("1")).current_stage).toBe("Archived");
      // back to the seeded stages, without archiving, from the version page
      await server.api("POST", "model-versions/transition-stage", { name: "iris", version: "1", stage: "Production", archive_existing_versions: false });
      await server.api("POST", "model-versions/transition-stage", { name: "iris", version: "2", stage: "None", archive_existing_versions: false });
    }, browserTimeout);

    test("the model version page shows source run, logged model, signature, input example, tags, aliases, description and activity", async () => {
      await page.goto(`${server.url}/#/models/iris`);
      await page.getByRole("link", { name: "v1", exact: true }).click();
      await page.getByTestId("signature-inputs").waitFor();
      expect(page.url()).toContain("#/models/iris/versions/1");
      expect(await page.getByTestId("version-title").textContent()).toBe("Version 1");
      await page.getByTestId("source-run").getByRole("link", { name: "train-iris" }).waitFor();
      expect(await page.getByTestId("source").textContent()).toContain(seeded.source);
      expect(await page.getByTestId("signature-inputs").locator("tbody td.mono").allTextContents()).toEqual(["sepal length (cm)", "double", "yes", "petal width (cm)", "double", "yes"]);
      expect(await page.getByTestId("signature-outputs").textContent()).toContain("tensor int64 (-1)");
      await page.getByTestId("input-example").waitFor();
      expect(await page.getByTestId("input-example").textContent()).toContain("5.1");
      expect(await page.getByTestId("version-tags").textContent()).toContain("owner");
      expect(await page.getByTestId("aliases").textContent()).toContain("@champion");
      expect(await page.getByTestId("version-description").locator(".markdown strong").textContent()).toBe("fit");
      expect(await page.getByTestId("activity").textContent()).toContain("registered as version 1");
      expect(await page.getByLabel("Stage of version 1").inputValue()).toBe("Production");
      await page.screenshot({ path: join(outputDir, `model-version-${backend}.png`) });
    }, browserTimeout);

    test("aliases are added and removed on the version page", async () => {
      await page.getByLabel("New alias").fill("challenger");
      await page.getByRole("button", { name: "Add alias" }).click();
      await page.getByTestId("aliases").getByText("@challenger").waitFor();
      expect((await version("1")).aliases.sort()).toEqual(["challenger", "champion"]);
      await page.getByRole("button", { name: "Remove alias challenger" }).click();
      await page.getByTestId("aliases").getByText("@challenger").waitFor({ state: "detached" });
      expect((await version("1")).aliases).toEqual(["champion"]);
    }, browserTimeout);

    test("a version's description is saved and rendered as markdown, and a <script> in it does not run", async () => {
      const section = page.getByTestId("version-description");
      await section.getByRole("button", { name: "Edit" }).click();
      await section.locator("textarea").fill(`Trained on **iris** v2.\n\n- fast\n- small\n\n${script}`);
      await section.getByRole("button", { name: "Save" }).click();
      await section.locator(".markdown li").nth(1).waitFor();
      expect(await section.locator(".markdown strong").textContent()).toBe("iris");
      expect(await section.locator(".markdown script").count()).toBe(0);
      expect(await section.locator(".markdown").textContent()).toContain(script);
      expect(await page.evaluate(() => (window as { __injected?: boolean }).__injected)).toBeUndefined();
      expect((await version("1")).description).toBe(`Trained on **iris** v2.\n\n- fast\n- small\n\n${script}`);
    }, browserTimeout);

    test("a version's tags are added, edited and deleted", async () => {
      await exerciseTags(page, page.getByTestId("version-tags").locator("..").locator(".."), async () => tagMap((await version("1")).tags));
    }, browserTimeout);

    test("a registered model's description (markdown) and tags are edited on its page", async () => {
      await page.goto(`${server.url}/#/models/iris`);
      const section = page.getByTestId("model-description");
      await section.getByRole("button", { name: "Edit" }).click();
      await section.locator("textarea").fill(`The *iris* model ${script}`);
      // Esc leaves the editor unsaved
      await section.locator("textarea").press("Escape");
      await section.locator("textarea").waitFor({ state: "detached" });
      const model = async () => (await server.api<any>("GET", "registered-models/get", { name: "iris" })).body.registered_model;
      expect((await model()).description).toBeUndefined();
      await section.getByRole("button", { name: "Edit" }).click();
      await section.locator("textarea").fill(`The *iris* model ${script}`);
      await section.getByRole("button", { name: "Save" }).click();
      await section.locator(".markdown em").waitFor();
      expect(await section.locator(".markdown script").count()).toBe(0);
      expect(await page.evaluate(() => (window as { __injected?: boolean }).__injected)).toBeUndefined();
      expect((await model()).description).toBe(`The *iris* model ${script}`);
      await exerciseTags(page, page.locator(".card", { has: page.getByRole("heading", { name: "Tags" }) }), async () => tagMap((await model()).tags));
    }, browserTimeout);

    test("register model from a run's model folder creates the version and opens its page", async () => {
      await page.goto(`${server.url}/#/runs/${seeded.runId}?tab=artifacts`);
      await page.locator('.artifact-entry[data-path="model"]').click();
      await page.locator('.artifact-entry[data-path="model/MLmodel"]').waitFor();
      await page.getByRole("button", { name: "Register model" }).click();
      const dialog = page.getByTestId("register-dialog");
      await dialog.getByLabel("Model name").waitFor();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      await page.getByRole("button", { name: "Register model" }).click();
      await dialog.getByLabel("Model name").fill("iris-from-run");
      await dialog.getByRole("button", { name: "Register" }).click();
      await page.waitForURL(/#\/models\/iris-from-run\/versions\/1$/);
      await page.getByTestId("signature-inputs").waitFor();
      const found = await server.api<any>("GET", "model-versions/search", { filter: "name = 'iris-from-run'" });
      expect(found.body.model_versions.map((v: any) => [v.version, v.run_id, v.source])).toEqual([["1", seeded.runId, seeded.source]]);
      // a second registration into the same, existing model is version 2
      await page.goto(`${server.url}/#/runs/${seeded.runId}?tab=artifacts&path=model/MLmodel`);
      await page.getByRole("button", { name: "Register model" }).click();
      await dialog.getByLabel("Registered model").selectOption("iris-from-run");
      await dialog.getByRole("button", { name: "Register" }).click();
      await page.waitForURL(/#\/models\/iris-from-run\/versions\/2$/);
    }, browserTimeout);

    test("a run is renamed from its page, Esc closing the dialog unchanged", async () => {
      await page.goto(`${server.url}/#/runs/${seeded.runId}`);
      await page.getByRole("button", { name: "Rename" }).click();
      await page.getByLabel("Run name").fill("discarded");
      await page.keyboard.press("Escape");
      await page.getByTestId("rename-dialog").waitFor({ state: "detached" });
      await page.getByRole("button", { name: "Rename" }).click();
      await page.getByLabel("Run name").fill("train-iris-v2");
      await page.getByLabel("Run name").press("Enter");
      await page.getByTestId("run-name").getByText("train-iris-v2").waitFor();
      const run = await server.api<any>("GET", "runs/get", { run_id: seeded.runId });
      expect(run.body.run.info.run_name).toBe("train-iris-v2");
    }, browserTimeout);

    test("a run's tags are added, edited and deleted", async () => {
      await exerciseTags(page, page.locator(".card", { has: page.getByTestId("tags") }), async () => tagMap((await server.api<any>("GET", "runs/get", { run_id: seeded.runId })).body.run.data.tags));
      expect(await page.getByTestId("tags").textContent()).toContain("keep");
    }, browserTimeout);

    test("the experiment page shows the description as markdown and the tags, and edits both", async () => {
      await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
      const about = page.getByTestId("experiment-about");
      await about.locator(".markdown h1").waitFor();
      expect(await about.locator(".markdown h1").textContent()).toBe("About");
      expect(await about.locator(".markdown strong").textContent()).toBe("tuned");
      expect(await about.locator(".markdown script").count()).toBe(0);
      expect(await page.getByTestId("experiment-tags").textContent()).toContain("team: vision");
      const experiment = async () => tagMap((await server.api<any>("GET", "experiments/get", { experiment_id: seeded.experimentId })).body.experiment.tags);

      await about.getByRole("button", { name: "Edit description" }).click();
      await about.locator("textarea").fill("Iris, **now** with notes");
      await about.getByRole("button", { name: "Save" }).click();
      await about.locator(".markdown", { hasText: "now" }).waitFor();
      expect((await experiment())["mlflow.note.content"]).toBe("Iris, **now** with notes");

      await page.getByRole("button", { name: "Edit tags" }).click();
      const dialog = page.getByTestId("experiment-tags-dialog");
      await exerciseTags(page, dialog, experiment);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      expect(await experiment()).toEqual({ "mlflow.note.content": "Iris, **now** with notes", team: "vision" });
    }, browserTimeout);

    test("the runs table's User column shows the mlflow.user tag when the run has no user_id", async () => {
      const userRun = await server.api<any>("GET", "runs/get", { run_id: seeded.userRunId });
      expect(userRun.body.run.info.user_id ?? "").toBe("");
      await page.goto(`${server.url}/#/experiments/${seeded.experimentId}`);
      const row = page.locator(`.run-row[data-run-id="${seeded.userRunId}"]`);
      await row.waitFor();
      expect(await row.locator('[title="grace"]').count()).toBe(1);
      expect(await page.locator(`.run-row[data-run-id="${seeded.runId}"] [title="ada"]`).count()).toBe(1);
    }, browserTimeout);

    test("a logged model's page registers it as a version with source models:/<id>", async () => {
      const model = (await server.api<any>("POST", "logged-models", { experiment_id: seeded.experimentId, name: "iris-lm", source_run_id: seeded.runId })).body.model;
      const id = model.info.model_id as string;
      loggedModelId = id;
      await page.goto(`${server.url}/#/experiments/${seeded.experimentId}/models/${id}`);
      await page.getByRole("button", { name: "Register model" }).click();
      const dialog = page.getByTestId("register-dialog");
      await dialog.getByLabel("Registered model").selectOption("iris");
      await dialog.getByRole("button", { name: "Register" }).click();
      await page.waitForURL(/#\/models\/iris\/versions\/3$/);
      await page.getByTestId("logged-model").getByRole("link", { name: "iris-lm" }).waitFor();
      const v3 = await version("3");
      expect([v3.source, v3.run_id]).toEqual([`models:/${id}`, seeded.runId]);
    }, browserTimeout);

    test("on a 390 px wide phone the editing pages do not scroll sideways", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      const pages = [
        ["#/models/iris/versions/1", '[data-testid="signature-inputs"]'],
        ["#/models/iris", 'select[aria-label="Stage of version 1"]'],
        ["#/models", 'a[href="#/models/iris"]'],
        [`#/runs/${seeded.runId}`, '[data-testid="tags"]'],
        [`#/runs/${seeded.runId}?tab=artifacts&path=model/MLmodel`, ".artifact-text"],
        [`#/experiments/${seeded.experimentId}`, '[data-testid="experiment-about"] .markdown'],
        [`#/experiments/${seeded.experimentId}/models/${loggedModelId}`, '[data-testid="model-versions"]'],
      ];
      try {
        for (const [hash, ready] of pages) {
          await page.goto(`${server.url}/${hash}`);
          await page.locator(ready!).first().waitFor();
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          expect(`${hash}: ${overflow}`).toBe(`${hash}: 0`);
        }
        await page.goto(`${server.url}/#/models/iris/versions/1`);
        await page.getByTestId("signature-inputs").waitFor();
        await page.getByLabel("Stage of version 1").selectOption("Staging");
        await page.getByTestId("stage-dialog").getByRole("button", { name: "Transition" }).waitFor();
        const box = (await page.getByTestId("stage-dialog").boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(390);
        await page.screenshot({ path: join(outputDir, `model-version-phone-${backend}.png`), fullPage: true });
        await page.keyboard.press("Escape");
        await page.getByTestId("stage-dialog").waitFor({ state: "detached" });
      } finally {
        await page.setViewportSize({ width: 1440, height: 900 });
      }
    }, browserTimeout);

    test("no page threw an uncaught error", () => {
      expect(browser.pageErrors).toEqual([]);
    });
  });
}
