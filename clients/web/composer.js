// The message composer: Enter sends, Shift+Enter is a new line; markdown, images, files,
// DING (urgent), reply and edit, and @mentions of people and posts with autocomplete.

import { h, toast, uuid } from "./dom.js";
import { preview } from "./store.js";
import { icon } from "./icons.js";

export class Composer {
  constructor(store, chat) {
    this.store = store;
    this.chat = chat;
    this.mentions = []; // [{label, mention: {person} | {post}}]
    this.people = []; // members that can be @-mentioned: [{id, name}]
    this.asPost = null;
    this.replying = null;
    this.editing = null;
    this.input = h("textarea.compose-input", { rows: 3, placeholder: "输入消息, Enter 发送, Shift+Enter 换行",
      "aria-label": "输入消息", onkeydown: (e) => this.keydown(e), oninput: () => this.suggestSoon() });
    this.markdown = h("input", { type: "checkbox", id: `md-${chat.id}` });
    this.urgent = h("input", { type: "checkbox", id: `urgent-${chat.id}` });
    this.file = h("input", { type: "file", hidden: true, onchange: () => this.upload() });
    this.context = h("div.compose-context", { hidden: true });
    this.suggestions = h("ul.suggestions", { hidden: true, role: "listbox", "aria-label": "提及候选" });
    this.send = h("button.primary", { type: "button", onclick: () => this.submit() }, "发送");
    this.node = h("footer.composer", this.context, this.suggestions,
      h("div.compose-tools",
        h("button.icon", { type: "button", title: "发送图片或文件", "aria-label": "发送图片或文件", onclick: () => this.file.click() }, icon("attach", 20)),
        h("button.icon", { type: "button", title: "提及", "aria-label": "提及", onclick: () => this.insertAt() }, "@"),
        h("label.check", this.markdown, " Markdown"),
        h("label.check.urgent", this.urgent, " DING 紧急"),
        this.file),
      h("div.compose-row", this.input, this.send));
  }

  setMembers(info) {
    this.people = info.members.filter((m) => m.type === "person").map((m) => m.person);
    const held = new Set(((this.store.profile && this.store.profile.posts) || []).map((p) => p.code));
    const mine = info.members.find((m) => m.type === "post" && held.has(m.post.code));
    this.asPost = info.conversation.kind === "post" && mine ? mine.post.code : null;
    if (!info.may_post) {
      this.input.disabled = true;
      this.send.disabled = true;
      this.input.placeholder = "该频道仅限指定岗位发言";
    }
  }

  keydown(event) {
    if (!this.suggestions.hidden && ["ArrowDown", "ArrowUp", "Enter", "Tab", "Escape"].includes(event.key)) {
      const items = [...this.suggestions.children];
      let at = items.findIndex((i) => i.classList.contains("selected"));
      if (event.key === "Escape") this.suggestions.hidden = true;
      else if (event.key === "Enter" || event.key === "Tab") items[Math.max(at, 0)]?.click();
      else {
        at = (at + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
        items.forEach((i, n) => i.classList.toggle("selected", n === at));
      }
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    } else if (event.key === "Escape" && (this.editing || this.replying)) {
      this.cancel();
    }
  }

  replyTo(message) {
    this.editing = null;
    this.replying = message;
    this.showContext(`回复 ${message.sender.name}: ${preview(message)}`);
    this.input.focus();
  }

  edit(message) {
    this.replying = null;
    this.editing = message;
    this.input.value = message.content.text;
    this.markdown.checked = message.type === "markdown";
    this.showContext("编辑消息");
    this.input.focus();
  }

  showContext(text) {
    this.context.hidden = false;
    this.context.replaceChildren(h("span", text),
      h("button.icon", { type: "button", "aria-label": "取消", onclick: () => this.cancel() }, "×"));
  }

  cancel() {
    this.replying = null;
    if (this.editing) this.input.value = "";
    this.editing = null;
    this.context.hidden = true;
  }

  content(text) {
    const content = this.markdown.checked ? { text } : { text };
    const mentions = this.mentions.filter((m) => text.includes(`@${m.label}`)).map((m) => m.mention);
    if (mentions.length) content.mentions = mentions;
    return content;
  }

  async submit() {
    const text = this.input.value.trim();
    if (!text) return;
    const type = this.markdown.checked ? "markdown" : "text";
    if (this.editing) {
      const editing = this.editing;
      try {
        const result = await this.store.request("msg.edit", { message: editing.id, content: this.content(text) });
        this.chat.replace(result.message);
        this.input.value = "";
        this.cancel();
      } catch (error) {
        toast(error.message, "error");
      }
      return;
    }
    const args = { conversation: this.chat.id, client_msg_id: uuid(), type, content: this.content(text) };
    if (this.replying) args.reply_to = this.replying.id;
    if (this.urgent.checked) args.urgent = true;
    if (this.asPost) args.as_post = this.asPost;
    this.input.value = "";
    this.mentions = [];
    this.urgent.checked = false;
    this.cancel();
    this.chat.showPending(args.client_msg_id, text);
    this.deliver(args);
  }

  /** Sends until acknowledged: retries keep the client_msg_id, so nothing is stored twice. */
  async deliver(args) {
    try {
      await this.store.request("msg.send", args);
    } catch (error) {
      this.chat.failPending(args.client_msg_id, error, () => this.deliver(args));
    }
  }

  async upload() {
    const file = this.file.files[0];
    this.file.value = "";
    if (!file) return;
    const clientId = uuid();
    this.chat.showPending(clientId, `正在上传 ${file.name}…`);
    const send = async () => {
      const media = await this.store.api.upload(`/api/v1/conversations/${this.chat.id}/media`, file);
      await this.store.request("msg.send", { conversation: this.chat.id, client_msg_id: clientId,
        type: media.kind, content: { media: media.media }, ...(this.asPost ? { as_post: this.asPost } : {}) });
    };
    const attempt = () => send().catch((error) => this.chat.failPending(clientId, error, attempt));
    attempt();
  }

  insertAt() {
    const at = this.input.selectionStart;
    this.input.setRangeText("@", at, at, "end");
    this.input.focus();
    this.suggest();
  }

  suggestSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.suggest(), 120);
  }

  /** The "@word" just before the caret, if any. */
  token() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const match = /@([^\s@]*)$/.exec(before);
    return match ? { query: match[1], start: before.length - match[0].length } : null;
  }

  async suggest() {
    const token = this.token();
    if (!token) {
      this.suggestions.hidden = true;
      return;
    }
    const q = token.query;
    const people = this.people.filter((p) => p.id !== this.store.me.id && (!q || p.name.includes(q)))
      .slice(0, 6).map((p) => ({ label: p.name, detail: "成员", mention: { person: p.id } }));
    let posts = [];
    if (q) {
      try {
        const found = await this.store.api.get("/api/v1/search", { q, kind: "post", limit: 6 });
        posts = found.items.map((p) => ({ label: `${p.unit ? p.unit.name : ""}${p.title}`, detail: `岗位 ${p.code}`,
          mention: { post: p.code } }));
      } catch { /* people only */ }
    }
    if (this.token()?.query !== q) return;
    const options = [...people, ...posts];
    this.suggestions.hidden = !options.length;
    this.suggestions.replaceChildren(...options.map((option, n) => h("li", { role: "option",
      class: n === 0 ? "selected" : "", onmousedown: (e) => e.preventDefault(), onclick: () => this.pick(option, token) },
    h("span", `@${option.label}`), h("span.muted", option.detail))));
  }

  pick(option, token) {
    const end = this.input.selectionStart;
    this.input.setRangeText(`@${option.label} `, token.start, end, "end");
    this.mentions.push(option);
    this.suggestions.hidden = true;
    this.input.focus();
  }
}
