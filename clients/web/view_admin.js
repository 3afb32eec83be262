// 管理后台 (admins): rotate a post's holder, issue activation codes for a selector, import a
// directory file with progress, and the audit log with filters and CSV export.

import { fullTime, h, saveBlob, toast } from "./dom.js";
import { SelectorInput } from "./selector.js";

const TABS = [["rotate", "岗位交接"], ["activate", "账号激活"], ["import", "导入目录"], ["audit", "审计日志"]];
const ACTIONS = {
  login: "登录", "login.failed": "登录失败", logout: "退出", "token.revoke": "吊销令牌", "account.activate": "激活账号",
  "activation.issue": "发放激活码", "directory.import": "导入目录", "directory.change": "修改岗位", "role.change": "任职变动",
  "notice.send": "发送通知", "notice.ding": "DING提醒", "message.recall": "撤回消息", "audit.export": "导出审计日志",
};

export function create(store) {
  return new AdminView(store);
}

class AdminView {
  constructor(store) {
    this.store = store;
    this.api = store.api;
    this.body = h("div.admin-body");
    this.tabs = h("div.tabs", { role: "tablist" }, TABS.map(([key, label]) =>
      h("a.tab", { href: `#/admin/${key}`, role: "tab", dataset: { tab: key } }, label)));
    this.node = h("section.page", h("div.page-head", h("h2", "管理后台")), this.tabs, this.body);
  }

  navigate([tab]) {
    const key = TABS.some(([k]) => k === tab) ? tab : "rotate";
    for (const link of this.tabs.children) link.setAttribute("aria-selected", String(link.dataset.tab === key));
    this[key]();
  }

  stop() {}

  rotate() {
    const code = h("input", { id: "rotate-post", type: "text", placeholder: "岗位代码, 如 330802100200-01" });
    const holders = h("div");
    const successor = h("input", { id: "rotate-mobile", type: "tel", placeholder: "继任者手机号" });
    const result = h("p.form-error", { role: "alert" });
    let post = null;
    const load = async () => {
      result.textContent = "";
      try {
        post = await this.api.get(`/api/v1/posts/${encodeURIComponent(code.value.trim())}`);
        holders.replaceChildren(h("p", `${post.unit.name} · ${post.department ? post.department.name + " · " : ""}${post.title}`),
          h("p.muted", "现任: ", post.holders.map((x) => `${x.person.name} (${x.person.mobile || ""}, 自 ${x.start})`).join("、") || "空缺"));
      } catch (error) {
        post = null;
        holders.replaceChildren(h("p.form-error", error.message));
      }
    };
    const run = async () => {
      result.textContent = "";
      if (!post) await load();
      if (!post) return;
      const mobile = successor.value.trim();
      if (!/^1\d{10}$/.test(mobile)) return void (result.textContent = "请输入继任者的 11 位手机号");
      try {
        for (const holding of post.holders) await this.api.post(`/api/v1/holdings/${holding.holding_id}/end`, {});
        await this.api.post(`/api/v1/posts/${encodeURIComponent(post.code)}/holdings`, { mobile });
        toast("交接完成: 历史消息和未完成的通知已随岗位交给继任者");
        post = null;
        await load();
      } catch (error) {
        result.textContent = error.message;
      }
    };
    this.body.replaceChildren(h("div.card",
      h("h3", "岗位交接"),
      h("p.muted", "结束现任者的任职, 由继任者接任。岗位的会话和未完成的通知随岗位交给继任者。"),
      h("div.form-grid",
        h("label", { for: "rotate-post" }, "岗位"), h("div.actions-row", code, h("button", { type: "button", onclick: load }, "查询")),
        h("span"), holders,
        h("label", { for: "rotate-mobile" }, "继任者"), successor),
      result, h("div.actions-row", h("button.primary", { type: "button", onclick: run }, "确认交接"))));
  }

  activate() {
    const selector = new SelectorInput(this.api, { id: "activate-selector" });
    const hours = h("input", { id: "activate-hours", type: "number", min: 1, max: 720, value: 72 });
    const result = h("div");
    const issue = async () => {
      if (!selector.value) return void result.replaceChildren(h("p.form-error", "请填写选择条件"));
      try {
        const r = await this.api.post("/api/v1/activation-codes", { selector: selector.value, valid_hours: Number(hours.value) || 72 });
        result.replaceChildren(h("p.ok-text", `已发放 ${r.issued} 个激活码 (匹配 ${r.matched} 人), 有效期至 ${fullTime(r.expires_at)}`),
          h("p.muted", `跳过: 已激活 ${r.skipped.already_active} 人, 无手机号 ${r.skipped.no_mobile} 人, 发送过于频繁 ${r.skipped.rate_limited} 人`));
      } catch (error) {
        result.replaceChildren(h("p.form-error", error.message));
      }
    };
    this.body.replaceChildren(h("div.card",
      h("h3", "发放激活码"),
      h("p.muted", "向选中岗位的在岗人员发送短信激活码, 收到后可在登录页 “激活账号” 设置密码。"),
      h("div.form-grid",
        h("label", { for: "activate-selector" }, "选择条件"), selector.node,
        h("label", { for: "activate-hours" }, "有效小时"), hours),
      h("div.actions-row", h("button.primary", { type: "button", onclick: issue }, "发放激活码")), result));
  }

  import() {
    const file = h("input", { id: "import-file", type: "file", accept: ".json,.jsonl,application/json" });
    const bar = h("div", { class: "w-0" });
    const status = h("p.muted", "支持 JSON 目录文件或 JSON Lines (每行一条记录), 格式见 docs/directory-format.md");
    const go = async () => {
      const chosen = file.files[0];
      if (!chosen) return void (status.textContent = "请选择文件");
      let body;
      try {
        const text = await chosen.text();
        body = chosen.name.endsWith(".jsonl")
          ? JSON.stringify(text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l))) : text;
      } catch {
        status.textContent = "文件不是有效的 JSON / JSON Lines";
        return;
      }
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/import");
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.setRequestHeader("Authorization", `Bearer ${this.store.session.token}`);
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return;
        bar.className = `w-${Math.round((e.loaded / e.total) * 10)}`;
        status.textContent = `正在上传 ${Math.round((e.loaded / e.total) * 100)}%`;
      };
      xhr.upload.onload = () => { status.textContent = "上传完成, 服务器正在校验并导入…"; };
      xhr.onerror = () => { status.textContent = "无法连接服务器"; };
      xhr.onload = () => {
        let reply = {};
        try { reply = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        if (xhr.status === 200) {
          bar.className = "w-10";
          status.textContent = `导入完成: ${Object.entries(reply.counts || reply).filter(([, v]) => typeof v === "number").map(([k, v]) => `${k} ${v}`).join(", ")}`;
        } else {
          const errors = (reply.error && reply.error.details && reply.error.details.errors) || [];
          status.replaceChildren(h("span.form-error", reply.error ? reply.error.message : `导入失败 (HTTP ${xhr.status})`),
            h("ul", errors.slice(0, 20).map((e) => h("li", `${e.location || e.line || ""} ${e.message || e.reason || JSON.stringify(e)}`))));
        }
      };
      xhr.send(body);
    };
    this.body.replaceChildren(h("div.card", h("h3", "导入目录"), status, h("div.progress", bar),
      h("div.actions-row", file, h("button.primary", { type: "button", onclick: go }, "开始导入"))));
  }

  audit() {
    const action = h("select", { id: "audit-action" }, h("option", { value: "" }, "全部操作"),
      Object.entries(ACTIONS).map(([k, v]) => h("option", { value: k }, v)));
    const since = h("input", { id: "audit-since", type: "date" });
    const until = h("input", { id: "audit-until", type: "date" });
    const table = h("tbody");
    const count = h("span.muted");
    const query = () => ({ action: action.value, since: since.value, until: until.value });
    const load = async () => {
      try {
        const result = await this.api.get("/api/v1/audit", { ...query(), limit: 100 });
        count.textContent = `共 ${result.total} 条`;
        table.replaceChildren(...result.items.map((e) => h("tr", h("td", fullTime(e.at)), h("td", e.actor ? e.actor.name : "—"),
          h("td", ACTIONS[e.action] || e.action), h("td", e.target), h("td", e.result === "ok" ? "成功" : e.result === "denied" ? "拒绝" : "错误"),
          h("td.small", JSON.stringify(e.details)))));
      } catch (error) {
        toast(error.message, "error");
      }
    };
    const exportCsv = async () => {
      try {
        const qs = new URLSearchParams(Object.entries(query()).filter(([, v]) => v));
        saveBlob(await this.api.blob(`/api/v1/audit.csv?${qs}`), "审计日志.csv");
      } catch (error) {
        toast(error.message, "error");
      }
    };
    this.body.replaceChildren(h("div.card",
      h("div.actions-row", action, h("label", { for: "audit-since" }, "从"), since, h("label", { for: "audit-until" }, "到"), until,
        h("button", { type: "button", onclick: load }, "查询"), h("button", { type: "button", onclick: exportCsv }, "导出 CSV"), count),
      h("table.grid", h("thead", h("tr", ["时间", "操作人", "操作", "对象", "结果", "详情"].map((t) => h("th", t)))), table)));
    load();
  }
}
