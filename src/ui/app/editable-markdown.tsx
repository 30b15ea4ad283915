/**
 * A description shown as markdown (rendered by markdown.ts, which escapes all HTML) and edited in
 * place as text: run notes, experiment notes (`mlflow.note.content`), registered model and model
 * version descriptions. Esc or Cancel leaves the editor without saving.
 */

import { useState } from "preact/hooks";
import { ErrorBox } from "./common.tsx";
import { attempt, focusOnce } from "./dialog.tsx";
import { renderMarkdown } from "./markdown.ts";

export function Markdown(props: { text: string }) {
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(props.text) }} />;
}

export function EditableMarkdown(props: {
  title: string;
  text: string;
  save: (text: string) => Promise<unknown>;
  /** Shown when there is no text yet. */
  empty: string;
  /** A plain block (no card), for the experiment page's header. */
  bare?: boolean;
  testid?: string;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(props.text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const save = async () => {
    if (await attempt(() => props.save(draft), setBusy, setError)) setEditing(false);
  };
  const Heading = props.bare ? "h3" : "h2";
  return (
    <section class={props.bare ? "description bare" : "card description"} data-testid={props.testid}>
      <div class="toolbar">
        <Heading>{props.title}</Heading>
        {!editing && (
          <button class="link" onClick={() => (setDraft(props.text), setError(undefined), setEditing(true))}>
            Edit
          </button>
        )}
      </div>
      <ErrorBox error={error} />
      {editing ? (
        <div class="note-editor">
          <textarea
            rows={8}
            value={draft}
            aria-label={props.title}
            ref={focusOnce()}
            onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") (e.preventDefault(), setEditing(false));
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) (e.preventDefault(), void save());
            }}
            placeholder="Markdown: **bold**, `code`, [links](https://…), lists"
          />
          <div class="toolbar">
            <button onClick={save} disabled={busy}>
              Save
            </button>
            <button class="link" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <span class="muted small">Markdown; Ctrl+Enter saves, Esc cancels.</span>
          </div>
        </div>
      ) : props.text ? (
        <Markdown text={props.text} />
      ) : (
        <p class="muted">{props.empty}</p>
      )}
    </section>
  );
}
