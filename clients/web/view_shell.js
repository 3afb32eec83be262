// The frame around every view: navigation (a sidebar on desktop, a tab bar on phones), the
// connection banner with automatic reconnect, the DING banner, and the hash router.

import { h } from "./dom.js";
import { DingBanner } from "./view_ding.js";
import { icon } from "./icons.js";

const MENUS = {
  official: [
    ["messages", "消息"], ["contacts", "通讯录"], ["notices", "通知"],
    ["ding", "DING"], ["workbench", "工作台"], ["me", "我的"],
  ],
  enterprise: [
    ["messages", "消息"], ["contacts", "服务岗位"], ["ding", "DING"],
    ["workbench", "工作台"], ["me", "我的"],
  ],
};

const LOADERS = {
  messages: () => import("./view_messages.js"),
  contacts: () => import("./view_contacts.js"),
  notices: () => import("./view_notices.js"),
  ding: () => import("./view_ding.js"),
  workbench: () => import("./view_workbench.js"),
  me: () => import("./view_me.js"),
  admin: () => import("./view_admin.js"),
};

export class Shell {
  constructor(store, { onLogout }) {
    this.store = store;
    this.onLogout = onLogout;
    this.view = null;
    const menu = [...(store.isEnterprise ? MENUS.enterprise : MENUS.official)];
    if (store.isAdmin) menu.push(["admin", "管理后台"]);
    this.menu = menu;
    this.links = new Map();
    this.badges = new Map();
    const nav = h("nav.nav", { "aria-label": "主菜单" },
      h("div.nav-brand", h("span.brand-mark", "钉"), h("span.nav-brand-text", "政钉")),
      menu.map(([key, label]) => {
        const badge = h("span.badge", { hidden: true });
        const link = h("a.nav-item", { href: `#/${key}`, dataset: { key } },
          h("span.nav-icon", icon(key === "contacts" && store.isEnterprise ? "contacts" : key)), h("span.nav-label", label), badge);
        this.links.set(key, link);
        this.badges.set(key, badge);
        return link;
      }));
    this.banner = h("div.conn-banner", { hidden: true, role: "status" });
    this.ding = new DingBanner(store);
    this.main = h("main.main");
    this.node = h("div.shell", nav, h("div.content", this.banner, this.ding.node, this.main));
    window.addEventListener("hashchange", () => this.route());
    store.on("connection", (c) => this.showConnection(c));
    store.on("conversations", () => this.setBadge("messages",
      [...store.conversations.values()].reduce((n, c) => n + c.unread, 0)));
    store.on("notice.count", (n) => this.setBadge("notices", n));
    store.on("ding", (items) => this.setBadge("ding", items.length));
    this.shell = { logout: onLogout };
  }

  setBadge(key, count) {
    const badge = this.badges.get(key);
    if (!badge) return;
    badge.hidden = !count;
    badge.textContent = count > 99 ? "99+" : String(count);
  }

  showConnection(change) {
    const banner = this.banner;
    if (change.state === "online") {
      banner.hidden = true;
      this.node.classList.remove("offline");
      return;
    }
    if (change.state === "connecting" && !this.node.classList.contains("offline")) return; // first connect
    this.node.classList.add("offline");
    banner.hidden = false;
    if (!banner.firstChild) { // built once, so that the button stays put while the state changes
      this.bannerText = h("span");
      banner.append(h("strong", "无法连接服务器"), this.bannerText,
        h("button.link", { type: "button", onclick: () => this.store.socket.retryNow() }, "立即重试"));
    }
    const seconds = change.retryIn ? Math.max(1, Math.round(change.retryIn)) : 0;
    this.bannerText.textContent = change.state === "connecting" ? " 正在重新连接…"
      : ` 将在 ${seconds} 秒后自动重连, 恢复后不会丢失消息。`;
  }

  async route() {
    const parts = (location.hash.replace(/^#\/?/, "") || "messages").split("/").map(decodeURIComponent);
    let key = parts[0];
    if (!this.menu.some(([k]) => k === key)) key = "messages";
    for (const [k, link] of this.links) {
      link.classList.toggle("active", k === key);
      if (k === key) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    this.node.dataset.view = key;
    this.node.classList.toggle("in-detail", parts.length > 1 && parts[1] !== "");
    if (this.view && this.view.key === key && this.view.navigate) {
      this.view.navigate(parts.slice(1));
      return;
    }
    if (this.view) this.view.stop();
    this.view = null;
    const module = await LOADERS[key]();
    const view = module.create(this.store, this.shell);
    view.key = key;
    this.view = view;
    this.main.replaceChildren(view.node);
    if (view.navigate) view.navigate(parts.slice(1));
  }
}
