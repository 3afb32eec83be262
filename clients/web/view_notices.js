// 通知: filled in below.
import { h } from "./dom.js";

export function create() {
  return { node: h("section.page", h("div.page-head", h("h2", "通知"))), stop() {} };
}
