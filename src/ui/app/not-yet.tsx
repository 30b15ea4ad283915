/** The page for an MLflow link to something fml's UI does not show yet (logged models, traces). */

import { Empty } from "./common.tsx";
import { href } from "./router.ts";

export function NotYetPage(props: { title: string; what: string; experimentId: string | null; api: string }) {
  return (
    <div class="page not-yet">
      <h1>{props.title}</h1>
      <Empty>
        <p>
          fml's web UI cannot show {props.what} yet. The data is served to MLflow clients by <code>{props.api}</code>.
        </p>
        {props.experimentId && (
          <p>
            <a href={href(`/experiments/${encodeURIComponent(props.experimentId)}`)}>Open the experiment's runs</a>
          </p>
        )}
      </Empty>
    </div>
  );
}
