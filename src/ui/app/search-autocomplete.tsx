/**
 * The runs search box with autocomplete of MLflow's search identifiers: `metrics.<key>`,
 * `params.<key>`, `tags.<key>` (keys seen in the loaded runs) and `attributes.<name>`, completing
 * the word at the caret. Arrow keys move through the suggestions, Tab or Enter takes one, Esc
 * closes the list; a key that is not a plain word is back-ticked as the grammar needs.
 */

import { useMemo, useRef, useState } from "preact/hooks";

export interface SearchKeys {
  metrics: string[];
  params: string[];
  tags: string[];
}

/** The run attributes MLflow's search grammar accepts. */
const attributes = ["run_id", "run_name", "status", "start_time", "end_time", "user_id", "artifact_uri"];

const identifier = (entity: string, key: string) => `${entity}.${/^\w+$/.test(key) ? key : "`" + key.replaceAll("`", "") + "`"}`;

/** Where the word being typed before `caret` starts, or -1 inside a quoted value. */
export function wordStart(text: string, caret: number): number {
  const before = text.slice(0, caret);
  if ((before.match(/'/g)?.length ?? 0) % 2 === 1 || (before.match(/"/g)?.length ?? 0) % 2 === 1) return -1;
  let end = before.length;
  // Inside an open back-tick the word includes spaces: start from the text before that tick.
  if ((before.match(/`/g)?.length ?? 0) % 2 === 1) end = before.lastIndexOf("`");
  let start = end;
  while (start > 0 && !/[\s(),=<>!]/.test(before[start - 1]!)) start--;
  return start;
}

export function suggestions(keys: SearchKeys, word: string, limit = 12): string[] {
  const all = [
    ...keys.metrics.map((k) => identifier("metrics", k)),
    ...keys.params.map((k) => identifier("params", k)),
    ...keys.tags.map((k) => identifier("tags", k)),
    ...attributes.map((k) => identifier("attributes", k)),
  ];
  const typed = word.toLowerCase().replaceAll("`", "");
  if (!typed || /^(and|in|like|ilike|not|is|null)$/i.test(word)) return [];
  const plain = (s: string) => s.toLowerCase().replaceAll("`", "");
  const prefix = all.filter((s) => plain(s).startsWith(typed) && plain(s) !== typed);
  // "lo" finds metrics.loss: a match at the start of the key, after the entity.
  const key = typed.includes(".") ? [] : all.filter((s) => !prefix.includes(s) && plain(s).split(".").slice(1).join(".").startsWith(typed));
  return [...prefix, ...key].slice(0, limit);
}

export function SearchAutocomplete(props: { value: string; onInput: (text: string) => void; keys: SearchKeys; placeholder: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [caret, setCaret] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const start = wordStart(props.value, caret);
  const word = start < 0 ? "" : props.value.slice(start, caret);
  const options = useMemo(() => (open && start >= 0 ? suggestions(props.keys, word) : []), [open, start, word, props.keys]);
  const shown = options.length > 0;

  const take = (option: string) => {
    const rest = props.value.slice(caret);
    const text = props.value.slice(0, start) + option + (rest.startsWith(" ") ? "" : " ") + rest;
    const at = start + option.length + 1;
    props.onInput(text);
    setOpen(false);
    setActive(-1);
    requestAnimationFrame(() => input.current?.setSelectionRange(at, at));
    setCaret(at);
  };

  return (
    <div class="autocomplete">
      <input
        ref={input}
        name="filter"
        class="mono"
        autocomplete="off"
        spellcheck={false}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={shown}
        aria-controls="filter-suggestions"
        aria-activedescendant={shown && active >= 0 ? `filter-suggestion-${active}` : undefined}
        placeholder={props.placeholder}
        value={props.value}
        onInput={(e) => {
          const el = e.target as HTMLInputElement;
          props.onInput(el.value);
          setCaret(el.selectionStart ?? el.value.length);
          setOpen(true);
          setActive(-1);
        }}
        onClick={(e) => setCaret((e.target as HTMLInputElement).selectionStart ?? 0)}
        onBlur={() => setOpen(false)}
        onKeyDown={(e) => {
          if (!shown) return;
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            const step = e.key === "ArrowDown" ? 1 : -1;
            setActive((a) => (a + step + options.length) % options.length);
          } else if (e.key === "Tab" || (e.key === "Enter" && active >= 0)) {
            e.preventDefault();
            take(options[Math.max(0, active)]!);
          } else if (e.key === "Escape") {
            e.preventDefault();
            setOpen(false);
          }
        }}
      />
      {shown && (
        <ul class="suggestions" role="listbox" id="filter-suggestions" aria-label="Suggestions">
          {options.map((option, i) => (
            <li
              key={option}
              id={`filter-suggestion-${i}`}
              role="option"
              aria-selected={i === active}
              class={i === active ? "active" : ""}
              onMouseDown={(e) => (e.preventDefault(), take(option))}
            >
              {option}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
