/** The fml web UI: a hash-routed single page over fml's JSON API. */

import { render } from "preact";
import { useEffect } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import "../style.css";
import { ComparePage } from "./compare.tsx";
import { ExperimentsPage } from "./experiments.tsx";
import { LoggedModelPage } from "./logged-model.tsx";
import { LoggedModelsPage } from "./logged-models.tsx";
import { ModelPage, ModelsPage } from "./registry.tsx";
import { fromMlflowLink } from "./mlflow-links.ts";
import { ModelVersionPage } from "./model-version.tsx";
import { href, navigate, useRoute } from "./router.ts";
import { RunPage } from "./run.tsx";
import { RunsPage } from "./runs.tsx";
import { TracesPage } from "./traces.tsx";

function Page() {
  const route = useRoute();
  // A link in MLflow's form is replaced by fml's, so the address bar and back button agree.
  const fmlLink = fromMlflowLink(route);
  useEffect(() => {
    if (fmlLink) navigate(fmlLink, true);
  }, [fmlLink]);
  if (fmlLink) return null;
  const [section, id, tab, item] = route.path;
  // MLflow's experiment tabs: `#/experiments/<id>/models[/<model_id>]`, `#/experiments/<id>/traces[/<trace_id>]`.
  if (section === "experiments" && id && tab === "models" && item) return <LoggedModelPage route={route} experimentId={id} modelId={item} />;
  if (section === "experiments" && id && tab === "models") return <LoggedModelsPage key={id} route={route} experimentId={id} />;
  if (section === "experiments" && id && tab === "traces") return <TracesPage key={id} route={route} experimentId={id} traceId={item} />;
  if (section === "experiments" && id) return <RunsPage key={id} route={route} experimentId={id} />;
  if (section === "runs" && id) return <RunPage route={route} runId={id} />;
  if (section === "compare") return <ComparePage route={route} />;
  if (section === "models" && id && tab === "versions" && item) return <ModelVersionPage name={id} version={item} />;
  if (section === "models" && id) return <ModelPage name={id} version={route.query.get("version") ?? undefined} />;
  if (section === "models") return <ModelsPage route={route} />;
  return <ExperimentsPage route={route} />;
}

function App() {
  const route = useRoute();
  const section = route.path[0] ?? "experiments";
  return (
    <>
      <header class="top">
        <a class="brand" href={href("/experiments")}>
          fml
        </a>
        <nav>
          <a href={href("/experiments")} class={section !== "models" ? "active" : ""}>
            Experiments
          </a>
          <a href={href("/models")} class={section === "models" ? "active" : ""}>
            Models
          </a>
        </nav>
      </header>
      <main>
        <Page />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
