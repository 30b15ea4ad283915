/**
 * Tags of a run, an experiment, a registered model or a model version: listed, added, edited in
 * place and deleted through the entity's own set-tag and delete-tag endpoints. `mlflow.*` tags are
 * MLflow's bookkeeping: hidden unless asked for, and shown read-only.
 */

import { useState } from "preact/hooks";
import type { Tag } from "./api.ts";
import { ErrorBox } from "./common.tsx";
import { attempt, focusOnce } from "./dialog.tsx";

export interface TagActions {
  set(key: string, value: string): Promise<unknown>;
  remove(key: string): Promise<unknown>;
}

const isSystem = (key: string) => key.startsWith("mlflow.");

export function TagEditor(props: { tags: Tag[]; actions: TagActions; onChanged: () => void; showSystem?: boolean; testid: string }) {
  const [editing, setEditing] = useState<string>();
  const [value, setValue] = useState("");
  const [added, setAdded] = useState({ key: "", value: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (action: () => Promise<unknown>) => {
    const ok = await attempt(action, setBusy, setError);
    if (ok) props.onChanged();
    return ok;
  };
  const rows = props.tags.filter((t) => props.showSystem || !isSystem(t.key)).sort((a, b) => a.key.localeCompare(b.key));
  const saveEdit = async (key: string) => {
    if (await run(() => props.actions.set(key, value))) setEditing(undefined);
  };
  return (
    <div class="tag-editor">
      <ErrorBox error={error} />
      {rows.length ? (
        <table class="grid kv tags" data-testid={props.testid}>
          <tbody>
            {rows.map((t) => (
              <tr key={t.key} data-tag={t.key}>
                <th class="mono">{t.key}</th>
                {editing === t.key ? (
                  <td>
                    <form class="tag-form" onSubmit={(e) => (e.preventDefault(), void saveEdit(t.key))}>
                      <input
                        class="mono"
                        aria-label={`Value of ${t.key}`}
                        value={value}
                        ref={focusOnce()}
                        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
                        onKeyDown={(e) => e.key === "Escape" && (e.preventDefault(), e.stopPropagation(), setEditing(undefined))}
                      />
                      <button type="submit" disabled={busy}>
                        Save
                      </button>
                      <button type="button" class="link" onClick={() => setEditing(undefined)}>
                        Cancel
                      </button>
                    </form>
                  </td>
                ) : (
                  <td class="mono">
                    <span class="tag-value">{t.value}</span>
                    {!isSystem(t.key) && (
                      <span class="tag-actions">
                        <button class="link small" aria-label={`Edit tag ${t.key}`} onClick={() => (setValue(t.value), setEditing(t.key))}>
                          edit
                        </button>
                        <button class="link small danger" aria-label={`Delete tag ${t.key}`} disabled={busy} onClick={() => void run(() => props.actions.remove(t.key))}>
                          delete
                        </button>
                      </span>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No tags.</p>
      )}
      <form
        class="tag-form add"
        onSubmit={(e) => {
          e.preventDefault();
          const key = added.key.trim();
          if (key) void run(() => props.actions.set(key, added.value)).then((ok) => ok && setAdded({ key: "", value: "" }));
        }}
      >
        <input class="mono" placeholder="key" aria-label="New tag key" value={added.key} onInput={(e) => setAdded({ ...added, key: (e.target as HTMLInputElement).value })} />
        <input class="mono" placeholder="value" aria-label="New tag value" value={added.value} onInput={(e) => setAdded({ ...added, value: (e.target as HTMLInputElement).value })} />
        <button type="submit" disabled={busy || !added.key.trim()}>
          Add tag
        </button>
      </form>
    </div>
  );
}
