/**
 * "Register model" from a run's model folder or a logged model, as MLflow's UI offers it: pick a
 * registered model or create one, then create a version whose source is the folder's artifact URI
 * (`<run artifact_uri>/<path>`) or `models:/<model_id>`. The new version's page is linked.
 */

import { useState } from "preact/hooks";
import { ApiError, get, post } from "./api.ts";
import { ErrorBox, useAsync } from "./common.tsx";
import { attempt, Dialog, focusOnce } from "./dialog.tsx";
import { versionHref, type ModelVersion } from "./model-version.tsx";
import { navigate } from "./router.ts";

export interface RegisterSource {
  source: string;
  runId?: string;
  modelId?: string;
}

const createNew = "\u0000new";

async function modelNames(): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await get<{ registered_models?: { name: string }[]; next_page_token?: string }>("registered-models/search", { max_results: 1000, page_token: token });
    names.push(...(page.registered_models ?? []).map((m) => m.name));
    token = page.next_page_token;
  } while (token && names.length < 10000);
  return names.sort((a, b) => a.localeCompare(b));
}

function RegisterDialog(props: { from: RegisterSource; onClose: () => void }) {
  const models = useAsync(modelNames, []);
  const [picked, setPicked] = useState(createNew);
  const [newName, setNewName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const creating = picked === createNew;
  const name = creating ? newName.trim() : picked;
  const submit = async () => {
    let created: ModelVersion | undefined;
    const ok = await attempt(
      async () => {
        if (creating) {
          try {
            await post("registered-models/create", { name });
          } catch (e) {
            if (!(e instanceof ApiError && e.code === "RESOURCE_ALREADY_EXISTS")) throw e;
          }
        }
        const { source, runId, modelId } = props.from;
        created = (await post<{ model_version: ModelVersion }>("model-versions/create", { name, source, run_id: runId, model_id: modelId })).model_version;
      },
      setBusy,
      setError,
    );
    if (ok && created) navigate(versionHref(created.name, created.version));
  };
  return (
    <Dialog title="Register model" onClose={props.onClose} testid="register-dialog">
      <form onSubmit={(e) => (e.preventDefault(), void submit())}>
        <p class="muted small mono ellipsis" title={props.from.source}>
          {props.from.source}
        </p>
        <label class="field">
          Model
          <select aria-label="Registered model" value={picked} onChange={(e) => setPicked((e.target as HTMLSelectElement).value)}>
            <option value={createNew}>+ Create new model</option>
            {(models.value ?? []).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {creating && (
          <label class="field">
            Model name
            <input aria-label="Model name" value={newName} ref={focusOnce()} onInput={(e) => setNewName((e.target as HTMLInputElement).value)} />
          </label>
        )}
        <ErrorBox error={models.error ?? error} />
        <div class="modal-actions">
          <button type="button" class="link" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !name}>
            Register
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function RegisterModelButton(props: { from: RegisterSource }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button class="primary" onClick={() => setOpen(true)}>
        Register model
      </button>
      {open && <RegisterDialog from={props.from} onClose={() => setOpen(false)} />}
    </>
  );
}
