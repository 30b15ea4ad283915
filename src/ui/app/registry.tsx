/**
 * Model registry pages: registered models, and a model's description, tags, versions, stages
 * (changed through a confirmation) and aliases. A version's own page is model-version.tsx.
 */

import { get, post } from "./api.ts";
import { Empty, ErrorBox, useAsync } from "./common.tsx";
import { formatTime } from "./format.ts";
import { href, setQuery, type Route } from "./router.ts";
import { useState } from "preact/hooks";
import { EditableMarkdown } from "./editable-markdown.tsx";
import { versionHref, type ModelVersion } from "./model-version.tsx";
import { StageSelect } from "./stage-transition.tsx";
import { TagEditor } from "./tag-editor.tsx";

interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  aliases?: { alias: string; version: string }[];
  tags?: { key: string; value: string }[];
}

const unavailable = (error: string | undefined) => error && /ENDPOINT_NOT_FOUND|No API endpoint/.test(error);

function NotAvailable() {
  return (
    <Empty>
      <p>The model registry is not available on this server.</p>
    </Empty>
  );
}

export function ModelsPage(props: { route: Route }) {
  const q = props.route.query.get("q") ?? "";
  const [text, setText] = useState(q);
  const list = useAsync(async () => {
    const models: RegisteredModel[] = [];
    let token: string | undefined;
    do {
      const page = await get<{ registered_models?: RegisteredModel[]; next_page_token?: string }>("registered-models/search", {
        max_results: 1000,
        filter: q ? `name ILIKE '%${q.replaceAll("'", "")}%'` : undefined,
        page_token: token,
      });
      models.push(...(page.registered_models ?? []));
      token = page.next_page_token;
    } while (token && models.length < 10000);
    return models;
  }, [q]);
  if (unavailable(list.error)) return <div class="page"><h1>Models</h1><NotAvailable /></div>;
  return (
    <div class="page">
      <div class="toolbar">
        <h1>Registered models</h1>
        <form onSubmit={(e) => (e.preventDefault(), setQuery({ q: text || undefined }))}>
          <input type="search" placeholder="Search by name" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </form>
      </div>
      <ErrorBox error={list.error} />
      {list.value?.length === 0 && (
        <Empty>
          <p>
            No registered models{q ? " match" : " yet"}. Register one with <code>mlflow.register_model("runs:/&lt;run_id&gt;/model", "my-model")</code>.
          </p>
        </Empty>
      )}
      {!!list.value?.length && (
        <div class="scroll-x">
          <table class="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>Latest versions</th>
                <th>Aliases</th>
                <th>Last modified</th>
              </tr>
            </thead>
            <tbody>
              {list.value.map((m) => (
                <tr key={m.name}>
                  <td>
                    <a href={href(`/models/${encodeURIComponent(m.name)}`)}>{m.name}</a>
                  </td>
                  <td>
                    {(m.latest_versions ?? []).map((v) => (
                      <span key={v.version} class="badge">
                        v{v.version} {v.current_stage && v.current_stage !== "None" ? v.current_stage : ""}
                      </span>
                    ))}
                  </td>
                  <td>
                    {(m.aliases ?? []).map((a) => (
                      <span key={a.alias} class="badge">
                        @{a.alias} → v{a.version}
                      </span>
                    ))}
                  </td>
                  <td>{formatTime(m.last_updated_timestamp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** `version` (from MLflow's `models/<name>/versions/<v>` links) is highlighted and scrolled to. */
export function ModelPage(props: { name: string; version?: string }) {
  const { name } = props;
  const model = useAsync(() => get<{ registered_model: RegisteredModel }>("registered-models/get", { name }), [name]);
  const versions = useAsync(async () => {
    const page = await get<{ model_versions?: ModelVersion[] }>("model-versions/search", {
      filter: `name = '${name.replaceAll("'", "\\'")}'`,
      max_results: 1000,
      order_by: "version_number DESC",
    });
    return page.model_versions ?? [];
  }, [name]);
  const [actionError, setActionError] = useState<string>();
  const [alias, setAlias] = useState({ name: "", version: "" });
  if (unavailable(model.error)) return <div class="page"><h1>{name}</h1><NotAvailable /></div>;
  const m = model.value?.registered_model;
  const act = async (action: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await action();
      versions.reload();
      model.reload();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };
  return (
    <div class="page">
      <div class="toolbar">
        <h1>
          <a class="muted" href={href("/models")}>
            Models
          </a>{" "}
          / {name}
        </h1>
      </div>
      <ErrorBox error={model.error ?? versions.error ?? actionError} />
      {m && (
        <div class="columns">
          <EditableMarkdown
            title="Description"
            text={m.description ?? ""}
            empty="No description. Click Edit to describe this model (markdown)."
            save={(description) => post("registered-models/update", { name, description }, "PATCH").then(model.reload)}
            testid="model-description"
          />
          <section class="card">
            <h2>Tags</h2>
            <TagEditor
              tags={m.tags ?? []}
              testid="model-tags"
              onChanged={model.reload}
              actions={{
                set: (key, value) => post("registered-models/set-tag", { name, key, value }),
                remove: (key) => post("registered-models/delete-tag", { name, key }, "DELETE"),
              }}
            />
          </section>
        </div>
      )}
      {versions.value?.length === 0 && <p class="muted">No versions yet.</p>}
      {!!versions.value?.length && (
        <div class="scroll-x">
          <table class="grid versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Stage</th>
                <th>Aliases</th>
                <th>Created</th>
                <th>Source run</th>
                <th>Source</th>
              </tr>
            </thead>
            <tbody>
              {versions.value.map((v) => (
                <tr
                  key={v.version}
                  data-version={v.version}
                  class={v.version === props.version ? "selected" : undefined}
                  ref={v.version === props.version ? (row) => row?.scrollIntoView({ block: "nearest" }) : undefined}
                >
                  <td>
                    <a href={versionHref(name, v.version)}>v{v.version}</a>
                  </td>
                  <td>
                    <StageSelect name={name} version={v.version} stage={v.current_stage} onChanged={() => (versions.reload(), model.reload())} />
                  </td>
                  <td>
                    {(v.aliases ?? []).map((a) => (
                      <span key={a} class="badge">
                        @{a}{" "}
                        <button class="link small" title={`Remove alias ${a}`} onClick={() => act(() => post("registered-models/alias", { name, alias: a }, "DELETE"))}>
                          ×
                        </button>
                      </span>
                    ))}
                  </td>
                  <td>{formatTime(v.creation_timestamp)}</td>
                  <td class="mono">{v.run_id ? <a href={href(`/runs/${v.run_id}`)}>{v.run_id.slice(0, 12)}</a> : ""}</td>
                  <td class="mono muted ellipsis" title={v.source}>
                    {v.source}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!!versions.value?.length && (
        <form
          class="toolbar alias-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => post("registered-models/alias", { name, alias: alias.name.trim(), version: alias.version || versions.value![0]!.version })).then(() =>
              setAlias({ name: "", version: "" }),
            );
          }}
        >
          <span>Set alias</span>
          <input placeholder="champion" value={alias.name} onInput={(e) => setAlias({ ...alias, name: (e.target as HTMLInputElement).value })} aria-label="Alias" />
          <select aria-label="Alias version" value={alias.version || versions.value[0]!.version} onChange={(e) => setAlias({ ...alias, version: (e.target as HTMLSelectElement).value })}>
            {versions.value.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!alias.name.trim()}>
            Set
          </button>
          <span class="muted small">Load it with mlflow.pyfunc.load_model("models:/{name}@alias").</span>
        </form>
      )}
    </div>
  );
}
