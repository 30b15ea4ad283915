/** Small shared pieces: error and empty-state boxes, the client hint, a copy button, async loading. */

import type { ComponentChildren, RefObject } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export function ErrorBox(props: { error: string | undefined }) {
  return props.error ? <div class="error" role="alert">{props.error}</div> : null;
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="empty">{props.children}</div>;
}

export function ClientHint() {
  const uri = `${location.protocol}//${location.host}`;
  return (
    <div class="hint">
      <p>Point the MLflow client at this server:</p>
      <pre>
        {`import mlflow\nmlflow.set_tracking_uri("${uri}")\nmlflow.set_experiment("my-experiment")\nwith mlflow.start_run():\n    mlflow.log_param("lr", 0.01)\n    mlflow.log_metric("loss", 0.5)`}
      </pre>
      <p class="muted">
        or set <code>MLFLOW_TRACKING_URI={uri}</code> in the environment.
      </p>
    </div>
  );
}

/**
 * A search box for one of MLflow's filter grammars: `text` is what is typed, `filter` what is
 * applied (from the URL); submitting applies the trimmed text, Clear removes the filter. Extra
 * buttons go in `children`.
 */
export function FilterForm(props: {
  placeholder: string;
  text: string;
  setText: (text: string) => void;
  filter: string | undefined;
  apply: (filter: string | undefined) => void;
  children?: ComponentChildren;
}) {
  return (
    <form class="filter" onSubmit={(e) => (e.preventDefault(), props.apply(props.text.trim() || undefined))}>
      <input
        name="filter"
        class="mono"
        placeholder={props.placeholder}
        value={props.text}
        onInput={(e) => props.setText((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Search</button>
      {props.filter && (
        <button type="button" class="link" onClick={() => props.apply(undefined)}>
          Clear
        </button>
      )}
      {props.children}
    </form>
  );
}

export function Copy(props: { text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      class="link small"
      title="Copy"
      onClick={() => {
        void navigator.clipboard?.writeText(props.text).then(() => {
          setDone(true);
          setTimeout(() => setDone(false), 1200);
        });
      }}
    >
      {done ? "copied" : "copy"}
    </button>
  );
}

/** Runs `load` whenever `deps` change; `reload()` runs it again. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): { value?: T; error?: string; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ value?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (value) => !cancelled && setState({ value, loading: false }),
      (error: Error) => !cancelled && setState({ error: error.message, loading: false }),
    );
    return () => {
      cancelled = true;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/**
 * The visible window of a scrolling element, so long lists draw only the rows in view: attach
 * `scroller` to the element; `viewport` follows its scroll position and size, once per frame.
 */
export function useViewport(initialHeight: number): {
  scroller: RefObject<HTMLDivElement | null>;
  viewport: { top: number; height: number };
} {
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: initialHeight });
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    let frame = 0;
    const update = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setViewport({ top: el.scrollTop, height: el.clientHeight }));
    };
    update();
    el.addEventListener("scroll", update, { passive: true });
    const observer = new ResizeObserver(update);
    observer.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      el.removeEventListener("scroll", update);
      observer.disconnect();
    };
    // The element may appear only once the data is there (the runs table).
  }, [scroller.current]);
  return { scroller, viewport };
}
