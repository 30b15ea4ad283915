/** The experiments list: search by name, create, rename, delete and restore. */

import { useEffect, useState } from "preact/hooks";
import { post, type Experiment } from "./api.ts";
import { ClientHint, Empty, ErrorBox, useAsync } from "./common.tsx";
import { formatTime } from "./format.ts";
import { href, setQuery, type Route } from "./router.ts";

async function searchExperiments(name: string, viewType: string): Promise<Experiment[]> {
  const all: Experiment[] = [];
  let token: string | undefined;
  const filter = name ? `name ILIKE '%${name.replaceAll("'", "\\'")}%'` : undefined;
  do {
    const page = await post<{ experiments?: Experiment[]; next_page_token?: string }>("experiments/search", {
      max_results: 1000,
      filter,
      view_type: viewType,
      order_by: ["last_update_time DESC"],
      page_token: token,
    });
    all.push(...(page.experiments ?? []));
    token = page.next_page_token;
  } while (token && all.length < 10000);
  return all;
}

export function ExperimentsPage(props: { route: Route }) {
  const search = props.route.query.get("q") ?? "";
  const view = props.route.query.get("view") ?? "ACTIVE_ONLY";
  const [text, setText] = useState(search);
  const [newName, setNewName] = useState("");
  const [renaming, setRenaming] = useState<{ id: string; name: string }>();
  const [actionError, setActionError] = useState<string>();
  const list = useAsync(() => searchExperiments(search, view), [search, view]);
  // Search as you type, without a history entry per keystroke.
  useEffect(() => {
    if (text === search) return;
    const timer = setTimeout(() => setQuery({ q: text || undefined }, true), 250);
    return () => clearTimeout(timer);
  }, [text]);

  const act = async (action: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await action();
      list.reload();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };

  return (
    <div class="page">
      <div class="toolbar">
        <h1>Experiments</h1>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setQuery({ q: text || undefined });
          }}
        >
          <input type="search" placeholder="Search by name" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </form>
        <select value={view} onChange={(e) => setQuery({ view: (e.target as HTMLSelectElement).value })} aria-label="Lifecycle">
          <option value="ACTIVE_ONLY">Active</option>
          <option value="DELETED_ONLY">Deleted</option>
          <option value="ALL">All</option>
        </select>
        <span class="spacer" />
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (newName.trim()) void act(() => post("experiments/create", { name: newName.trim() })).then(() => setNewName(""));
          }}
        >
          <input placeholder="New experiment name" value={newName} onInput={(e) => setNewName((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled={!newName.trim()}>
            Create
          </button>
        </form>
      </div>
      <ErrorBox error={list.error ?? actionError} />
      {list.value && list.value.length === 0 && (
        <Empty>
          {search ? (
            <p>No experiment name contains “{search}”. Clear the search to see all experiments.</p>
          ) : view === "DELETED_ONLY" ? (
            <p>No deleted experiments.</p>
          ) : (
            <>
              <p>No experiments yet. Create one above, or log from Python:</p>
              <ClientHint />
            </>
          )}
        </Empty>
      )}
      {list.value && list.value.length > 0 && (
        <table class="grid experiments">
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Created</th>
              <th>Last update</th>
              <th>Artifact location</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.value.map((exp) => (
              <tr key={exp.experiment_id} class={exp.lifecycle_stage === "deleted" ? "deleted" : ""}>
                <td>
                  {renaming?.id === exp.experiment_id ? (
                    <form
                      class="inline"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void act(() => post("experiments/update", { experiment_id: exp.experiment_id, new_name: renaming.name })).then(() =>
                          setRenaming(undefined),
                        );
                      }}
                    >
                      <input
                        value={renaming.name}
                        ref={(el) => el?.focus()}
                        onInput={(e) => setRenaming({ id: exp.experiment_id, name: (e.target as HTMLInputElement).value })}
                      />
                      <button type="submit">Save</button>
                      <button type="button" class="link" onClick={() => setRenaming(undefined)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <a href={href(`/experiments/${exp.experiment_id}`)}>{exp.name}</a>
                  )}
                </td>
                <td class="mono">{exp.experiment_id}</td>
                <td>{formatTime(exp.creation_time)}</td>
                <td>{formatTime(exp.last_update_time)}</td>
                <td class="mono muted ellipsis" title={exp.artifact_location}>
                  {exp.artifact_location}
                </td>
                <td class="actions">
                  {exp.lifecycle_stage === "deleted" ? (
                    <button class="link" onClick={() => act(() => post("experiments/restore", { experiment_id: exp.experiment_id }))}>
                      Restore
                    </button>
                  ) : (
                    <>
                      <button class="link" onClick={() => setRenaming({ id: exp.experiment_id, name: exp.name })}>
                        Rename
                      </button>
                      <button
                        class="link danger"
                        onClick={() =>
                          confirm(`Delete experiment “${exp.name}” and its runs? It can be restored later.`) &&
                          act(() => post("experiments/delete", { experiment_id: exp.experiment_id }))
                        }
                      >
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
