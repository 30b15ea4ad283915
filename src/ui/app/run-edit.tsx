/**
 * Editing a run from its page: rename it (`runs/update`), its description (the
 * `mlflow.note.content` tag, markdown) and its tags (`runs/set-tag`, `runs/delete-tag`), and
 * register a model from a model folder of its artifacts.
 */

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { post, tagOf, type Run } from "./api.ts";
import { ErrorBox } from "./common.tsx";
import { attempt, Dialog, focusOnce } from "./dialog.tsx";
import { EditableMarkdown } from "./editable-markdown.tsx";
import { RegisterModelButton } from "./register-model.tsx";
import { TagEditor } from "./tag-editor.tsx";

export const noteTag = "mlflow.note.content";

export function RunDescription(props: { run: Run; onSaved: () => void }) {
  const runId = props.run.info.run_id;
  return (
    <EditableMarkdown
      title="Description"
      text={tagOf(props.run, noteTag) ?? ""}
      empty="No description. Click Edit to add notes (markdown)."
      save={(value) => post("runs/set-tag", { run_id: runId, key: noteTag, value }).then(props.onSaved)}
      testid="run-description"
    />
  );
}

export function RunTags(props: { run: Run; onChanged: () => void }) {
  const [showSystem, setShowSystem] = useState(false);
  const runId = props.run.info.run_id;
  return (
    <section class="card">
      <div class="toolbar">
        <h2>Tags</h2>
        <label class="small">
          <input type="checkbox" checked={showSystem} onChange={(e) => setShowSystem((e.target as HTMLInputElement).checked)} /> show mlflow.* tags
        </label>
      </div>
      <TagEditor
        tags={props.run.data.tags ?? []}
        showSystem={showSystem}
        testid="tags"
        onChanged={props.onChanged}
        actions={{
          set: (key, value) => post("runs/set-tag", { run_id: runId, key, value }),
          remove: (key) => post("runs/delete-tag", { run_id: runId, key }),
        }}
      />
    </section>
  );
}

export function RenameRun(props: { run: Run; onRenamed: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const info = props.run.info;
  const submit = async () => {
    if (await attempt(() => post("runs/update", { run_id: info.run_id, run_name: name.trim() }), setBusy, setError)) {
      setOpen(false);
      props.onRenamed();
    }
  };
  return (
    <>
      <button class="link" onClick={() => (setName(info.run_name ?? ""), setError(undefined), setOpen(true))}>
        Rename
      </button>
      {open && (
        <Dialog title="Rename run" onClose={() => setOpen(false)} testid="rename-dialog">
          <form onSubmit={(e) => (e.preventDefault(), void submit())}>
            <label class="field">
              Run name
              <input aria-label="Run name" value={name} ref={focusOnce(true)} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </label>
            <ErrorBox error={error} />
            <div class="modal-actions">
              <button type="button" class="link" onClick={() => setOpen(false)}>
                Cancel
              </button>
              <button type="submit" class="primary" disabled={busy || !name.trim()}>
                Save
              </button>
            </div>
          </form>
        </Dialog>
      )}
    </>
  );
}

/** The "Register model" button of a run's artifact folder that holds an MLmodel file. */
export function runFolderActions(run: Run): (dir: string, files: { path: string }[]) => ComponentChildren {
  return (dir, files) => {
    const mlmodel = dir ? `${dir}/MLmodel` : "MLmodel";
    if (!files.some((f) => f.path === mlmodel) || !run.info.artifact_uri) return null;
    const source = dir ? `${run.info.artifact_uri.replace(/\/+$/, "")}/${dir}` : run.info.artifact_uri;
    return <RegisterModelButton from={{ source, runId: run.info.run_id }} />;
  };
}
