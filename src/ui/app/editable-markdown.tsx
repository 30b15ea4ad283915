/**
 * A description shown as markdown (rendered by markdown.ts, which escapes all HTML) and edited in
 * place as text: run notes, experiment notes (`mlflow.note.content`), registered model and model
 * version descriptions. Esc or Cancel leaves the editor without saving.
 */

import { useState } from "preact/hooks";
import { ErrorBox } from "./common.tsx";
import { attempt, focusOnce } from "./dialog.tsx";
import { renderMarkdown } from "./markdown.ts";

export function Markdown(props: { text: string; clamped?: boolean }) {
  return <div class={props.clamped ? "markdown clamped" : "markdown"} dangerouslySetInnerHTML={{ __html: renderMarkdown(props.text) }} />;
}

/** A text long enough to be cut to a few lines in the compact form. */
const isLong = (text: string) => text.length > 240 || text.split("\n").length > 3;

export function EditableMarkdown(props: {
  title: string;
  text: string;
  save: (text: string) => Promise<unknown>;
  /** Shown when there is no text yet. */
  empty: string;
  /** No card and no heading, a long text cut to a few lines (the experiment page's header). */
  compact?: boolean;
  testid?: string;
}) {
  const [editing, setEditing] = useState(false);
  const [expanded, setExpanded] = useState(false);
  const [draft, setDraft] = useState(props.text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const save = async () => {
    if (await attempt(() => props.save(draft), setBusy, setError)) setEditing(false);
  };
  const edit = (
    <button class="link" onClick={() => (setDraft(props.text), setError(undefined), setEditing(true))}>
      {props.compact ? `Edit ${props.title.toLowerCase()}` : "Edit"}
    </button>
  );
  let body;
  if (editing) {
    body = (
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
    );
  } else if (!props.text) {
    body = props.compact ? (
      <p class="muted">
        {props.empty} {edit}
      </p>
    ) : (
      <p class="muted">{props.empty}</p>
    );
  } else if (props.compact) {
    const long = isLong(props.text);
    body = (
      <>
        <Markdown text={props.text} clamped={long && !expanded} />
        <div class="small">
          {long && (
            <button class="link" onClick={() => setExpanded(!expanded)}>
              {expanded ? "Show less" : "Show more"}
            </button>
          )}
          {edit}
        </div>
      </>
    );
  } else body = <Markdown text={props.text} />;
  return (
    <section class={props.compact ? "description compact" : "card description"} data-testid={props.testid}>
      {!props.compact && (
        <div class="toolbar">
          <h2>{props.title}</h2>
          {!editing && edit}
        </div>
      )}
      <ErrorBox error={error} />
      {body}
    </section>
  );
}
