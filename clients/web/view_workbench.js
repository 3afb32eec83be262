// 工作台: the mini-apps a user may open. None are installed yet; they appear here once the
// mini-app platform lands.

import { h } from "./dom.js";

export function create() {
  return { node: h("section.page", h("div.page-head", h("h2", "工作台")),
    h("div.empty-state", h("p", "暂无应用"), h("p.muted.small", "管理员为您开通的应用将显示在这里。"))), stop() {} };
}
