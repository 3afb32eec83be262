// 我的: who I am, the posts I hold, settings (DING sound) and logout.

import { h } from "./dom.js";
import { setSound, soundOn } from "./view_ding.js";

const ROLE = { official: "公职人员", admin: "系统管理员", enterprise: "企业用户", bot: "机器人" };

export function create(store, shell) {
  const posts = h("ul.plain");
  const render = (me) => {
    if (!me) return;
    posts.replaceChildren(...(me.posts.length ? me.posts.map((p) => h("li", h("a", { href: `#/contacts/post/${encodeURIComponent(p.code)}` },
      `${p.unit.name} · ${p.title}`), h("span.muted", ` ${p.code}`))) : [h("li.muted", "当前未在任何岗位")]));
  };
  render(store.profile);
  const off = store.on("profile", render);
  const sound = h("input", { type: "checkbox", checked: soundOn(), onchange: () => setSound(sound.checked) });
  const node = h("section.page",
    h("div.page-head", h("h2", "我的")),
    h("div.card.profile", h("span.avatar.big", store.me.name.slice(-2)),
      h("div", h("h3", store.me.name), h("p.muted", ROLE[store.me.role] || store.me.role))),
    h("div.card", h("h4", "我的岗位"), posts),
    h("div.card", h("h4", "设置"), h("label.check", sound, " DING 提示音")),
    h("button.danger.wide", { type: "button", onclick: () => shell.logout() }, "退出登录"));
  return { node, stop: off };
}
