/** One span of a trace: its inputs, outputs, attributes, events, status and assessments. */

import type { Assessment } from "./api.ts";
import { attributeValue, formatSpanDuration, spanIdHex, spanType, type SpanNode } from "./span-tree.ts";

/** Values are shown up to this many characters; the rest is cut with a note. */
const maxShown = 100_000;
const shownElsewhere = new Set(["mlflow.spanInputs", "mlflow.spanOutputs", "mlflow.spanType"]);

/** Objects indented; a string holding a JSON object or array too (OpenTelemetry SDKs send those). */
export function pretty(value: unknown): string {
  if (typeof value === "string" && /^\s*[[{]/.test(value)) {
    try {
      value = JSON.parse(value);
    } catch {}
  }
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2) ?? String(value);
  return text.length > maxShown ? `${text.slice(0, maxShown)}\n… (${(text.length - maxShown).toLocaleString()} more characters)` : text;
}

function Value(props: { text: unknown; testid: string }) {
  if (props.text === undefined) return <p class="muted small">none</p>;
  return (
    <pre class="span-value" data-testid={props.testid}>
      {pretty(attributeValue(props.text))}
    </pre>
  );
}

export function assessmentValue(a: Assessment): string {
  if (a.feedback) return a.feedback.error ? `error: ${a.feedback.error.error_message ?? a.feedback.error.error_code ?? ""}` : pretty(a.feedback.value ?? null);
  if (a.expectation) return a.expectation.serialized_value?.value ?? pretty(a.expectation.value ?? null);
  return "";
}

export function SpanDetail(props: { node: SpanNode; parent?: SpanNode; assessments: Assessment[]; onSelectParent: () => void }) {
  const { node, parent } = props;
  const type = spanType(node);
  const status = node.statusCode.replace(/^STATUS_CODE_/, "");
  const attributes = Object.entries(node.attributes)
    .filter(([k]) => !shownElsewhere.has(k))
    .sort(([a], [b]) => a.localeCompare(b));
  return (
    <div class="span-detail" data-testid="span-detail">
      <div class="toolbar">
        <h2 class="mono" data-testid="span-title">
          {node.name}
        </h2>
        {type && <span class={`span-type ${type}`}>{type}</span>}
        <span class={`status ${status}`}>{status}</span>
      </div>
      {node.statusMessage && <div class="error">{node.statusMessage}</div>}
      <dl class="overview">
        <dt>Span ID</dt>
        <dd class="mono">{spanIdHex(node.id)}</dd>
        <dt>Parent</dt>
        <dd class="mono">
          {parent ? (
            <a href="#" onClick={(e) => (e.preventDefault(), props.onSelectParent())}>
              {parent.name}
            </a>
          ) : (
            "—"
          )}
        </dd>
        <dt>Start</dt>
        <dd>{node.offsetMs === 0 ? "0 (trace start)" : `+${formatSpanDuration(node.offsetMs)}`}</dd>
        <dt>Duration</dt>
        <dd>{formatSpanDuration(node.durationMs) || "unfinished"}</dd>
      </dl>
      <h3>Inputs</h3>
      <Value text={node.attributes["mlflow.spanInputs"]} testid="span-inputs" />
      <h3>Outputs</h3>
      <Value text={node.attributes["mlflow.spanOutputs"]} testid="span-outputs" />
      <h3>Attributes ({attributes.length})</h3>
      {attributes.length ? (
        <table class="grid kv" data-testid="span-attributes">
          <tbody>
            {attributes.map(([k, v]) => (
              <tr key={k}>
                <th class="mono">{k}</th>
                <td class="mono pre">{pretty(attributeValue(v))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted small">none</p>
      )}
      <h3>Events ({node.events.length})</h3>
      {node.events.length === 0 && <p class="muted small">none</p>}
      {node.events.map((e, i) => (
        <div key={i} class="span-event" data-testid="span-event">
          <div>
            <strong class="mono">{e.name}</strong> <span class="muted small">+{formatSpanDuration(e.offsetMs)}</span>
          </div>
          {Object.keys(e.attributes).length > 0 && <pre class="span-value">{pretty(e.attributes)}</pre>}
        </div>
      ))}
      {props.assessments.length > 0 && (
        <>
          <h3>Assessments on this span</h3>
          <ul class="plain">
            {props.assessments.map((a) => (
              <li key={a.assessment_id}>
                <strong>{a.assessment_name}</strong>: <span class="mono">{assessmentValue(a)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
