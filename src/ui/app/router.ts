/**
 * Hash routing: `#/<path>?<query>` captures the page, filter and selection so a URL can be shared
 * and the back button works.
 */

import { useEffect, useState } from "preact/hooks";

export interface Route {
  path: string[];
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path = "", query = ""] = hash.split("?", 2) as [string?, string?];
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const text = params.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

/** Changes the URL; `replace` for state that should not add a history entry (e.g. a selection). */
export function navigate(to: string, replace = false): void {
  if (replace) {
    history.replaceState(history.state, "", to);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = to.slice(1);
  }
}

/** Updates some query parameters of the current route. */
export function setQuery(changes: Record<string, string | undefined>, replace = false): void {
  const route = currentRoute();
  const query: Record<string, string | undefined> = Object.fromEntries(route.query);
  Object.assign(query, changes);
  navigate(href("/" + route.path.map(encodeURIComponent).join("/"), query), replace);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
