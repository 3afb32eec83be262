// 通讯录: the five-level directory as a tree with subtree counts, search by name, pinyin and
// initials, a unit's posts, a post's page with its duty tags and holders ("发消息给这个岗位"),
// and a selector tool with a live count. Enterprise users get the posts that serve them only.

import { clear, h, toast } from "./dom.js";
import { SelectorInput } from "./selector.js";
import { icon } from "./icons.js";

export function create(store) {
  return new ContactsView(store);
}

const LEVEL = { 1: "省", 2: "市", 3: "县(区)", 4: "乡镇(街道)", 5: "村(社区)" };

class ContactsView {
  constructor(store) {
    this.store = store;
    this.api = store.api;
    this.query = h("input.search", { type: "search", placeholder: store.isEnterprise ? "搜索服务岗位, 如 税务" : "搜索姓名、拼音、首字母、岗位或单位",
      "aria-label": "搜索通讯录", oninput: () => this.searchSoon() });
    this.results = h("div.search-results", { hidden: true });
    this.tree = h("ul.tree", { role: "tree", "aria-label": "组织架构" });
    this.detail = h("section.detail-pane");
    const side = [h("div.pane-head", h("h2", store.isEnterprise ? "服务岗位" : "通讯录"), this.query), this.results];
    if (!store.isEnterprise) side.push(h("a.side-link", { href: "#/contacts/selector" }, icon("target", 16), " 按条件选岗位"), this.tree);
    else side.push(h("p.muted.small.pad", "您可以联系以下为企业提供服务的岗位。输入关键字搜索, 例如 “税务” 或 “局长”。"));
    this.node = h("div.split", h("aside.list-pane", side), this.detail);
    if (!store.isEnterprise) this.loadRoots();
    else this.search("局");
  }

  navigate([kind, code]) {
    if (kind === "post" && code) this.showPost(code);
    else if (kind === "unit" && code && !this.store.isEnterprise) this.showUnit(code);
    else if (kind === "selector" && !this.store.isEnterprise) this.showSelector();
    else this.detail.replaceChildren(h("div.empty-state", h("p", this.store.isEnterprise ? "搜索并选择一个服务岗位" : "在左侧选择单位或搜索岗位")));
  }

  async loadRoots() {
    try {
      const roots = await this.api.get("/api/v1/units");
      this.tree.replaceChildren(...roots.items.map((u) => this.treeNode(u, true)));
    } catch (error) {
      this.tree.replaceChildren(h("li.form-error", error.message));
    }
  }

  treeNode(unit, open = false) {
    const children = h("ul", { role: "group", hidden: true });
    const counts = unit.counts ? `${unit.counts.posts} 岗 · ${unit.counts.holders} 人` : "";
    const hasChildren = !unit.counts || unit.counts.units > 0;
    const toggle = h("button.twisty", { type: "button", "aria-label": "展开", hidden: !hasChildren,
      onclick: () => this.expand(unit, children, toggle) }, "▸");
    const item = h("li", { role: "treeitem" },
      h("div.tree-row", toggle,
        h("a", { href: `#/contacts/unit/${unit.code}` }, unit.name),
        h("span.tree-level", unit.level_label || LEVEL[unit.level] || ""),
        h("span.tree-count", { title: "下属岗位数 · 在岗人数" }, counts)),
      children);
    if (open && hasChildren) setTimeout(() => this.expand(unit, children, toggle));
    return item;
  }

  async expand(unit, children, toggle) {
    if (!children.hidden) {
      children.hidden = true;
      toggle.textContent = "▸";
      return;
    }
    toggle.textContent = "▾";
    children.hidden = false;
    if (children.childElementCount) return;
    children.append(h("li.muted", "加载中…"));
    try {
      const result = await this.api.get(`/api/v1/units/${unit.code}/children`);
      children.replaceChildren(...result.items.map((u) => this.treeNode(u)));
      if (!result.items.length) children.replaceChildren(h("li.muted", "无下级单位"));
    } catch (error) {
      children.replaceChildren(h("li.form-error", error.message));
    }
  }

  async showUnit(code) {
    this.detail.replaceChildren(h("p.muted.pad", "加载中…"));
    try {
      const [unit, posts] = await Promise.all([this.api.get(`/api/v1/units/${code}`),
        this.api.get(`/api/v1/units/${code}/posts`, { limit: 200 })]);
      const u = unit.unit || unit;
      const crumbs = (unit.breadcrumb || unit.ancestors || []).map((a) => [h("a", { href: `#/contacts/unit/${a.code}` }, a.name), " › "]);
      this.detail.replaceChildren(h("div.page",
        h("nav.crumbs", crumbs, h("span", u.name)),
        h("div.page-head", h("h2", u.name), h("span.muted", `${u.level_label || ""} · ${u.code}`)),
        h("p.muted", `共 ${posts.total} 个岗位`),
        h("ul.post-list", posts.items.map((p) => this.postRow(p)))));
    } catch (error) {
      this.detail.replaceChildren(h("p.form-error.pad", error.message));
    }
  }

  postRow(p) {
    const holders = (p.holders || []).map((x) => (x.person ? x.person.name : x.name)).join("、") || "空缺";
    return h("li", h("a.post-row", { href: `#/contacts/post/${encodeURIComponent(p.code)}` },
      h("span.post-title", `${p.department ? p.department.name + " · " : ""}${p.title}`),
      h("span.duties", (p.duties || []).map((d) => h("span.tag", d))),
      h("span.holders", holders)));
  }

  async showPost(code) {
    this.detail.replaceChildren(h("p.muted.pad", "加载中…"));
    let post;
    try {
      post = await this.api.get(`/api/v1/posts/${encodeURIComponent(code)}`);
    } catch (error) {
      this.detail.replaceChildren(h("p.form-error.pad", error.status === 404 ? "岗位不存在或您无权查看" : error.message));
      return;
    }
    const holders = post.holders.length ? post.holders.map((x) => h("li.holder",
      h("span.avatar", x.person.name.slice(-2)),
      h("div", h("strong", x.person.name), h("span.muted", ` ${x.kind === "primary" ? "在岗" : "兼任/代理"} · 自 ${x.start}`),
        x.person.mobile ? h("div.muted.small", `手机 ${x.person.mobile}`) : null),
      x.person.id !== this.store.me.id ? h("button", { type: "button", onclick: () => this.open({ kind: "direct", person: x.person.id }) }, "发消息") : null))
      : [h("li.muted", "该岗位目前空缺, 消息将在有人到岗后送达")];
    this.detail.replaceChildren(h("div.page.post-page",
      h("div.page-head", h("h2", post.title), h("span.muted", post.code)),
      h("p", `${post.unit.name}${post.department ? " · " + post.department.name : ""}`),
      post.duties.length ? h("p", "职责: ", post.duties.map((d) => h("span.tag", d))) : null,
      post.serves_enterprises ? h("p", h("span.tag.ok", "面向企业服务")) : null,
      h("button.primary", { type: "button", onclick: () => this.open({ kind: "post", post: post.code }) }, "发消息给这个岗位"),
      h("p.muted.small", "消息发给岗位: 无论谁在岗都能收到, 换岗后由继任者接收历史消息。"),
      h("h4", "当前在岗"), h("ul.holder-list", holders),
      post.supervisor ? h("p.muted", "上级岗位: ", h("a", { href: `#/contacts/post/${encodeURIComponent(post.supervisor.code)}` }, post.supervisor.title)) : null));
  }

  async open(args) {
    try {
      const opened = await this.store.request("conv.open", args);
      if (!this.store.conversations.has(opened.conversation.id)) await this.store.loadConversations();
      location.hash = `#/messages/${opened.conversation.id}`;
    } catch (error) {
      toast(error.message, "error");
    }
  }

  showSelector() {
    const selector = new SelectorInput(this.api);
    this.detail.replaceChildren(h("div.page",
      h("div.page-head", h("h2", "按条件选岗位")),
      h("p.muted", "用条件选出岗位, 例如 “duty:村党支部书记 under:柯城区” (柯城区所有村党支部书记)。可用 + 合并、- 排除。"),
      selector.node));
    selector.input.focus();
  }

  searchSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.search(), 250);
  }

  async search(preset) {
    const q = preset || this.query.value.trim();
    if (!q) {
      this.results.hidden = true;
      return;
    }
    try {
      const found = await this.api.get("/api/v1/search", { q, limit: 30, kind: this.store.isEnterprise ? "post" : undefined });
      if (!preset && q !== this.query.value.trim()) return;
      this.results.hidden = false;
      clear(this.results).append(found.items.length ? h("ul.result-list", found.items.map((item) => h("li", this.resultLink(item))))
        : h("p.muted.pad", "没有找到"));
    } catch (error) {
      this.results.hidden = false;
      this.results.replaceChildren(h("p.form-error.pad", error.message));
    }
  }

  resultLink(item) {
    if (item.kind === "unit") return h("a.result", { href: `#/contacts/unit/${item.code}` }, h("span.tag", "单位"), item.name);
    if (item.kind === "post") {
      return h("a.result", { href: `#/contacts/post/${encodeURIComponent(item.code)}` }, h("span.tag", "岗位"),
        `${item.unit ? item.unit.name : ""} · ${item.department ? item.department.name + " · " : ""}${item.title}`,
        h("span.muted", ` ${(item.holders || []).map((p) => p.name).join("、") || "空缺"}`));
    }
    if (item.kind === "person") {
      const post = item.posts && item.posts[0];
      return post ? h("a.result", { href: `#/contacts/post/${encodeURIComponent(post.code)}` }, h("span.tag", "人员"), item.name,
        h("span.muted", ` ${post.unit.name} · ${post.title}`))
        : h("button.result", { type: "button", onclick: () => this.open({ kind: "direct", person: item.id }) }, h("span.tag", "人员"), item.name);
    }
    return h("span.result", h("span.tag", "企业"), item.name);
  }

  stop() {}
}
