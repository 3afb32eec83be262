// Small shared widgets: a modal dialog, a confirmation, an image viewer.

import { h } from "./dom.js";

/** Shows a dialog; returns {node, close}. Escape and the backdrop close it. */
export function modal(title, body, actions = []) {
  const previous = document.activeElement;
  const close = () => {
    backdrop.remove();
    document.removeEventListener("keydown", onKey);
    if (previous && previous.focus) previous.focus();
  };
  const onKey = (event) => { if (event.key === "Escape") close(); };
  const dialog = h("div.dialog", { role: "dialog", "aria-modal": "true", "aria-label": title },
    h("div.dialog-head", h("h3", title), h("button.icon", { type: "button", "aria-label": "关闭", onclick: close }, "×")),
    h("div.dialog-body", body),
    actions.length ? h("div.dialog-actions", actions) : null);
  const backdrop = h("div.backdrop", { onclick: (e) => { if (e.target === backdrop) close(); } }, dialog);
  document.body.append(backdrop);
  document.addEventListener("keydown", onKey);
  const focusable = dialog.querySelector("input, textarea, button.primary") || dialog.querySelector("button");
  if (focusable) focusable.focus();
  return { node: dialog, close };
}

/** Resolves true when the user confirms. */
export function confirmDialog(title, text, confirmLabel = "确定") {
  return new Promise((resolve) => {
    let done = false;
    const finish = (value) => { if (!done) { done = true; resolve(value); dialog.close(); } };
    const dialog = modal(title, h("p", text), [
      h("button", { type: "button", onclick: () => finish(false) }, "取消"),
      h("button.primary", { type: "button", onclick: () => finish(true) }, confirmLabel),
    ]);
  });
}

/** Full-size image from a blob URL. */
export function showImage(url, name) {
  modal(name || "图片", h("img.full-image", { src: url, alt: name || "图片" }));
}
