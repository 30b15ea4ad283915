/**
 * The logged models of a run, on its page: the models whose source run it is and the models it
 * recorded as outputs, with status and the flavors named in each model's MLmodel file.
 */

import { get, post, type LoggedModel, type Run } from "./api.ts";
import { ErrorBox, useAsync } from "./common.tsx";
import { formatTime } from "./format.ts";
import { fetchMlmodel, loggedModelHref, mlmodelFlavors, statusLabel } from "./mlmodel.ts";

/** Flavors are read from each model's MLmodel; a run with more models shows the rest without. */
const maxFlavorLookups = 20;

async function runLoggedModels(run: Run): Promise<{ model: LoggedModel; flavors?: string[] }[]> {
  const runId = run.info.run_id;
  const page = await post<{ models?: LoggedModel[] }>("logged-models/search", {
    experiment_ids: [run.info.experiment_id],
    filter: `source_run_id = '${runId}'`,
    max_results: 100,
  });
  const models = page.models ?? [];
  const known = new Set(models.map((m) => m.info.model_id));
  const outputs = (run.outputs?.model_outputs ?? []).map((o) => o.model_id).filter((id) => !known.has(id));
  for (const id of new Set(outputs)) {
    try {
      models.push((await get<{ model: LoggedModel }>(`logged-models/${encodeURIComponent(id)}`)).model);
    } catch {
      // a deleted model stays listed in the run's outputs; it has no page to link to
    }
  }
  return Promise.all(
    models.map(async (model, i) => {
      if (i >= maxFlavorLookups) return { model };
      try {
        const text = await fetchMlmodel(model.info.model_id);
        return { model, flavors: text === undefined ? [] : mlmodelFlavors(text) };
      } catch {
        return { model };
      }
    }),
  );
}

export function RunLoggedModels(props: { run: Run }) {
  const { run } = props;
  const outputsKey = (run.outputs?.model_outputs ?? []).map((o) => o.model_id).join(",");
  const list = useAsync(() => runLoggedModels(run), [run.info.run_id, outputsKey]);
  const missing = list.error && /ENDPOINT_NOT_FOUND|No API endpoint/.test(list.error);
  if (missing) return null;
  return (
    <section class="card">
      <h2>Logged models{list.value ? ` (${list.value.length})` : ""}</h2>
      <ErrorBox error={list.error} />
      {list.value?.length === 0 && (
        <p class="muted">
          No logged models. Log one with <code>mlflow.sklearn.log_model(model, name="model")</code>.
        </p>
      )}
      {!!list.value?.length && (
        <table class="grid" data-testid="run-models">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Flavor</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {list.value.map(({ model, flavors }) => (
              <tr key={model.info.model_id}>
                <td>
                  <a href={loggedModelHref(model)}>{model.info.name}</a>
                </td>
                <td class={`status ${model.info.status ?? ""}`}>{statusLabel(model.info.status)}</td>
                <td>
                  {(flavors ?? []).map((f) => (
                    <span key={f} class="badge mono">
                      {f}
                    </span>
                  ))}
                </td>
                <td>{formatTime(model.info.creation_timestamp_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
