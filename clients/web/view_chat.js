// One conversation: history paged upward, live messages, read receipts, reply/edit/recall,
// images and files, in-conversation search. The composer is in composer.js.

import { clear, fullTime, h, highlighted, saveBlob, shortTime, toast } from "./dom.js";
import { renderMarkdown, renderText } from "./markdown.js";
import { Composer } from "./composer.js";
import { icon } from "./icons.js";
import { preview } from "./store.js";
import { confirmDialog, modal, showImage } from "./ui.js";
import { avatar } from "./view_messages.js";

const PAGE = 50;
const EMPTY = "暂无消息, 发一条吧";
const RECALL_WINDOW_MS = 24 * 3600 * 1000;

export class Chat {
  constructor(store, id) {
    this.store = store;
    this.id = id;
    this.messages = new Map(); // id -> {message, node}
    this.order = []; // message ids by seq
    this.receipts = new Map(); // my message id -> {read, unread}
    this.others = null; // members other than me, once known
    this.pending = new Map(); // client_msg_id -> node (sending)
    this.oldestSeq = null;
    this.complete = false;
    this.loadingOlder = false;
    this.info = null;
    this.title = h("h2.chat-title", "…");
    this.subtitle = h("span.chat-sub");
    this.searchBox = h("input.search", { type: "search", placeholder: "在此会话中搜索", "aria-label": "在此会话中搜索",
      oninput: () => this.searchSoon() });
    this.searchResults = h("ul.chat-search-results", { hidden: true });
    this.searchBar = h("div.chat-search", { hidden: true }, this.searchBox, this.searchResults);
    this.list = h("ol.messages", { "aria-label": "消息", "aria-live": "polite" });
    this.top = h("li.history-top", "");
    this.list.append(this.top);
    this.scroller = h("div.scroller", { onscroll: () => this.scrolled() }, this.list);
    this.composer = new Composer(store, this);
    this.node = h("div.chat", { dataset: { conversation: id } },
      h("header.chat-head",
        h("a.back", { href: "#/messages", "aria-label": "返回会话列表" }, "‹"),
        h("div.chat-head-main", this.title, this.subtitle),
        h("button.icon", { type: "button", title: "搜索", "aria-label": "搜索", onclick: () => this.toggleSearch() }, icon("search", 20))),
      this.searchBar, this.scroller, this.composer.node);
    this.off = [
      store.on("message", (m) => m.conversation === id && this.add(m, true)),
      store.on("message.changed", (m) => m.conversation === id && this.replace(m)),
      store.on("receipt", (r) => r.conversation === id && this.receiptEvent(r)),
      store.on("synced", () => this.catchUp()),
      store.on("resync", () => this.reload()),
      store.on("removed", (gone) => gone === id && this.removed()),
    ];
    this.onVisible = () => { if (document.visibilityState === "visible") this.markRead(); };
    document.addEventListener("visibilitychange", this.onVisible);
    this.load();
  }

  stop() {
    this.off.forEach((off) => off());
    document.removeEventListener("visibilitychange", this.onVisible);
    for (const { node } of this.messages.values()) for (const img of node.querySelectorAll("img[data-blob]")) URL.revokeObjectURL(img.src);
  }

  /** A post changed hands and the conversation went with it: nothing here is ours to see now. */
  removed() {
    this.stop();
    this.node.replaceChildren(h("div.empty-state", h("p", "您已不在该会话中"),
      h("p.muted.small", "该岗位已交接给继任者, 历史消息随岗位移交。"), h("a", { href: "#/messages" }, "返回消息列表")));
  }

  get isDirect() { return this.info && this.info.conversation.kind === "direct"; }

  async load() {
    try {
      this.info = await this.store.request("conv.get", { conversation: this.id });
    } catch (error) {
      this.scroller.replaceChildren(h("div.empty-state", h("p.form-error", error.message)));
      this.composer.node.hidden = true;
      return;
    }
    const c = this.info.conversation;
    this.title.textContent = c.title;
    this.composer.setMembers(this.info);
    await this.reload();
    const jump = this.store.jumpTo;
    this.store.jumpTo = null;
    if (jump) this.jumpTo(jump);
  }

  async reload() {
    const page = await this.store.request("conv.history", { conversation: this.id, limit: PAGE });
    // Replaced only once the new page is here, so a reconnect never blanks the screen; and
    // messages that arrived live meanwhile (newer than the page) stay.
    const upTo = page.messages.length ? page.messages[page.messages.length - 1].seq : 0;
    for (const [id, { message, node }] of this.messages) {
      if (message.seq <= upTo) {
        node.remove();
        this.messages.delete(id);
      }
    }
    this.order = this.order.filter((id) => this.messages.has(id));
    this.oldestSeq = null;
    this.complete = false;
    this.addPage(page.messages);
    if (!page.messages.some((m) => m.sender.id === this.store.me.id)) await this.loadReceipts([], true); // the member count
    this.scrollToBottom();
    this.markRead();
  }

  /** After a reconnect: fetch what may have been missed (events replay too; ids dedupe). */
  async catchUp() {
    if (!this.info) return;
    try {
      const page = await this.store.request("conv.history", { conversation: this.id, limit: PAGE });
      const nearBottom = this.nearBottom();
      for (const m of page.messages) this.add(m, false);
      if (nearBottom) this.scrollToBottom();
      this.loadReceipts(page.messages.filter((m) => m.sender.id === this.store.me.id).map((m) => m.id));
      this.markRead();
    } catch { /* the next sync tries again */ }
  }

  addPage(messages) {
    if (messages.length < PAGE) this.complete = true;
    const first = this.order.length ? this.messages.get(this.order[0]).message.seq : null;
    if (first !== null && messages.length && messages[messages.length - 1].seq < first) {
      this.prepend(messages); // paging up: one DOM insertion for the whole page
    } else {
      for (const m of messages) this.add(m, false);
    }
    this.top.textContent = this.complete ? (this.order.length ? "— 以上是全部消息 —" : EMPTY) : "";
    const mine = messages.filter((m) => m.sender.id === this.store.me.id).map((m) => m.id);
    this.loadReceipts(mine);
  }

  async loadReceipts(ids, always = false) {
    if (!ids.length && !always) return;
    try {
      const result = await this.store.request("msg.receipts", { conversation: this.id, messages: ids.slice(-200) });
      this.others = result.members;
      for (const r of result.receipts) {
        this.receipts.set(r.message, { read: r.read, unread: r.unread });
        this.renderReceipt(r.message);
      }
    } catch (error) {
      console.warn("receipts failed", error);
    }
  }

  receiptEvent({ person, from_seq: from, last_read_seq: upTo }) {
    if (person.id === this.store.me.id) return;
    for (const [id, counts] of this.receipts) {
      const entry = this.messages.get(id);
      if (!entry) continue;
      const seq = entry.message.seq;
      if (seq > from && seq <= upTo && counts.unread > 0) {
        counts.unread -= 1;
        counts.read += 1;
        this.renderReceipt(id);
      }
    }
  }

  add(message, live) {
    if (this.messages.has(message.id)) return;
    const nearBottom = this.nearBottom();
    const node = this.renderMessage(message);
    const sending = message.client_msg_id && this.pending.get(message.client_msg_id);
    if (sending) {
      sending.remove();
      this.pending.delete(message.client_msg_id);
    }
    // keep seq order: most arrive at the end, pages arrive at the top
    let index = this.order.length;
    while (index > 0 && this.messages.get(this.order[index - 1]).message.seq > message.seq) index--;
    const before = index < this.order.length ? this.messages.get(this.order[index]).node : this.firstPending();
    this.list.insertBefore(node, before);
    this.order.splice(index, 0, message.id);
    this.messages.set(message.id, { message, node });
    if (this.oldestSeq === null || message.seq < this.oldestSeq) this.oldestSeq = message.seq;
    if (this.top.textContent === EMPTY) this.top.textContent = "";
    if (live) {
      if (message.sender.id === this.store.me.id) {
        if (this.others === null) this.loadReceipts([message.id]);
        else {
          this.receipts.set(message.id, { read: 0, unread: this.others });
          this.renderReceipt(message.id);
        }
        this.scrollToBottom();
      } else if (nearBottom) this.scrollToBottom();
      this.markReadSoon();
    }
  }

  prepend(messages) {
    const fragment = document.createDocumentFragment();
    const ids = [];
    for (const m of messages) {
      if (this.messages.has(m.id)) continue;
      const node = this.renderMessage(m);
      fragment.append(node);
      this.messages.set(m.id, { message: m, node });
      ids.push(m.id);
      if (this.oldestSeq === null || m.seq < this.oldestSeq) this.oldestSeq = m.seq;
    }
    this.top.after(fragment);
    this.order = [...ids, ...this.order];
  }

  firstPending() {
    return this.pending.size ? [...this.pending.values()][0] : null;
  }

  replace(message) {
    const entry = this.messages.get(message.id);
    if (!entry) return;
    const node = this.renderMessage(message);
    entry.node.replaceWith(node);
    entry.node = node;
    entry.message = message;
    this.renderReceipt(message.id);
  }

  renderMessage(m) {
    const mine = m.sender.id === this.store.me.id;
    if (m.recalled) {
      return h("li.system", { dataset: { id: m.id, seq: m.seq } },
        mine ? "你撤回了一条消息" : `${m.sender.name}撤回了一条消息`);
    }
    const who = m.as_post ? `${m.sender.name} · ${m.as_post.title}` : m.sender.name;
    const bubble = h("div.bubble", { class: m.urgent ? "urgent" : "" },
      m.urgent ? h("span.tag.ding", "DING") : null,
      this.quote(m.reply_to),
      this.content(m));
    const actions = h("div.msg-actions",
      h("button.link", { type: "button", onclick: () => this.composer.replyTo(m) }, "回复"),
      mine && (m.type === "text" || m.type === "markdown")
        ? h("button.link", { type: "button", onclick: () => this.composer.edit(m) }, "编辑") : null,
      mine && Date.now() - new Date(m.created_at).getTime() < RECALL_WINDOW_MS
        ? h("button.link", { type: "button", onclick: () => this.recall(m) }, "撤回") : null);
    return h("li.msg", { class: mine ? "mine" : "theirs", dataset: { id: m.id, seq: m.seq } },
      avatar(m.sender.name),
      h("div.msg-body",
        h("div.msg-meta", h("span.sender", who),
          h("time", { title: fullTime(m.created_at), dateTime: m.created_at }, shortTime(m.created_at)),
          m.edited_at ? h("span.muted", " (已编辑)") : null),
        bubble,
        h("div.msg-foot", mine ? h("button.receipt", { type: "button", hidden: true, onclick: () => this.readers(m) }) : null, actions)));
  }

  quote(replyTo) {
    if (!replyTo) return null;
    const entry = this.messages.get(replyTo);
    const text = entry ? `${entry.message.sender.name}: ${entry.message.recalled ? "该消息已撤回" : preview(entry.message)}` : "引用的消息";
    return h("blockquote.quote", { onclick: () => this.flash(replyTo) }, text);
  }

  content(m) {
    const c = m.content || {};
    switch (m.type) {
      case "text": return h("div.text", renderText(c.text || ""));
      case "markdown": return h("div", c.title ? h("div.md-title", c.title) : null, renderMarkdown(c.text || ""));
      case "image": return this.image(c);
      case "file": return h("button.file-card", { type: "button", onclick: () => this.download(c) },
        h("span.file-icon", icon("file", 28)), h("span.file-name", c.filename || "附件"), h("span.muted", size(c.size)));
      case "card": return h("div.card-msg", h("strong", c.title || ""), c.text ? h("p", c.text) : null,
        h("div.card-buttons", (c.buttons || []).map((b) => h("button", { type: "button",
          onclick: () => this.store.request("card.click", { message: m.id, action: b.action }).then(
            () => toast("已提交"), (e) => toast(e.message, "error")) }, b.label))));
      default: return h("div.muted", "[不支持的消息类型]");
    }
  }

  image(c) {
    const img = h("img.thumb", { alt: c.filename || "图片", width: 160, height: thumbHeight(c) });
    const holder = h("button.image-msg", { type: "button", "aria-label": "查看大图", onclick: () => this.enlarge(c) }, img);
    this.store.api.blob(`/api/v1/media/${encodeURIComponent(c.media)}/thumbnail`).then((blob) => {
      img.src = URL.createObjectURL(blob);
      img.dataset.blob = "1";
    }, () => { img.alt = "图片加载失败"; });
    return holder;
  }

  async enlarge(c) {
    try {
      const blob = await this.store.api.blob(`/api/v1/media/${encodeURIComponent(c.media)}`);
      showImage(URL.createObjectURL(blob), c.filename);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async download(c) {
    try {
      saveBlob(await this.store.api.blob(`/api/v1/media/${encodeURIComponent(c.media)}`), c.filename || "附件");
    } catch (error) {
      toast(error.message, "error");
    }
  }

  renderReceipt(id) {
    const entry = this.messages.get(id);
    const counts = this.receipts.get(id);
    if (!entry || !counts) return;
    const button = entry.node.querySelector(".receipt");
    if (!button) return;
    button.hidden = false;
    let label;
    if (this.isDirect || this.others === 1) label = counts.unread ? "未读" : "已读";
    else label = counts.unread ? `${counts.unread}人未读` : "全部已读";
    button.textContent = label;
    button.classList.toggle("done", !counts.unread);
  }

  async readers(m) {
    try {
      const who = await this.store.request("msg.readers", { message: m.id });
      const list = (people) => people.length ? h("ul.people", people.map((p) => h("li", p.name))) : h("p.muted", "无");
      modal("消息接收人", h("div.readers",
        h("section", h("h4", `未读 (${who.unread.length})`), list(who.unread)),
        h("section", h("h4", `已读 (${who.read.length})`), list(who.read))));
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async recall(m) {
    if (!(await confirmDialog("撤回消息", "撤回后, 所有人都将看不到这条消息。确定撤回吗?", "撤回"))) return;
    try {
      this.replace((await this.store.request("msg.recall", { message: m.id })).message);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  /** A message being sent: shown at once, replaced when the server's copy arrives. */
  showPending(clientId, text) {
    const node = h("li.msg.mine.pending", { dataset: { client: clientId } }, avatar(this.store.me.name),
      h("div.msg-body", h("div.msg-meta", h("span.sender", this.store.me.name)),
        h("div.bubble", h("div.text", text)), h("div.msg-foot", h("span.muted.sending", "发送中…"))));
    this.pending.set(clientId, node);
    this.list.append(node);
    this.scrollToBottom();
    return node;
  }

  failPending(clientId, error, retry) {
    const node = this.pending.get(clientId);
    if (!node) return;
    const foot = node.querySelector(".msg-foot");
    clear(foot).append(h("span.form-error", `发送失败: ${error.message} `),
      h("button.link", { type: "button", onclick: () => { clear(foot).append(h("span.muted.sending", "发送中…")); retry(); } }, "重试"));
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  scrollToBottom() {
    requestAnimationFrame(() => { this.scroller.scrollTop = this.scroller.scrollHeight; });
  }

  scrolled() {
    if (this.scroller.scrollTop < 200 && !this.complete && !this.loadingOlder) this.loadOlder();
    if (this.nearBottom()) this.markReadSoon();
  }

  async loadOlder() {
    if (this.oldestSeq === null || this.oldestSeq <= 1) {
      this.complete = true;
      return;
    }
    this.loadingOlder = true;
    this.top.textContent = "正在加载更早的消息…";
    try {
      const page = await this.store.request("conv.history", { conversation: this.id, before_seq: this.oldestSeq, limit: PAGE });
      const height = this.scroller.scrollHeight;
      const top = this.scroller.scrollTop;
      this.addPage(page.messages);
      this.scroller.scrollTop = top + (this.scroller.scrollHeight - height); // keep what is on screen still
    } finally {
      this.loadingOlder = false;
    }
  }

  markReadSoon() {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.markRead(), 200);
  }

  markRead() {
    if (document.visibilityState !== "visible" || !this.order.length) return;
    const last = this.messages.get(this.order[this.order.length - 1]).message.seq;
    const c = this.store.conversations.get(this.id);
    if (c) c.unread = 0;
    this.store.emit("conversations");
    if (last <= (this.readUpTo || 0)) return;
    this.readUpTo = last;
    this.store.request("msg.read", { conversation: this.id, seq: last }).catch(() => { this.readUpTo = 0; });
  }

  async jumpTo(seq) {
    while (!this.complete && (this.oldestSeq === null || this.oldestSeq > seq)) await this.loadOlder();
    const entry = [...this.messages.values()].find((e) => e.message.seq === seq);
    if (entry) this.flash(entry.message.id);
  }

  flash(id) {
    const entry = this.messages.get(id);
    if (!entry) return;
    entry.node.scrollIntoView({ block: "center" });
    entry.node.classList.add("flash");
    setTimeout(() => entry.node.classList.remove("flash"), 1600);
  }

  toggleSearch() {
    this.searchBar.hidden = !this.searchBar.hidden;
    if (!this.searchBar.hidden) this.searchBox.focus();
  }

  searchSoon() {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.search(), 250);
  }

  async search() {
    const query = this.searchBox.value.trim();
    this.searchResults.hidden = !query;
    if (!query) return;
    try {
      const found = await this.store.request("search", { query, conversation: this.id, limit: 50 });
      this.searchResults.replaceChildren(...(found.matches.length ? found.matches.map((match) => h("li",
        h("button.link.search-hit", { type: "button", onclick: () => this.jumpTo(match.seq) },
          h("span.sender", `${match.sender.name} · ${shortTime(match.created_at)}: `), highlighted(match.snippet || "", query))))
        : [h("li.muted", "没有找到相关消息")]));
    } catch (error) {
      this.searchResults.replaceChildren(h("li.form-error", error.message));
    }
  }
}

function size(bytes) {
  if (!bytes && bytes !== 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function thumbHeight(c) {
  return c.width && c.height ? Math.round(Math.min(240, (160 * c.height) / c.width)) : 120;
}
