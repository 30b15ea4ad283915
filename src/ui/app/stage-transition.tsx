/**
 * Changing a model version's stage, as MLflow's UI does it: picking a stage only asks; the
 * dialog says what will happen and, for Staging and Production, offers MLflow's
 * `archive_existing_versions` ("Transition existing Production model versions to Archived"),
 * so two versions need not end up in Production. Esc or Cancel changes nothing.
 */

import { useState } from "preact/hooks";
import { post } from "./api.ts";
import { ErrorBox } from "./common.tsx";
import { attempt, Dialog } from "./dialog.tsx";

export const stages = ["None", "Staging", "Production", "Archived"] as const;
const activeStages = new Set(["Staging", "Production"]);

export function StageDialog(props: { name: string; version: string; from: string; to: string; onClose: () => void; onDone: () => void }) {
  const { name, version, from, to } = props;
  const [archive, setArchive] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const canArchive = activeStages.has(to);
  const submit = async () => {
    const body = { name, version, stage: to, archive_existing_versions: canArchive && archive };
    if (await attempt(() => post("model-versions/transition-stage", body), setBusy, setError)) props.onDone();
  };
  return (
    <Dialog title="Stage transition" onClose={props.onClose} testid="stage-dialog">
      <form method="dialog" onSubmit={(e) => (e.preventDefault(), void submit())}>
        <p>
          Transition version {version} of <strong>{name}</strong> from <span class="badge">{from}</span> to <span class="badge">{to}</span>?
        </p>
        {canArchive && (
          <label class="check">
            <input type="checkbox" checked={archive} onChange={(e) => setArchive((e.target as HTMLInputElement).checked)} /> Transition existing {to} model
            versions to Archived
          </label>
        )}
        <ErrorBox error={error} />
        <div class="modal-actions">
          <button type="button" class="link" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Transition
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** A stage picker that asks before changing anything. */
export function StageSelect(props: { name: string; version: string; stage: string | undefined; onChanged: () => void }) {
  const current = props.stage ?? "None";
  const [target, setTarget] = useState<string>();
  return (
    <>
      <select
        aria-label={`Stage of version ${props.version}`}
        value={current}
        onChange={(e) => {
          const select = e.target as HTMLSelectElement;
          const picked = select.value;
          // The select shows the real stage until the transition is confirmed.
          select.value = current;
          if (picked !== current) setTarget(picked);
        }}
      >
        {stages.map((stage) => (
          <option key={stage} value={stage}>
            {stage}
          </option>
        ))}
      </select>
      {target && (
        <StageDialog
          name={props.name}
          version={props.version}
          from={current}
          to={target}
          onClose={() => setTarget(undefined)}
          onDone={() => (setTarget(undefined), props.onChanged())}
        />
      )}
    </>
  );
}
