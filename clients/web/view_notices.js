// 通知 (钉到岗位): the inbox (open, confirm with feedback, reply to the sending post), the
// notices I sent, compose to a selector with a live recipient count, and the receipt view rolled
// up city → county → township → village with the pending list, live, CSV export and DING.

import { fullTime, h, saveBlob, shortTime, toast, uuid } from "./dom.js";
import { SelectorInput } from "./selector.js";
import { idOf } from "./store.js";

export function create(store) {
  return new NoticesView(store);
}

const LEVEL = { city: "市", county: "县(区)", township: "乡镇(街道)", village: "村(社区)" };

class NoticesView {
  constructor(store) {
    this.store = store;
    this.tab = "inbox";
    this.list = h("div.notice-list");
    this.tabs = h("div.tabs", { role: "tablist" },
      h("button.tab", { type: "button", role: "tab", dataset: { tab: "inbox" }, onclick: () => this.showTab("inbox") }, "收到的"),
      h("button.tab", { type: "button", role: "tab", dataset: { tab: "sent" }, onclick: () => this.showTab("sent") }, "我发出的"));
    this.detail = h("section.detail-pane");
    this.node = h("div.split",
      h("aside.list-pane",
        h("div.pane-head", h("div.actions-row", h("h2", "通知"), h("span.spacer"),
          h("a.button.primary", { href: "#/notices/new" }, "发通知")), this.tabs),
        this.list),
      this.detail);
    this.off = [
      store.on("notice", ({ ev, data }) => this.live(ev, data)),
      store.on("synced", () => this.loadList()),
    ];
    this.showTab("inbox");
  }

  stop() {
    this.off.forEach((off) => off());
    clearTimeout(this.statusTimer);
  }

  navigate([id, sub]) {
    this.current = null;
    clearTimeout(this.statusTimer);
    if (id === "new") this.compose();
    else if (id && sub === "status") this.status(Number(id));
    else if (id) this.open(Number(id));
    else this.detail.replaceChildren(h("div.empty-state", h("p", "选择一条通知查看, 或点击 “发通知”")));
  }

  showTab(tab) {
    this.tab = tab;
    for (const button of this.tabs.children) button.setAttribute("aria-selected", String(button.dataset.tab === tab));
    this.loadList();
  }

  async loadList() {
    try {
      if (this.tab === "inbox") {
        const result = await this.store.request("notice.list", { limit: 100 });
        this.store.noticeUnread = result.unread;
        this.store.emit("notice.count", result.unread);
        this.list.replaceChildren(...(result.notices.length ? result.notices.map((n) => this.inboxItem(n))
          : [h("p.empty", "暂无通知")]));
      } else {
        const result = await this.store.request("notice.sent", { limit: 100 });
        this.list.replaceChildren(...(result.notices.length ? result.notices.map((n) => this.sentItem(n))
          : [h("p.empty", "您还没有发出通知")]));
      }
    } catch (error) {
      this.list.replaceChildren(h("p.form-error.pad", error.message));
    }
  }

  inboxItem(n) {
    const state = n.confirmed_at ? h("span.tag.ok", "已确认") : n.require_confirm ? h("span.tag.warn", "待确认")
      : n.read_at ? h("span.tag.ok", "已读") : h("span.tag.warn", "未读");
    return h("a.notice-item", { href: `#/notices/${n.id}`, class: n.read_at ? "" : "unread" },
      h("div.conv-top", h("span.notice-title", n.title), n.urgent ? h("span.tag.ding", "DING") : null,
        h("time.conv-time", shortTime(n.created_at))),
      h("div.conv-last", `${n.sender.name} · ${n.sender_post.title}  `, state));
  }

  sentItem(n) {
    const t = n.totals;
    return h("a.notice-item", { href: `#/notices/${n.id}/status` },
      h("div.conv-top", h("span.notice-title", n.title), h("time.conv-time", shortTime(n.created_at))),
      h("div.conv-last", `应收 ${t.recipients} · 已读 ${t.read}${n.require_confirm ? ` · 已确认 ${t.confirmed}` : ""} · 未完成 ${t.pending}`));
  }

  async open(id) {
    this.detail.replaceChildren(h("p.muted.pad", "加载中…"));
    let notice;
    try {
      notice = (await this.store.request("notice.open", { notice: id })).notice;
    } catch (error) {
      if (error.code === "forbidden" || error.code === "not_found") return this.status(id);
      this.detail.replaceChildren(h("p.form-error.pad", error.message));
      return;
    }
    this.store.acknowledgeDing({ kind: "notice", notice: { id } });
    this.loadList();
    const feedback = h("textarea", { rows: 3, placeholder: "反馈意见 (可选)", maxLength: 2000, "aria-label": "反馈意见" });
    const confirmBox = notice.require_confirm ? (notice.confirmed_at
      ? h("div.card", h("span.tag.ok", "已确认"), ` 于 ${fullTime(notice.confirmed_at)}`, notice.feedback ? h("p", `反馈: ${notice.feedback}`) : null)
      : h("div.card", h("h4", "该通知需要确认"), feedback,
        h("div.actions-row", h("button.primary", { type: "button", onclick: async (event) => {
          event.target.disabled = true;
          try {
            await this.store.request("notice.confirm", { notice: id, feedback: feedback.value.trim() || undefined });
            toast("已确认收到");
            this.open(id);
          } catch (error) {
            event.target.disabled = false;
            toast(error.message, "error");
          }
        } }, "确认收到")))) : null;
    const mine = notice.sender.id === this.store.me.id;
    this.detail.replaceChildren(h("div.page",
      h("div.page-head", h("h2", notice.title), notice.urgent ? h("span.tag.ding", "DING") : null),
      h("p.muted", `${notice.sender.name} · ${notice.sender_post.title} · ${fullTime(notice.created_at)}`),
      h("div.notice-body", notice.body),
      confirmBox,
      h("div.actions-row",
        h("button", { type: "button", onclick: () => this.reply(notice) }, "回复发送岗位"),
        mine ? h("a.button", { href: `#/notices/${id}/status` }, "查看阅读情况") : null)));
  }

  async reply(notice) {
    try {
      const opened = await this.store.request("conv.open", { kind: "post", post: notice.sender_post.code });
      await this.store.loadConversations();
      location.hash = `#/messages/${opened.conversation.id}`;
    } catch (error) {
      toast(error.message, "error");
    }
  }

  compose() {
    const posts = (this.store.profile && this.store.profile.posts) || [];
    if (!posts.length) {
      this.detail.replaceChildren(h("div.empty-state", h("p", "通知以岗位身份发送, 您目前不在任何岗位上。")));
      return;
    }
    const asPost = h("select", { id: "notice-as-post" }, posts.map((p) => h("option", { value: p.code }, `${p.unit.name} · ${p.title}`)));
    const count = h("span.muted");
    const selector = new SelectorInput(this.store.api, { id: "notice-selector",
      onChange: (r) => { count.textContent = r && !r.empty ? `将送达约 ${r.holder_count} 人` : ""; } });
    const title = h("input", { id: "notice-title", type: "text", maxLength: 200, placeholder: "通知标题" });
    const body = h("textarea", { id: "notice-body", rows: 8, maxLength: 20000, placeholder: "通知正文" });
    const confirm = h("input", { type: "checkbox", id: "notice-confirm", checked: true });
    const urgent = h("input", { type: "checkbox", id: "notice-urgent" });
    const error = h("p.form-error", { role: "alert" });
    const send = h("button.primary", { type: "button" }, "发送通知");
    const clientId = uuid(); // one per compose: a retry after a lost reply sends nothing twice
    send.onclick = async () => {
      error.textContent = "";
      if (!selector.value) return void (error.textContent = "请填写接收岗位的条件");
      if (!title.value.trim()) return void (error.textContent = "请填写标题");
      if (!body.value.trim()) return void (error.textContent = "请填写正文");
      send.disabled = true;
      try {
        const result = await this.store.request("notice.send", { client_msg_id: clientId, as_post: asPost.value,
          selector: selector.value, title: title.value.trim(), body: body.value.trim(),
          require_confirm: confirm.checked, urgent: urgent.checked });
        toast(`已发送给 ${result.recipients} 人`);
        this.showTab("sent");
        location.hash = `#/notices/${idOf(result.notice)}/status`;
      } catch (failure) {
        send.disabled = false;
        error.textContent = failure.message;
      }
    };
    this.detail.replaceChildren(h("div.page",
      h("div.page-head", h("h2", "发通知"), h("span.muted", "钉到岗位: 发给岗位, 无论谁在岗都能收到")),
      h("div.form-grid",
        h("label", { for: "notice-as-post" }, "发送身份"), asPost,
        h("label", { for: "notice-selector" }, "接收岗位"), h("div", selector.node, count),
        h("label", { for: "notice-title" }, "标题"), title,
        h("label", { for: "notice-body" }, "正文"), body,
        h("span"), h("div.actions-row", h("label.check", confirm, " 需要确认"), h("label.check.urgent", urgent, " DING 紧急提醒 (未处理者将被持续提醒)"))),
      error, h("div.actions-row", send)));
  }

  async status(id, under) {
    this.current = { id, under };
    let report;
    try {
      report = await this.store.request("notice.status", { notice: id, limit: 100, ...(under ? { under } : {}) });
    } catch (error) {
      this.detail.replaceChildren(h("p.form-error.pad", error.message));
      return;
    }
    if (!this.current || this.current.id !== id) return;
    const n = report.notice;
    const t = report.totals;
    const confirm = n.require_confirm;
    const done = confirm ? t.confirmed : t.read;
    const rows = report.rollup.map((u) => h("tr", { class: `lvl-${u.level}` },
      h("td", h("button.link", { type: "button", class: `indent-${u.level}`, onclick: () => this.status(id, u.code) }, u.name || u.path),
        h("span.muted.small", ` ${LEVEL[u.level] || ""}`)),
      h("td", String(u.recipients)), h("td", String(u.read)), confirm ? h("td", String(u.confirmed)) : null,
      h("td", u.pending ? h("strong", String(u.pending)) : "0"),
      h("td.bar", h("div.progress", h("div", { class: `w-${Math.round(((confirm ? u.confirmed : u.read) / Math.max(1, u.recipients)) * 10)}` })))));
    const pending = report.pending.items.map((p) => h("tr",
      h("td", p.person.name), h("td", p.post ? p.post.title : p.enterprise ? p.enterprise.name : ""),
      h("td", p.unit ? p.unit.name : ""), h("td", p.read_at ? "已读未确认" : "未读"), h("td", p.person.mobile || "")));
    const ding = h("button.danger", { type: "button", onclick: async () => {
      try {
        const r = await this.store.request("notice.ding", { notice: id });
        toast(r.dinged ? `已DING ${r.dinged} 人` : "没有需要提醒的人");
      } catch (error) {
        toast(error.message, "error");
      }
    } }, "一键DING未完成人员");
    this.detail.replaceChildren(h("div.page.status-page",
      h("nav.crumbs", h("a", { href: `#/notices` }, "通知"), " › 阅读情况"),
      h("div.page-head", h("h2", n.title), n.urgent ? h("span.tag.ding", "DING") : null),
      h("p.muted", `${n.sender.name} · ${n.sender_post.title} · ${fullTime(n.created_at)}`),
      h("div.stat", { "aria-label": "统计" },
        h("div", h("span.muted", "应收"), h("strong", { dataset: { stat: "recipients" } }, String(t.recipients))),
        h("div", h("span.muted", "已读"), h("strong", { dataset: { stat: "read" } }, String(t.read))),
        confirm ? h("div", h("span.muted", "已确认"), h("strong", { dataset: { stat: "confirmed" } }, String(t.confirmed))) : null,
        h("div", h("span.muted", confirm ? "未确认" : "未读"), h("strong", { dataset: { stat: "pending" } }, String(t.pending)))),
      h("div.progress.big", h("div", { class: `w-${Math.round((done / Math.max(1, t.recipients)) * 10)}` })),
      h("div.actions-row", ding,
        h("button", { type: "button", onclick: () => this.exportCsv(id, under) }, "导出未完成名单 (CSV)"),
        under ? h("button.link", { type: "button", onclick: () => this.status(id) }, "显示全部单位") : null,
        h("span.muted.small", "页面实时更新")),
      h("h4", under ? `${report.under ? "所选单位" : ""}下属单位` : "按单位汇总"),
      h("table.grid", h("thead", h("tr", h("th", "单位"), h("th", "应收"), h("th", "已读"), confirm ? h("th", "已确认") : null, h("th", "未完成"), h("th", "进度"))),
        h("tbody", rows)),
      h("h4", `未完成人员 (${report.pending.total})`),
      pending.length ? h("table.grid.pending", h("thead", h("tr", h("th", "姓名"), h("th", "岗位"), h("th", "单位"), h("th", "状态"), h("th", "手机"))), h("tbody", pending))
        : h("p.ok-text", "全部完成 ✓"),
      report.pending.total > pending.length ? h("p.muted.small", `仅显示前 ${pending.length} 人, 完整名单请导出 CSV`) : null));
  }

  async exportCsv(id, under) {
    try {
      const blob = await this.store.api.blob(`/api/v1/notices/${id}/pending.csv${under ? `?under=${encodeURIComponent(under)}` : ""}`);
      saveBlob(blob, `通知${id}未完成名单.csv`);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  live(ev, data) {
    if (ev === "notice.new") {
      if (this.tab === "inbox") this.loadList();
      return;
    }
    if (this.tab === "sent") this.loadListSoon();
    if (this.current && idOf(data.notice) === this.current.id) {
      clearTimeout(this.statusTimer);
      this.statusTimer = setTimeout(() => this.current && this.status(this.current.id, this.current.under), 300);
    }
  }

  loadListSoon() {
    clearTimeout(this.listTimer);
    this.listTimer = setTimeout(() => this.loadList(), 500);
  }
}
