// DOM helpers: every user text goes in as a text node, never as HTML.

/** h("div.cls", {onclick, title, ...}, child, "text", [children]) -> Element */
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const node = document.createElement(tag || "div");
  if (classes.length) node.className = classes.join(" ");
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "class") node.className += (node.className ? " " : "") + value;
    else if (key in node && key !== "list" && key !== "form") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

const BEIJING = "Asia/Shanghai";
const timeFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: BEIJING, hour: "2-digit", minute: "2-digit", hour12: false });
const dateFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: BEIJING, month: "numeric", day: "numeric" });
const fullFmt = new Intl.DateTimeFormat("zh-CN", {
  timeZone: BEIJING, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});
const dayKey = new Intl.DateTimeFormat("en-CA", { timeZone: BEIJING });

function parse(value) {
  if (!value) return null;
  // server times without an offset are UTC
  const text = typeof value === "string" && !/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value + "Z" : value;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A short time for lists, in Beijing time: 14:05 today, 3月2日 earlier. */
export function shortTime(value) {
  const date = parse(value);
  if (!date) return "";
  return dayKey.format(date) === dayKey.format(new Date()) ? timeFmt.format(date) : dateFmt.format(date);
}

/** The full Beijing time: 2026/03/02 14:05:09. */
export function fullTime(value) {
  const date = parse(value);
  return date ? fullFmt.format(date) : "";
}

export function uuid() {
  return crypto.randomUUID ? crypto.randomUUID()
    : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g,
      (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

/** A short-lived message at the bottom of the screen. */
export function toast(text, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = h("div.toast", { class: kind, role: kind === "error" ? "alert" : "status" }, text);
  box.append(item);
  setTimeout(() => item.remove(), 4000);
}

/** Wraps every match of `needle` (case-insensitive) in <mark>, as text nodes. */
export function highlighted(text, needle) {
  if (!needle) return [text];
  const parts = [];
  const lower = text.toLowerCase();
  const want = needle.toLowerCase();
  let at = 0;
  for (;;) {
    const found = lower.indexOf(want, at);
    if (found < 0) break;
    if (found > at) parts.push(text.slice(at, found));
    parts.push(h("mark", text.slice(found, found + want.length)));
    at = found + want.length;
  }
  parts.push(text.slice(at));
  return parts;
}

/** Save bytes as a file without putting anything secret in a URL. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, rel: "noopener noreferrer" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
