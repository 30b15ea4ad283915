/**
 * A model version's page (`#/models/<name>/versions/<version>`, MLflow's route): source run and
 * logged model, stage (changed through a confirmation), aliases, description (markdown), tags,
 * the signature and input example from its MLmodel file, and its activity.
 */

import { useState } from "preact/hooks";
import { ApiError, get, post, type LoggedModel, type Run, type Tag } from "./api.ts";
import { Copy, ErrorBox, useAsync } from "./common.tsx";
import { attempt } from "./dialog.tsx";
import { EditableMarkdown } from "./editable-markdown.tsx";
import { formatTime } from "./format.ts";
import { loggedModelHref } from "./mlmodel.ts";
import { inputExamplePath, modelSignature, type SchemaColumn } from "./model-signature.ts";
import { href } from "./router.ts";
import { StageSelect } from "./stage-transition.tsx";
import { TagEditor } from "./tag-editor.tsx";

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  user_id?: string;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  run_link?: string;
  status?: string;
  status_message?: string;
  aliases?: string[];
  tags?: Tag[];
}

export const versionHref = (name: string, version: string) => href(`/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`);

/** The logged model a version was registered from: `models:/<id>`, or a source under its artifact root. */
export function loggedModelIdOf(source: string | undefined): string | undefined {
  if (!source) return undefined;
  return /^models:\/(m-[^/@]+)$/.exec(source)?.[1] ?? /\/models\/(m-[0-9a-f]+)\/artifacts\/?$/.exec(source)?.[1];
}

/** A file of the version's artifacts, or undefined when it has no such file. */
async function versionFile(name: string, version: string, path: string): Promise<string | undefined> {
  const response = await fetch(`model-versions/get-artifact?${new URLSearchParams({ name, version, path })}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new ApiError(response.status, String(response.status), `Cannot read ${path} of version ${version} (${response.status})`);
  return response.text();
}

function Columns(props: { title: string; columns: SchemaColumn[] | undefined; testid: string }) {
  if (!props.columns) return null;
  const params = props.columns.some((c) => c.defaultValue !== undefined);
  return (
    <>
      <h3>{props.title}</h3>
      <div class="scroll-x">
        <table class="grid" data-testid={props.testid}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              {params ? <th>Default</th> : <th>Required</th>}
            </tr>
          </thead>
          <tbody>
            {props.columns.map((c, i) => (
              <tr key={i}>
                <td class="mono">{c.name ?? "—"}</td>
                <td class="mono">{c.type}</td>
                <td class="mono">{params ? (c.defaultValue ?? "") : c.required ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A dataframe example (`{"columns": [...], "data": [[...]]}`, MLflow's split orient) as a table, anything else as JSON. */
function InputExample(props: { text: string }) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(props.text);
  } catch {
    return <pre class="artifact-text" data-testid="input-example">{props.text}</pre>;
  }
  const { columns, data } = (parsed ?? {}) as { columns?: unknown; data?: unknown };
  if (Array.isArray(columns) && Array.isArray(data) && data.every(Array.isArray)) {
    const rows = data as unknown[][];
    const cell = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    return (
      <div class="scroll-x">
        <table class="grid csv" data-testid="input-example">
          <thead>
            <tr>{columns.map((c, i) => <th key={i}>{cell(c)}</th>)}</tr>
          </thead>
          <tbody>
            {rows.slice(0, 50).map((row, i) => (
              <tr key={i}>{row.map((v, j) => <td key={j}>{cell(v)}</td>)}</tr>
            ))}
          </tbody>
        </table>
        {rows.length > 50 && <p class="muted">First 50 of {rows.length} rows.</p>}
      </div>
    );
  }
  return <pre class="artifact-text" data-testid="input-example">{JSON.stringify(parsed, null, 2)}</pre>;
}

function Aliases(props: { v: ModelVersion; onChanged: () => void }) {
  const { name, version } = props.v;
  const [alias, setAlias] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (action: () => Promise<unknown>) => {
    const ok = await attempt(action, setBusy, setError);
    if (ok) props.onChanged();
    return ok;
  };
  return (
    <div data-testid="aliases">
      {(props.v.aliases ?? []).map((a) => (
        <span key={a} class="badge alias">
          @{a}{" "}
          <button class="link small" aria-label={`Remove alias ${a}`} disabled={busy} onClick={() => void run(() => post("registered-models/alias", { name, alias: a }, "DELETE"))}>
            ×
          </button>
        </span>
      ))}
      <form class="tag-form" onSubmit={(e) => (e.preventDefault(), alias.trim() && void run(() => post("registered-models/alias", { name, alias: alias.trim(), version })).then((ok) => ok && setAlias("")))}>
        <input placeholder="new alias" aria-label="New alias" value={alias} onInput={(e) => setAlias((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={busy || !alias.trim()}>
          Add alias
        </button>
      </form>
      <ErrorBox error={error} />
    </div>
  );
}

export function ModelVersionPage(props: { name: string; version: string }) {
  const { name, version } = props;
  const result = useAsync(() => get<{ model_version: ModelVersion }>("model-versions/get", { name, version }), [name, version]);
  const v = result.value?.model_version;
  const run = useAsync(async () => (v?.run_id ? (await get<{ run: Run }>("runs/get", { run_id: v.run_id })).run : undefined), [v?.run_id]);
  const modelId = loggedModelIdOf(v?.source);
  const logged = useAsync(async () => (modelId ? (await get<{ model: LoggedModel }>(`logged-models/${encodeURIComponent(modelId)}`)).model : undefined), [modelId]);
  const mlmodel = useAsync(() => versionFile(name, version, "MLmodel"), [name, version]);
  const examplePath = mlmodel.value ? inputExamplePath(mlmodel.value) : undefined;
  const example = useAsync(async () => (examplePath ? versionFile(name, version, examplePath) : undefined), [examplePath]);
  const title = (
    <h1>
      <a class="muted" href={href("/models")}>
        Models
      </a>{" "}
      /{" "}
      <a class="muted" href={href(`/models/${encodeURIComponent(name)}`)}>
        {name}
      </a>{" "}
      / <span data-testid="version-title">Version {version}</span>
    </h1>
  );
  if (!v) {
    return (
      <div class="page">
        <div class="toolbar">{title}</div>
        {result.error ? <ErrorBox error={result.error} /> : <p class="muted">Loading…</p>}
      </div>
    );
  }
  const signature = mlmodel.value ? modelSignature(mlmodel.value) : undefined;
  const runName = run.value?.info.run_name;
  const reload = () => result.reload();
  return (
    <div class="page model-version-page">
      <div class="toolbar">
        {title}
        {v.current_stage && v.current_stage !== "None" && <span class="badge">{v.current_stage}</span>}
      </div>
      <div class="columns">
        <div>
          <section class="card">
            <h2>Overview</h2>
            <dl class="overview">
              <dt>Registered</dt>
              <dd>{formatTime(v.creation_timestamp)}</dd>
              <dt>Creator</dt>
              <dd>{v.user_id || "—"}</dd>
              <dt>Last modified</dt>
              <dd>{formatTime(v.last_updated_timestamp)}</dd>
              <dt>Stage</dt>
              <dd>
                <StageSelect name={name} version={version} stage={v.current_stage} onChanged={reload} />
              </dd>
              <dt>Status</dt>
              <dd>{v.status ?? "—"}</dd>
              <dt>Source run</dt>
              <dd class="mono" data-testid="source-run">
                {v.run_id ? <a href={href(`/runs/${v.run_id}`)}>{runName ?? v.run_id}</a> : "—"}
              </dd>
              <dt>Logged model</dt>
              <dd class="mono" data-testid="logged-model">
                {logged.value ? <a href={loggedModelHref(logged.value)}>{logged.value.info.name}</a> : (modelId ?? "—")}
              </dd>
              <dt>Source</dt>
              <dd class="mono" data-testid="source">
                {v.source} {v.source && <Copy text={v.source} />}
              </dd>
              <dt>Aliases</dt>
              <dd>
                <Aliases v={v} onChanged={reload} />
              </dd>
              <dt>Load it</dt>
              <dd class="mono">
                mlflow.pyfunc.load_model("models:/{name}/{version}")
              </dd>
            </dl>
          </section>
          <EditableMarkdown
            title="Description"
            text={v.description ?? ""}
            empty="No description. Click Edit to describe this version (markdown)."
            save={(description) => post("model-versions/update", { name, version, description }, "PATCH").then(reload)}
            testid="version-description"
          />
          <section class="card">
            <h2>Tags</h2>
            <TagEditor
              tags={v.tags ?? []}
              testid="version-tags"
              onChanged={reload}
              actions={{
                set: (key, value) => post("model-versions/set-tag", { name, version, key, value }),
                remove: (key) => post("model-versions/delete-tag", { name, version, key }, "DELETE"),
              }}
            />
          </section>
        </div>
        <div>
          <section class="card" data-testid="signature">
            <h2>Schema</h2>
            <ErrorBox error={mlmodel.error} />
            {mlmodel.loading && mlmodel.value === undefined && <p class="muted">Loading…</p>}
            {!mlmodel.loading && !mlmodel.error && mlmodel.value === undefined && <p class="muted">No MLmodel file at this version's source.</p>}
            {mlmodel.value !== undefined && !signature && <p class="muted">This model was logged without a signature.</p>}
            {signature && (
              <>
                <Columns title="Inputs" columns={signature.inputs} testid="signature-inputs" />
                <Columns title="Outputs" columns={signature.outputs} testid="signature-outputs" />
                <Columns title="Parameters" columns={signature.params} testid="signature-params" />
              </>
            )}
          </section>
          {example.value !== undefined && (
            <section class="card">
              <h2>Input example</h2>
              <InputExample text={example.value} />
            </section>
          )}
          <section class="card">
            <h2>Activity</h2>
            <ul class="activity" data-testid="activity">
              <li>
                {formatTime(v.creation_timestamp)}: registered as version {version}
                {v.user_id ? ` by ${v.user_id}` : ""}
              </li>
              {v.last_updated_timestamp !== undefined && v.last_updated_timestamp !== v.creation_timestamp && (
                <li>
                  {formatTime(v.last_updated_timestamp)}: last changed; now in stage {v.current_stage ?? "None"}
                </li>
              )}
            </ul>
            <p class="muted small">
              MLflow's registry keeps no history of stage transitions: this shows when the version was registered and when it last changed.
            </p>
          </section>
        </div>
      </div>
    </div>
  );
}
