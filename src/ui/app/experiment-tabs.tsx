/**
 * The tabs of an experiment, at MLflow's own paths so links MLflow clients print open here:
 * `#/experiments/<id>` (runs), `#/experiments/<id>/models`, `#/experiments/<id>/traces`.
 */

import type { ComponentChildren } from "preact";
import { get, type Experiment } from "./api.ts";
import { ErrorBox, useAsync } from "./common.tsx";
import { href } from "./router.ts";

export type ExperimentTab = "runs" | "models" | "traces";

export function ExperimentTabs(props: { experimentId: string; active: ExperimentTab }) {
  const id = props.experimentId;
  const tabs: [ExperimentTab, string, string][] = [
    ["runs", "Runs", `/experiments/${id}`],
    ["models", "Models", `/experiments/${id}/models`],
    ["traces", "Traces", `/experiments/${id}/traces`],
  ];
  return (
    <nav class="tabs experiment-tabs">
      {tabs.map(([tab, label, path]) => (
        <a key={tab} href={href(path)} class={props.active === tab ? "active" : ""}>
          {label}
        </a>
      ))}
    </nav>
  );
}

/** Title (Experiments / name) and tabs of an experiment's Models and Traces pages. */
export function ExperimentHeader(props: { experimentId: string; active: ExperimentTab; children?: ComponentChildren }) {
  const experiment = useAsync(() => get<{ experiment: Experiment }>("experiments/get", { experiment_id: props.experimentId }), [props.experimentId]);
  const exp = experiment.value?.experiment;
  return (
    <>
      <div class="toolbar">
        <h1>
          <a href={href("/experiments")} class="muted">
            Experiments
          </a>{" "}
          / {exp?.name ?? props.experimentId}
        </h1>
        {exp?.lifecycle_stage === "deleted" && <span class="badge">deleted</span>}
        <span class="spacer" />
        {props.children}
      </div>
      <ErrorBox error={experiment.error} />
      <ExperimentTabs experimentId={props.experimentId} active={props.active} />
    </>
  );
}
