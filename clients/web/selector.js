// A selector input (docs/selectors.md) with validation and a live count of what it selects,
// from GET /api/v1/resolve. Used by the directory and by notice compose.

import { h } from "./dom.js";

export class SelectorInput {
  constructor(api, { placeholder = "例如 duty:村党支部书记 under:柯城区", onChange = () => {}, id } = {}) {
    this.api = api;
    this.onChange = onChange;
    this.result = null;
    this.input = h("input.selector-input", { type: "text", id, placeholder, autocomplete: "off", spellcheck: false,
      "aria-label": "岗位选择条件", oninput: () => this.checkSoon() });
    this.status = h("div.selector-status", { "aria-live": "polite" }, "输入条件后将显示匹配的岗位数");
    this.preview = h("ul.selector-preview");
    this.node = h("div.selector", this.input, this.status, this.preview);
  }

  get value() { return this.input.value.trim(); }

  set value(text) {
    this.input.value = text;
    this.check();
  }

  checkSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), 300);
  }

  async check() {
    const text = this.value;
    this.result = null;
    this.status.className = "selector-status";
    this.preview.replaceChildren();
    if (!text) {
      this.status.textContent = "输入条件后将显示匹配的岗位数";
      this.onChange(null);
      return;
    }
    this.status.textContent = "正在计算…";
    try {
      const result = await this.api.get("/api/v1/resolve", { selector: text, limit: 5 });
      if (text !== this.value) return;
      this.result = result;
      this.status.classList.add(result.empty ? "warn" : "ok");
      this.status.textContent = result.empty ? "没有匹配的岗位或企业"
        : `匹配 ${result.post_count} 个岗位${result.enterprise_count ? `、${result.enterprise_count} 家企业` : ""}, 当前在岗 ${result.holder_count} 人`;
      this.preview.replaceChildren(...result.items.map((item) => h("li",
        item.type === "post" ? `${item.unit ? item.unit.name : ""} · ${item.title}` + holders(item) : item.name || item.credit_code)),
      result.post_count + result.enterprise_count > result.items.length ? h("li.muted", "…") : "");
    } catch (error) {
      if (text !== this.value) return;
      this.status.classList.add("error");
      const position = error.details && error.details.position !== undefined ? ` (第 ${error.details.position + 1} 个字符处)` : "";
      this.status.textContent = `${error.message}${position}`;
    }
    this.onChange(this.result);
  }
}

function holders(item) {
  const names = (item.holders || []).map((p) => p.name).join("、");
  return names ? ` (${names})` : " (空缺)";
}
