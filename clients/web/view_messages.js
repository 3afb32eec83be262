// 消息: the conversation list (unread, last message, most recent first), message search, and
// the chat pane beside it (below it on phones).

import { clear, h, highlighted, shortTime, toast } from "./dom.js";
import { modal } from "./ui.js";
import { Chat } from "./view_chat.js";

const KIND_LABEL = { direct: "单聊", post: "岗位", group: "群聊", service: "服务", channel: "公告" };

export function avatar(name, kind = "direct") {
  return h("span.avatar", { class: `k-${kind}`, "aria-hidden": "true" }, (name || "?").replace(/\s|·/g, "").slice(-2));
}

export function create(store) {
  return new MessagesView(store);
}

class MessagesView {
  constructor(store) {
    this.store = store;
    this.chat = null;
    this.list = h("ul.conv-list", { "aria-label": "会话列表" });
    this.results = h("div.search-results", { hidden: true });
    this.query = h("input.search", { type: "search", placeholder: "搜索消息", "aria-label": "搜索消息",
      oninput: () => this.searchSoon() });
    this.detail = h("section.detail-pane", h("div.empty-state", h("p", "选择一个会话开始聊天")));
    this.node = h("div.split",
      h("aside.list-pane", h("div.pane-head", h("div.actions-row", h("h2", "消息"), h("span.spacer"),
        store.isEnterprise
          ? h("button", { type: "button", onclick: () => this.openService() }, "联系服务专员")
          : h("button", { type: "button", onclick: () => this.newGroup() }, "发起群聊")), this.query),
      this.results, this.list),
      this.detail);
    this.off = [store.on("conversations", () => this.render())];
    this.render();
  }

  navigate([id]) {
    const wanted = id ? Number(id) : null;
    if (this.chat && this.chat.id === wanted) return;
    if (this.chat) this.chat.stop();
    this.chat = null;
    this.store.openConversation = wanted;
    if (wanted) {
      this.chat = new Chat(this.store, wanted);
      this.detail.replaceChildren(this.chat.node);
    } else {
      this.detail.replaceChildren(h("div.empty-state", h("p", "选择一个会话开始聊天")));
    }
    this.render();
  }

  render() {
    const items = this.store.sortedConversations();
    clear(this.list);
    if (!items.length) {
      this.list.append(h("li.empty", "暂无会话。可在通讯录中找到岗位或同事发起会话。"));
      return;
    }
    for (const c of items) this.list.append(this.item(c));
  }

  item(c) {
    const last = c.last_message;
    let line = "";
    if (last) {
      const mine = last.sender.id === this.store.me.id;
      if (last.recalled) line = mine ? "你撤回了一条消息" : `${last.sender.name}撤回了一条消息`;
      else line = (c.kind === "direct" || mine ? "" : `${last.sender.name}: `) + last.preview;
    }
    const active = this.store.openConversation === c.id;
    return h("li", h("a.conv-item", { href: `#/messages/${c.id}`, class: active ? "active" : "",
      "aria-current": active ? "true" : null, dataset: { conversation: c.id } },
    avatar(c.title, c.kind),
    h("div.conv-main",
      h("div.conv-top", h("span.conv-title", c.title), h("span.conv-kind", KIND_LABEL[c.kind] || ""),
        h("time.conv-time", shortTime(last ? last.created_at : c.last_at))),
      h("div.conv-last", line)),
    c.unread ? h("span.badge.unread", { title: `${c.unread} 条未读` }, c.unread > 99 ? "99+" : String(c.unread)) : null));
  }

  searchSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.search(), 250);
  }

  async search() {
    const query = this.query.value.trim();
    if (!query) {
      this.results.hidden = true;
      this.list.hidden = false;
      return;
    }
    let found;
    try {
      found = await this.store.request("search", { query, limit: 30 });
    } catch (error) {
      this.results.replaceChildren(h("p.form-error", error.message));
      this.results.hidden = false;
      return;
    }
    if (this.query.value.trim() !== query) return;
    this.list.hidden = true;
    this.results.hidden = false;
    this.results.replaceChildren(
      h("p.muted.small", `找到 ${found.matches.length} 条相关消息`),
      h("ul.conv-list", found.matches.map((match) => h("li", h("a.conv-item.search-hit", {
        href: `#/messages/${match.conversation}`, onclick: () => { this.store.jumpTo = match.seq; },
      }, avatar(match.conversation_title),
      h("div.conv-main",
        h("div.conv-top", h("span.conv-title", match.conversation_title), h("time.conv-time", shortTime(match.created_at))),
        h("div.conv-last", `${match.sender.name}: `, highlighted(match.snippet || "", query))))))));
  }

  /** 发起群聊: a title and people found by name, pinyin or initials. */
  // An enterprise member's own service conversation: the enterprise with the officer posts
  // assigned to it (conv.open kind service finds it again, or creates it once).
  async openService() {
    try {
      const opened = await this.store.request("conv.open", { kind: "service" });
      await this.store.loadConversations();
      location.hash = `#/messages/${opened.conversation.id}`;
    } catch (failure) {
      toast(failure.message, "error");
    }
  }

  newGroup() {
    const chosen = new Map();
    const title = h("input", { id: "group-title", type: "text", maxLength: 100, placeholder: "例如 防汛工作群" });
    const query = h("input", { id: "group-search", type: "search", placeholder: "搜索姓名或拼音添加成员" });
    const found = h("ul.result-list");
    const chips = h("div.chips");
    const error = h("p.form-error");
    const renderChips = () => chips.replaceChildren(...[...chosen.values()].map((p) => h("span.chip", p.name,
      h("button.icon", { type: "button", "aria-label": `移除 ${p.name}`, onclick: () => { chosen.delete(p.id); renderChips(); } }, "×"))));
    let timer;
    query.oninput = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = query.value.trim();
        if (!q) return found.replaceChildren();
        try {
          const result = await this.store.api.get("/api/v1/search", { q, kind: "person", limit: 8 });
          found.replaceChildren(...result.items.filter((p) => p.id !== this.store.me.id).map((p) => h("li",
            h("button.result", { type: "button", onclick: () => { chosen.set(p.id, p); renderChips(); } },
              p.name, h("span.muted", ` ${p.posts && p.posts[0] ? p.posts[0].unit.name + " · " + p.posts[0].title : ""}`)))));
        } catch (failure) {
          error.textContent = failure.message;
        }
      }, 250);
    };
    const create = h("button.primary", { type: "button", onclick: async () => {
      if (!title.value.trim()) return void (error.textContent = "请填写群名称");
      if (!chosen.size) return void (error.textContent = "请至少添加一名成员");
      try {
        const opened = await this.store.request("conv.open", { kind: "group", title: title.value.trim(),
          members: [...chosen.keys()].map((id) => ({ person: id })) });
        dialog.close();
        await this.store.loadConversations();
        location.hash = `#/messages/${opened.conversation.id}`;
      } catch (failure) {
        error.textContent = failure.message;
      }
    } }, "创建");
    const dialog = modal("发起群聊", h("div.form-grid",
      h("label", { for: "group-title" }, "群名称"), title,
      h("label", { for: "group-search" }, "添加成员"), h("div", query, found),
      h("span", "已选"), chips), [error, create]);
  }

  stop() {
    this.off.forEach((off) => off());
    if (this.chat) this.chat.stop();
    this.store.openConversation = null;
  }
}
