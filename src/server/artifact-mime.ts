/**
 * The `Content-Type` and `Content-Disposition` of a downloaded artifact, exactly as MLflow's
 * `_send_artifact` answers them: MLflow's text extensions (and `MLmodel`) are `text/plain`, then
 * Python's `mimetypes.guess_type`, else `application/octet-stream`; the file name as Werkzeug's
 * `send_file` writes it. Clients and MLflow's own tests compare both headers verbatim.
 */

/** `mlflow.utils.mime_type_utils.get_text_extensions()`; matched case-sensitively, as MLflow does. */
const textExtensions = new Set([
  "txt", "log", "err", "cfg", "conf", "cnf", "cf", "ini", "properties", "prop", "hocon", "toml", "yaml", "yml",
  "xml", "json", "js", "py", "py3", "csv", "tsv", "md", "rst", "MLmodel", "mlproject",
]);

/**
 * Python 3.11's built-in strict `mimetypes` table (without the host's /etc/mime.types), plus `webp`,
 * which every Debian host's /etc/mime.types and Python 3.13's own table carry.
 */
const pythonTypes: Record<string, string> = {
  "3g2": "audio/3gpp2", "3gp": "audio/3gpp", "3gpp": "audio/3gpp", "3gpp2": "audio/3gpp2",
  a: "application/octet-stream", aac: "audio/aac", adts: "audio/aac", ai: "application/postscript",
  aif: "audio/x-aiff", aifc: "audio/x-aiff", aiff: "audio/x-aiff", ass: "audio/aac", au: "audio/basic",
  avi: "video/x-msvideo", avif: "image/avif", bat: "text/plain", bcpio: "application/x-bcpio",
  bin: "application/octet-stream", bmp: "image/bmp", c: "text/plain", cdf: "application/x-netcdf",
  cpio: "application/x-cpio", csh: "application/x-csh", css: "text/css", csv: "text/csv",
  dll: "application/octet-stream", doc: "application/msword", dot: "application/msword",
  dvi: "application/x-dvi", eml: "message/rfc822", eps: "application/postscript", etx: "text/x-setext",
  exe: "application/octet-stream", gif: "image/gif", gtar: "application/x-gtar", h: "text/plain",
  h5: "application/x-hdf5", hdf: "application/x-hdf", heic: "image/heic", heif: "image/heif", htm: "text/html",
  html: "text/html", ico: "image/vnd.microsoft.icon", ief: "image/ief", jpe: "image/jpeg", jpeg: "image/jpeg",
  jpg: "image/jpeg", js: "application/javascript", json: "application/json", ksh: "text/plain",
  latex: "application/x-latex", loas: "audio/aac", m1v: "video/mpeg", m3u: "application/vnd.apple.mpegurl",
  m3u8: "application/vnd.apple.mpegurl", man: "application/x-troff-man", me: "application/x-troff-me",
  mht: "message/rfc822", mhtml: "message/rfc822", mif: "application/x-mif", mjs: "application/javascript",
  mov: "video/quicktime", movie: "video/x-sgi-movie", mp2: "audio/mpeg", mp3: "audio/mpeg", mp4: "video/mp4",
  mpa: "video/mpeg", mpe: "video/mpeg", mpeg: "video/mpeg", mpg: "video/mpeg", ms: "application/x-troff-ms",
  n3: "text/n3", nc: "application/x-netcdf", nq: "application/n-quads", nt: "application/n-triples",
  nws: "message/rfc822", o: "application/octet-stream", obj: "application/octet-stream",
  oda: "application/oda", opus: "audio/opus", p12: "application/x-pkcs12", p7c: "application/pkcs7-mime",
  pbm: "image/x-portable-bitmap", pdf: "application/pdf", pfx: "application/x-pkcs12",
  pgm: "image/x-portable-graymap", pl: "text/plain", png: "image/png", pnm: "image/x-portable-anymap",
  pot: "application/vnd.ms-powerpoint", ppa: "application/vnd.ms-powerpoint", ppm: "image/x-portable-pixmap",
  pps: "application/vnd.ms-powerpoint", ppt: "application/vnd.ms-powerpoint", ps: "application/postscript",
  pwz: "application/vnd.ms-powerpoint", py: "text/x-python", pyc: "application/x-python-code",
  pyo: "application/x-python-code", qt: "video/quicktime", ra: "audio/x-pn-realaudio",
  ram: "application/x-pn-realaudio", ras: "image/x-cmu-raster", rdf: "application/xml", rgb: "image/x-rgb",
  roff: "application/x-troff", rtx: "text/richtext", sgm: "text/x-sgml", sgml: "text/x-sgml",
  sh: "application/x-sh", shar: "application/x-shar", snd: "audio/basic", so: "application/octet-stream",
  src: "application/x-wais-source", srt: "text/plain", sv4cpio: "application/x-sv4cpio",
  sv4crc: "application/x-sv4crc", svg: "image/svg+xml", swf: "application/x-shockwave-flash",
  t: "application/x-troff", tar: "application/x-tar", tcl: "application/x-tcl", tex: "application/x-tex",
  texi: "application/x-texinfo", texinfo: "application/x-texinfo", tif: "image/tiff", tiff: "image/tiff",
  tr: "application/x-troff", trig: "application/trig", tsv: "text/tab-separated-values", txt: "text/plain",
  ustar: "application/x-ustar", vcf: "text/x-vcard", vtt: "text/vtt", wasm: "application/wasm",
  wav: "audio/x-wav", webm: "video/webm", webmanifest: "application/manifest+json", webp: "image/webp",
  wiz: "application/msword", wsdl: "application/xml", xbm: "image/x-xbitmap", xlb: "application/vnd.ms-excel",
  xls: "application/vnd.ms-excel", xml: "text/xml", xpdl: "application/xml", xpm: "image/x-xpixmap",
  xsl: "application/xml", xwd: "image/x-xwindowdump", zip: "application/zip",
};

/** `mimetypes` suffix_map: compressed-archive shorthands expand before the encoding is stripped. */
const suffixMap: Record<string, string> = {
  ".svgz": ".svg.gz", ".tgz": ".tar.gz", ".taz": ".tar.gz", ".tz": ".tar.gz", ".tbz2": ".tar.bz2", ".txz": ".tar.xz",
};
/** `mimetypes` encodings_map (case-sensitive): `x.csv.gz` is a `text/csv`, `x.gz` nothing known. */
const encodings = new Set([".gz", ".Z", ".bz2", ".xz", ".br"]);

/** Python's `os.path.splitext`: leading dots belong to the name (`.bashrc` has no extension). */
function splitext(name: string): [string, string] {
  const dot = name.lastIndexOf(".");
  const start = name.lastIndexOf("/") + 1;
  for (let i = start; i < dot; i++) {
    if (name[i] !== ".") return [name.slice(0, dot), name.slice(dot)];
  }
  return [name, ""];
}

/** Python's `mimetypes.guess_type(name)[0]` with the strict table. */
function guessType(name: string): string | undefined {
  let [base, ext] = splitext(name);
  for (let expanded = suffixMap[ext.toLowerCase()]; expanded; expanded = suffixMap[ext.toLowerCase()]) {
    [base, ext] = splitext(base + expanded);
  }
  if (encodings.has(ext)) [, ext] = splitext(base);
  const key = ext.slice(1).toLowerCase();
  return ext !== "" && Object.hasOwn(pythonTypes, key) ? pythonTypes[key] : undefined;
}

/** `mlflow.utils.mime_type_utils._guess_mime_type` for a file name. */
export function artifactMimeType(name: string): string {
  const extension = splitext(name)[1].replaceAll(".", "") || name;
  if (textExtensions.has(extension)) return "text/plain";
  return guessType(name) ?? "application/octet-stream";
}

/** RFC 7230 token characters: Werkzeug leaves such a value unquoted. */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z|~]+$/;
const quoteHeaderValue = (value: string): string =>
  TOKEN.test(value) ? value : `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/** Python's `urllib.parse.quote(name, safe="!#$&+-.^_`|~")` over UTF-8. */
function rfc5987(name: string): string {
  return Array.from(new TextEncoder().encode(name), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9_.\-~!#$&+^`|]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

/** Werkzeug `send_file(..., as_attachment=True)`: a non-ASCII name gets an ASCII fallback and `filename*`. */
export function attachmentDisposition(name: string): string {
  if (/^[\x00-\x7f]*$/.test(name)) return `attachment; filename=${quoteHeaderValue(name)}`;
  // NFKD then dropping what is not ASCII: "é" becomes "e", "日本" disappears.
  const ascii = name.normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
  return `attachment; filename=${quoteHeaderValue(ascii)}; filename*=UTF-8''${rfc5987(name)}`;
}
