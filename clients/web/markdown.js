// A small, safe markdown renderer: it builds DOM nodes from text and never parses HTML.
// Raw HTML in the source stays visible text; links get rel="noopener noreferrer" and only
// http(s)/mailto/relative targets — javascript:, data: and the like are dropped (the link text
// stays). Supported: headings, paragraphs, line breaks, **bold**, *italic*, `code`, fenced code,
// > quotes, - and 1. lists, [links](url), ~~strike~~, and bare http(s) URLs.

import { append, h } from "./dom.js";

const SAFE_URL = /^(https?:\/\/|mailto:|\/(?!\/)|#)/i;

export function safeUrl(raw) {
  // browsers ignore control characters and whitespace inside a scheme ("java\tscript:")
  const url = String(raw).trim();
  if (/[\u0000-\u001f\u007f]/.test(url)) return null;
  return SAFE_URL.test(url) ? url : null;
}

function link(text, url) {
  const href = safeUrl(url);
  if (!href) return h("span.dropped-link", { title: "已移除不安全的链接" }, text);
  return h("a", { href, target: "_blank", rel: "noopener noreferrer" }, text);
}

const INLINE = [
  [/`([^`]+)`/, (m) => h("code", m[1])],
  [/\[([^\]]+)\]\(([^)\s]+)\)/, (m) => link(m[1], m[2])],
  [/\*\*([^*]+)\*\*/, (m) => h("strong", inline(m[1]))],
  [/~~([^~]+)~~/, (m) => h("s", inline(m[1]))],
  [/(^|[^*])\*([^*\s][^*]*)\*/, (m) => [m[1], h("em", inline(m[2]))]],
  [/https?:\/\/[^\s<>()\u3000-\u303f\uff00-\uffef]+/, (m) => link(m[0], m[0])],
  [/@[^\s@，。,.:：;；!！?？]+/, (m) => h("span.mention", m[0])],
];

/** Inline markdown of one line: an array of nodes and strings. */
export function inline(text) {
  let best = null;
  for (const [pattern, make] of INLINE) {
    const match = pattern.exec(text);
    if (match && (best === null || match.index < best.match.index)) best = { match, make };
  }
  if (!best) return text ? [text] : [];
  const { match, make } = best;
  return [text.slice(0, match.index), make(match), ...inline(text.slice(match.index + match[0].length))].flat();
}

/** Plain text with mentions and bare links marked, line breaks kept (for text messages). */
export function renderText(text) {
  const parts = [];
  String(text).split("\n").forEach((line, i) => {
    if (i) parts.push(h("br"));
    parts.push(...plainInline(line));
  });
  return parts;
}

function plainInline(text) {
  const urls = /https?:\/\/[^\s<>()\u3000-\u303f\uff00-\uffef]+|@[^\s@，。,.:：;；!！?？]+/g;
  const parts = [];
  let at = 0;
  for (const match of text.matchAll(urls)) {
    parts.push(text.slice(at, match.index));
    parts.push(match[0].startsWith("@") ? h("span.mention", match[0]) : link(match[0], match[0]));
    at = match.index + match[0].length;
  }
  parts.push(text.slice(at));
  return parts.filter((p) => p !== "");
}

/** Markdown source -> a <div class="md"> of safe nodes. */
export function renderMarkdown(source) {
  const root = h("div.md");
  const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      i++;
      root.append(h("pre", h("code", code.join("\n"))));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(line.match(/^#+/)[0].length + 2, 6); // never bigger than the chat
      root.append(h(`h${level}`, inline(line.replace(/^#+\s*/, ""))));
      i++;
    } else if (/^>\s?/.test(line)) {
      const quoted = [];
      for (; i < lines.length && /^>\s?/.test(lines[i]); i++) quoted.push(lines[i].replace(/^>\s?/, ""));
      root.append(h("blockquote", renderMarkdown(quoted.join("\n"))));
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? "ol" : "ul");
      for (; i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i]); i++) {
        list.append(h("li", inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""))));
      }
      root.append(list);
    } else if (!line.trim()) {
      i++;
    } else {
      const paragraph = h("p");
      for (let first = true; i < lines.length && lines[i].trim() && !/^(```|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s)/.test(lines[i]); i++) {
        if (!first) paragraph.append(h("br"));
        append(paragraph, inline(lines[i]));
        first = false;
      }
      root.append(paragraph);
    }
  }
  return root;
}
