// The one store: what the user sees, fed by the websocket's events; views subscribe to topics.
// Protocol rules live in socket.js; this module only keeps state and tells views what changed.

import { ImSocket } from "./socket.js";

const PLACEHOLDERS = { image: "[图片]", file: "[文件]", card: "[卡片]" };

/** A one-line summary of a message (the server's conv.list preview, for live messages). */
export function preview(message) {
  if (message.recalled || !message.content) return "";
  const c = message.content;
  const text = message.type === "text" || message.type === "markdown" ? c.title || c.text || ""
    : (PLACEHOLDERS[message.type] || "") + (c.title || "");
  return text.split(/\s+/).filter(Boolean).join(" ").slice(0, 80);
}

export class Store {
  constructor(api, session) {
    this.api = api;
    this.session = session;
    this.me = session.person; // {id, name, role}
    this.profile = null; // /api/v1/me: posts held
    this.conversations = new Map();
    this.openConversation = null; // the id shown in the chat pane
    this.connection = { state: "connecting" };
    this.dings = []; // unacknowledged DING items
    this.noticeUnread = 0;
    this.topics = new Map();
    this.socket = new ImSocket({
      api, personId: this.me.id,
      onEvent: (ev, data, pos) => this.event(ev, data, pos),
      onState: (change) => this.connectionChanged(change),
    });
  }

  get isAdmin() { return this.me.role === "admin"; }
  get isEnterprise() { return this.me.role === "enterprise"; }

  on(topic, fn) {
    if (!this.topics.has(topic)) this.topics.set(topic, new Set());
    this.topics.get(topic).add(fn);
    return () => this.topics.get(topic).delete(fn);
  }

  emit(topic, data) {
    for (const fn of [...(this.topics.get(topic) || [])]) {
      try {
        fn(data);
      } catch (error) {
        console.error("view failed on", topic, error);
      }
    }
  }

  request(op, args) {
    return this.socket.request(op, args);
  }

  start() {
    this.socket.start();
    this.api.get("/api/v1/me").then((me) => {
      this.profile = me;
      this.emit("profile", me);
    }).catch(() => {});
  }

  stop() {
    this.socket.stop();
  }

  connectionChanged(change) {
    if (change.sync) {
      // after every (re)connect: reload the list; after a resync the views reload too
      this.loadConversations();
      this.loadNoticeCount();
      if (change.sync === "resync") this.emit("resync");
      this.emit("synced", change.sync);
      return;
    }
    this.connection = change;
    this.emit("connection", change);
  }

  async loadConversations() {
    try {
      const result = await this.request("conv.list", { limit: 200 });
      this.conversations = new Map(result.conversations.map((c) => [c.id, c]));
      this.emit("conversations");
    } catch (error) {
      console.warn("conv.list failed", error);
    }
  }

  async loadNoticeCount() {
    try {
      const result = await this.request("notice.list", { limit: 50 });
      this.noticeUnread = result.unread;
      this.emit("notice.count", this.noticeUnread);
    } catch { /* shown on the next sync */ }
  }

  sortedConversations() {
    return [...this.conversations.values()].sort((a, b) =>
      String(b.last_at || "").localeCompare(String(a.last_at || "")) || b.id - a.id);
  }

  event(ev, data) {
    switch (ev) {
      case "message.new": return this.messageNew(data.message);
      case "message.edited":
      case "message.recalled": return this.messageChanged(data.message);
      case "conversation.new": {
        const c = data.conversation;
        if (!this.conversations.has(c.id)) {
          this.conversations.set(c.id, { ...c, last_at: new Date().toISOString(), unread: 0, last_message: null });
        }
        return this.emit("conversations");
      }
      case "conversation.read": {
        const c = this.conversations.get(idOf(data.conversation));
        if (c && idOf(data.person) === this.me.id && data.last_read_seq >= c.last_seq) c.unread = 0;
        return this.emit("conversations");
      }
      case "message.read": return this.emit("receipt", { ...data, conversation: idOf(data.conversation) });
      case "notice.new":
        this.noticeUnread += 1;
        this.emit("notice.count", this.noticeUnread);
        return this.emit("notice", { ev, data });
      case "notice.read":
      case "notice.confirmed":
      case "notice.transferred":
        return this.emit("notice", { ev, data });
      case "ding":
        this.dings = [...this.dings.filter((d) => dingKey(d) !== dingKey(data)), data];
        return this.emit("ding", this.dings);
      case "conversation.removed": {
        const id = idOf(data.conversation);
        this.conversations.delete(id);
        this.emit("conversations");
        return this.emit("removed", id);
      }
      default:
        // other membership changes: reload rather than guess the shape
        if (ev.startsWith("conversation.")) {
          this.loadConversations();
          this.emit("membership", { ev, data });
        }
    }
  }

  messageNew(message) {
    const c = this.conversations.get(message.conversation);
    if (!c) {
      this.loadConversations(); // a conversation we did not know yet
    } else {
      c.last_seq = Math.max(c.last_seq, message.seq);
      c.last_at = message.created_at;
      c.last_message = { id: message.id, seq: message.seq, sender: message.sender, type: message.type,
        preview: preview(message), created_at: message.created_at, recalled: message.recalled };
      const reading = this.openConversation === c.id && document.visibilityState === "visible";
      if (message.sender.id !== this.me.id && !reading) c.unread += 1;
    }
    this.emit("conversations");
    this.emit("message", message);
  }

  messageChanged(message) {
    const c = this.conversations.get(message.conversation);
    if (c && c.last_message && c.last_message.id === message.id) {
      c.last_message = { ...c.last_message, preview: preview(message), recalled: message.recalled };
      this.emit("conversations");
    }
    this.emit("message.changed", message);
  }

  acknowledgeDing(item) {
    this.dings = this.dings.filter((d) => dingKey(d) !== dingKey(item));
    this.emit("ding", this.dings);
  }
}

export function dingKey(item) {
  return `${item.kind}:${idOf(item.notice ?? item.message ?? "")}`;
}

/** Events carry objects where older servers sent ids: accept either. */
export function idOf(value) {
  return value && typeof value === "object" ? value.id : value;
}
