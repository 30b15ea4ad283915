/**
 * A modal dialog on the browser's own `<dialog>`: focus stays inside while it is open, Esc and
 * Cancel close it, and focus returns to what opened it. Every confirmation and small form of the
 * editing pages (stage change, register model, rename, tags) uses it.
 */

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; testid?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    // Esc closes the dialog in the browser; its owner then unmounts it.
    const closed = () => onClose.current();
    dialog.addEventListener("close", closed);
    return () => {
      dialog.removeEventListener("close", closed);
      if (dialog.open) dialog.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog ref={ref} class="modal" aria-label={props.title} data-testid={props.testid}>
      <div class="modal-head">
        <h2>{props.title}</h2>
        <button type="button" class="link" aria-label="Close" onClick={() => props.onClose()}>
          ×
        </button>
      </div>
      {props.children}
    </dialog>
  );
}

/** Runs an action for a form: `busy` while it runs, its error kept for an ErrorBox. */
export async function attempt(
  action: () => Promise<unknown>,
  setBusy: (busy: boolean) => void,
  setError: (error: string | undefined) => void,
): Promise<boolean> {
  setBusy(true);
  setError(undefined);
  try {
    await action();
    return true;
  } catch (e) {
    setError((e as Error).message);
    return false;
  } finally {
    setBusy(false);
  }
}

/** A ref that focuses (or selects) a field once, when it first appears. */
export function focusOnce(select = false) {
  return (el: HTMLInputElement | HTMLTextAreaElement | null): void => {
    if (!el || el.dataset.focused) return;
    el.dataset.focused = "1";
    if (select) el.select();
    else el.focus();
  };
}
