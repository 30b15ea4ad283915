/**
 * The artifact browser of a run or a logged model: a directory listing (`artifacts/list`,
 * `logged-models/<id>/artifacts/directories`) and previews of text, JSON, YAML, CSV (as a table)
 * and images through the download routes, with a download link.
 */

import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, artifactUrl, get } from "./api.ts";
import { useAsync } from "./common.tsx";
import { modelFileUrl } from "./mlmodel.ts";

interface FileInfo {
  path: string;
  is_dir?: boolean;
  file_size?: number;
}

/** Where the files come from: a run's artifacts or a logged model's. */
export interface ArtifactSource {
  id: string;
  list(dir: string): Promise<FileInfo[]>;
  url(path: string): string;
}

export function runArtifacts(runId: string): ArtifactSource {
  return {
    id: runId,
    list: async (dir) => (await get<{ files?: FileInfo[] }>("artifacts/list", { run_id: runId, path: dir || undefined })).files ?? [],
    url: (path) => artifactUrl(runId, path),
  };
}

export function modelArtifacts(modelId: string): ArtifactSource {
  return {
    id: modelId,
    list: async (dir) =>
      (await get<{ files?: FileInfo[] }>(`logged-models/${encodeURIComponent(modelId)}/artifacts/directories`, { artifact_directory_path: dir || undefined })).files ?? [],
    url: (path) => modelFileUrl(modelId, path),
  };
}

const imageExt = /\.(png|jpe?g|gif|svg|webp|bmp|ico)$/i;
const textExt = /\.(txt|log|md|py|yaml|yml|json|csv|tsv|toml|ini|cfg|sh|js|ts|html|xml|sql|r|scala|java|ipynb)$|(^|\/)(MLmodel|requirements\.txt|conda\.yaml|python_env\.yaml|LICENSE|Dockerfile)$/i;
const maxPreviewBytes = 2_000_000;

function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** Splits CSV text into rows, honouring double-quoted fields. */
export function parseCsv(text: string, separator = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) row.push(field), (field = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field), rows.push(row), (row = []), (field = "");
    } else field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

/** Folder and file glyphs drawn inline: emoji fonts are missing on many machines. */
function Icon(props: { dir: boolean }) {
  return (
    <svg class="icon" viewBox="0 0 16 16" aria-hidden="true">
      {props.dir ? <path d="M1.5 3.5h5l1.5 1.5h6.5v8h-13z" /> : <path d="M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3" />}
    </svg>
  );
}

function Preview(props: { source: ArtifactSource; file: FileInfo }) {
  const { source, file } = props;
  const name = file.path.split("/").pop() ?? file.path;
  const isImage = imageExt.test(name);
  const isText = !isImage && (textExt.test(file.path) || !/\.[^/]+$/.test(name));
  const content = useAsync(async () => {
    if (!isText || (file.file_size ?? 0) > maxPreviewBytes) return undefined;
    const response = await fetch(source.url(file.path));
    if (!response.ok) throw new ApiError(response.status, String(response.status), `Cannot read ${file.path} (${response.status})`);
    return response.text();
  }, [source.id, file.path]);
  const url = source.url(file.path);
  let body = null;
  if (isImage) body = <img class="artifact-image" src={url} alt={file.path} />;
  else if (!isText) body = <p class="muted">No preview for this file type. Download it to open it.</p>;
  else if ((file.file_size ?? 0) > maxPreviewBytes) body = <p class="muted">Too large to preview ({formatSize(file.file_size)}). Download it instead.</p>;
  else if (content.error) body = <div class="error">{content.error}</div>;
  else if (content.value !== undefined) {
    const text = content.value;
    if (/\.(csv|tsv)$/i.test(name)) {
      const rows = parseCsv(text, /\.tsv$/i.test(name) ? "\t" : ",").slice(0, 501);
      body = (
        <div class="scroll-x">
          <table class="grid csv">
            <thead>
              <tr>{rows[0]?.map((h, i) => <th key={i}>{h}</th>)}</tr>
            </thead>
            <tbody>
              {rows.slice(1).map((r, i) => (
                <tr key={i}>{r.map((v, j) => <td key={j}>{v}</td>)}</tr>
              ))}
            </tbody>
          </table>
          {rows.length > 500 && <p class="muted">First 500 rows.</p>}
        </div>
      );
    } else if (/\.json$/i.test(name)) {
      let pretty = text;
      try {
        pretty = JSON.stringify(JSON.parse(text), null, 2);
      } catch {}
      body = <pre class="artifact-text">{pretty}</pre>;
    } else body = <pre class="artifact-text">{text}</pre>;
  } else body = <p class="muted">Loading…</p>;
  return (
    <div class="artifact-preview" data-artifact={file.path}>
      <div class="toolbar">
        <strong class="mono">{file.path}</strong>
        <span class="muted">{formatSize(file.file_size)}</span>
        <span class="spacer" />
        <a href={url} download={name}>
          Download
        </a>
      </div>
      {body}
    </div>
  );
}

/**
 * `initialPath` (from MLflow's `runs/<id>/artifacts/<path>` links) opens that folder or file once
 * it is listed; `initialFile` (a logged model's MLmodel) is shown at once.
 */
export function ArtifactBrowser(props: {
  source: ArtifactSource;
  initialPath?: string;
  initialFile?: string;
  /** Buttons for the folder shown (a run's "Register model" beside a model folder). */
  folderActions?: (dir: string, files: FileInfo[]) => ComponentChildren;
}) {
  const { source } = props;
  const parentOf = (path: string): string => path.split("/").slice(0, -1).join("/");
  const [dir, setDir] = useState(props.initialPath ? parentOf(props.initialPath) : "");
  const [file, setFile] = useState<FileInfo | undefined>(props.initialFile ? { path: props.initialFile } : undefined);
  const [opening, setOpening] = useState(props.initialPath);
  useEffect(() => {
    setDir(props.initialPath ? parentOf(props.initialPath) : "");
    setFile(props.initialFile ? { path: props.initialFile } : undefined);
    setOpening(props.initialPath);
  }, [source.id, props.initialPath]);
  // The initial file may be known only after the browser is shown (a model's MLmodel).
  useEffect(() => {
    if (props.initialFile && !dir) setFile((f) => f ?? { path: props.initialFile! });
  }, [props.initialFile]);
  const listing = useAsync(async () => ({ files: await source.list(dir) }), [source.id, dir]);
  useEffect(() => {
    const entry = opening && listing.value?.files?.find((f) => f.path === opening);
    if (!opening || !listing.value) return;
    setOpening(undefined);
    if (entry && entry.is_dir) setDir(entry.path);
    else if (entry) setFile(entry);
  }, [listing.value, opening]);
  const missing = listing.error && /ENDPOINT_NOT_FOUND|No API endpoint/.test(listing.error);
  if (missing) return <p class="muted">Artifact browsing is not available on this server yet.</p>;
  const files = [...(listing.value?.files ?? [])].sort((a, b) => Number(b.is_dir ?? false) - Number(a.is_dir ?? false) || a.path.localeCompare(b.path));
  const crumbs = dir ? dir.split("/") : [];
  return (
    <div class="artifacts">
      <div class="artifact-list">
        <div class="crumbs">
          <button class="link" onClick={() => setDir("")}>
            artifacts
          </button>
          {crumbs.map((c, i) => (
            <span key={i}>
              {" / "}
              <button class="link" onClick={() => setDir(crumbs.slice(0, i + 1).join("/"))}>
                {c}
              </button>
            </span>
          ))}
          {listing.value && props.folderActions && <div class="folder-actions">{props.folderActions(dir, listing.value.files)}</div>}
        </div>
        {listing.error && <div class="error">{listing.error}</div>}
        {listing.value && files.length === 0 && (
          <p class="muted">
            No artifacts{dir ? " in this folder" : ""}. Log some with <code>mlflow.log_artifact("file.txt")</code>.
          </p>
        )}
        <ul>
          {files.map((f) => (
            <li key={f.path}>
              <button
                class={"link artifact-entry" + (file?.path === f.path ? " active" : "")}
                data-path={f.path}
                onClick={() => (f.is_dir ? (setDir(f.path), setFile(undefined)) : setFile(f))}
              >
                <Icon dir={Boolean(f.is_dir)} />
                {f.path.split("/").pop()}
              </button>
              {!f.is_dir && <span class="muted small"> {formatSize(f.file_size)}</span>}
            </li>
          ))}
        </ul>
      </div>
      <div class="artifact-view">{file ? <Preview source={source} file={file} /> : <p class="muted">Select a file to preview it.</p>}</div>
    </div>
  );
}

