/**
 * A tiny markdown renderer for descriptions (runs, experiments, registered models, versions).
 * Everything is HTML-escaped first; only the markup produced here reaches the page, and links
 * must be http(s), mailto or relative.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Browsers drop control characters and spaces around a URL, so `\u0001javascript:` would run. */
function safeUrl(url: string): string | undefined {
  if (/[\u0000-\u0020\u007f-\u009f]/.test(url)) return undefined;
  return /^(https?:|mailto:|#|\/|\.)/i.test(url) || !/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : undefined;
}

function emphasis(html: string): string {
  return html
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/__([^_]+)__/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>")
    .replace(/~~([^~]+)~~/g, "<del>$1</del>");
}

/**
 * Code spans and links are set aside as numbered placeholders before emphasis is applied, so
 * emphasis never reaches inside the markup made here (an `*` in a URL stays in the URL).
 */
function inline(text: string): string {
  const held: string[] = [];
  const hold = (html: string) => `\u0000${held.push(html) - 1}\u0000`;
  let html = escapeHtml(text.replaceAll("\u0000", "")).replace(/`([^`]+)`/g, (_, code: string) => hold(`<code>${code}</code>`));
  html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label: string, url: string) => {
    const target = safeUrl(url);
    return target === undefined ? whole : hold(`<a href="${target}" target="_blank" rel="noopener noreferrer">${emphasis(label)}</a>`);
  });
  html = emphasis(html);
  // Placeholders inside a held link label are restored too.
  for (let pass = 0; pass < 2; pass++) html = html.replace(/\u0000(\d+)\u0000/g, (_, i: string) => held[Number(i)] ?? "");
  return html;
}

export function renderMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: "ul" | "ol"; items: string[] } | undefined;
  const flush = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join("<br>")}</p>`);
    paragraph = [];
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`);
    list = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^```/.test(line)) {
      flush();
      const code: string[] = [];
      while (++i < lines.length && !/^```/.test(lines[i]!)) code.push(lines[i]!);
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = heading[1]!.length;
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
    } else if (bullet || numbered) {
      const tag = bullet ? "ul" : "ol";
      if (paragraph.length || (list && list.tag !== tag)) flush();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? numbered)![1]!);
    } else if (/^\s*>\s?/.test(line)) {
      flush();
      out.push(`<blockquote>${inline(line.replace(/^\s*>\s?/, ""))}</blockquote>`);
    } else if (/^\s*(---|\*\*\*)\s*$/.test(line)) {
      flush();
      out.push("<hr>");
    } else if (!line.trim()) {
      flush();
    } else {
      if (list) flush();
      paragraph.push(line);
    }
  }
  flush();
  return out.join("\n");
}
