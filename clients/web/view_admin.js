// 管理后台 (admins): filled in below.
import { h } from "./dom.js";

export function create() {
  return { node: h("section.page", h("div.page-head", h("h2", "管理后台"))), stop() {} };
}
