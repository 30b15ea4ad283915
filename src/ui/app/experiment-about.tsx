/**
 * An experiment's description (the `mlflow.note.content` tag, markdown) and tags, shown above its
 * runs and edited in place: `experiments/set-experiment-tag` and `delete-experiment-tag`.
 */

import { useState } from "preact/hooks";
import { post, type Experiment } from "./api.ts";
import { Dialog } from "./dialog.tsx";
import { EditableMarkdown } from "./editable-markdown.tsx";
import { TagEditor } from "./tag-editor.tsx";

const noteTag = "mlflow.note.content";

export function ExperimentAbout(props: { experiment: Experiment | undefined; onChanged: () => void }) {
  const [editingTags, setEditingTags] = useState(false);
  const exp = props.experiment;
  if (!exp) return null;
  const id = exp.experiment_id;
  const tags = exp.tags ?? [];
  const note = tags.find((t) => t.key === noteTag)?.value ?? "";
  const shown = tags.filter((t) => !t.key.startsWith("mlflow.")).sort((a, b) => a.key.localeCompare(b.key));
  const actions = {
    set: (key: string, value: string) => post("experiments/set-experiment-tag", { experiment_id: id, key, value }),
    remove: (key: string) => post("experiments/delete-experiment-tag", { experiment_id: id, key }),
  };
  return (
    <div class="experiment-about" data-testid="experiment-about">
      <EditableMarkdown
        compact
        title="Description"
        text={note}
        empty="No description."
        save={(value) => actions.set(noteTag, value).then(props.onChanged)}
        testid="experiment-description"
      />
      <div class="experiment-tags" data-testid="experiment-tags">
        {shown.map((t) => (
          <span key={t.key} class="badge mono" title={`${t.key}: ${t.value}`}>
            {t.key}: {t.value}
          </span>
        ))}
        {!shown.length && <span class="muted">none</span>}
        <button class="link" onClick={() => setEditingTags(true)}>
          Edit tags
        </button>
      </div>
      {editingTags && (
        <Dialog title="Experiment tags" onClose={() => setEditingTags(false)} testid="experiment-tags-dialog">
          <TagEditor tags={tags} actions={actions} onChanged={props.onChanged} testid="experiment-tag-table" />
          <div class="modal-actions">
            <button class="primary" onClick={() => setEditingTags(false)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
