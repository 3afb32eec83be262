// 登录: mobile and password; the token is kept in this browser's localStorage.

import { login } from "./api.js";
import { h } from "./dom.js";

export function loginView({ message, onLoggedIn }) {
  const mobile = h("input", { id: "login-mobile", name: "mobile", type: "tel", autocomplete: "username",
    inputMode: "numeric", placeholder: "请输入手机号", required: true, maxLength: 20 });
  const password = h("input", { id: "login-password", name: "password", type: "password",
    autocomplete: "current-password", placeholder: "请输入密码", required: true });
  const error = h("p.form-error", { role: "alert" }, message || "");
  const button = h("button.primary.wide", { type: "submit" }, "登录");

  async function submit(event) {
    event.preventDefault();
    error.textContent = "";
    if (!/^1\d{10}$/.test(mobile.value.trim())) {
      error.textContent = "请输入 11 位手机号";
      return;
    }
    button.disabled = true;
    button.textContent = "正在登录…";
    try {
      onLoggedIn(await login(mobile.value.trim(), password.value));
    } catch (failure) {
      error.textContent = failure.code === "unauthenticated" ? "手机号或密码错误, 或账号尚未激活" : failure.message;
    } finally {
      button.disabled = false;
      button.textContent = "登录";
    }
  }

  return h("main.login-page",
    h("form.login-card", { onsubmit: submit, novalidate: true, "aria-label": "登录" },
      h("div.brand", h("span.brand-mark", "钉"), h("div", h("h1", "政钉"), h("p.muted", "政务协同 · 找岗位, 不找人"))),
      h("label", { for: "login-mobile" }, "手机号"), mobile,
      h("label", { for: "login-password" }, "密码"), password,
      error, button,
      h("p.muted.small", "账号由管理员导入; 首次使用请联系管理员激活。")));
}
