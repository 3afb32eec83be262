// 登录 with mobile and password (the token is kept in this browser's localStorage), and
// 激活账号: set a password with the activation code an administrator had sent by SMS.

import { Api, login } from "./api.js";
import { h } from "./dom.js";

function field(id, label, attrs) {
  return [h("label", { for: id }, label), h("input", { id, name: id, required: true, ...attrs })];
}

export function loginView({ message, onLoggedIn }) {
  const card = h("div.login-shell");
  const brand = () => h("div.brand", h("span.brand-mark", "钉"), h("div", h("h1", "政钉"), h("p.muted", "政务协同 · 找岗位, 不找人")));

  function showLogin(note) {
    const [mobileLabel, mobile] = field("login-mobile", "手机号", { type: "tel", autocomplete: "username", inputMode: "numeric", placeholder: "请输入手机号", maxLength: 20 });
    const [passwordLabel, password] = field("login-password", "密码", { type: "password", autocomplete: "current-password", placeholder: "请输入密码" });
    const error = h("p.form-error", { role: "alert" }, note || "");
    const button = h("button.primary.wide", { type: "submit" }, "登录");
    async function submit(event) {
      event.preventDefault();
      error.textContent = "";
      if (!/^1\d{10}$/.test(mobile.value.trim())) return void (error.textContent = "请输入 11 位手机号");
      if (!password.value) return void (error.textContent = "请输入密码");
      button.disabled = true;
      button.textContent = "正在登录…";
      try {
        onLoggedIn(await login(mobile.value.trim(), password.value));
      } catch (failure) {
        error.textContent = failure.code === "unauthenticated" ? "手机号或密码错误, 或账号尚未激活" : failure.message;
        button.disabled = false;
        button.textContent = "登录";
      }
    }
    card.replaceChildren(h("form.login-card", { onsubmit: submit, novalidate: true, "aria-label": "登录" },
      brand(), mobileLabel, mobile, passwordLabel, password, error, button,
      h("p.switch", h("button.link", { type: "button", onclick: () => showActivate() }, "首次使用? 用激活码激活账号"))));
    mobile.focus();
  }

  function showActivate() {
    const [mobileLabel, mobile] = field("act-mobile", "手机号", { type: "tel", inputMode: "numeric", placeholder: "接收激活码的手机号", maxLength: 20 });
    const [codeLabel, code] = field("act-code", "激活码", { type: "text", inputMode: "numeric", placeholder: "短信中的 8 位数字", maxLength: 8, autocomplete: "one-time-code" });
    const [passLabel, pass] = field("act-password", "设置密码", { type: "password", autocomplete: "new-password", placeholder: "至少 8 位" });
    const [againLabel, again] = field("act-again", "确认密码", { type: "password", autocomplete: "new-password", placeholder: "再输入一次" });
    const error = h("p.form-error", { role: "alert" });
    const button = h("button.primary.wide", { type: "submit" }, "激活并登录");
    async function submit(event) {
      event.preventDefault();
      error.textContent = "";
      if (!/^1\d{10}$/.test(mobile.value.trim())) return void (error.textContent = "请输入 11 位手机号");
      if (!/^\d{8}$/.test(code.value.trim())) return void (error.textContent = "激活码为 8 位数字");
      if (pass.value.length < 8) return void (error.textContent = "密码至少 8 位");
      if (pass.value !== again.value) return void (error.textContent = "两次输入的密码不一致");
      button.disabled = true;
      try {
        await new Api(null).post("/api/v1/activate", { mobile: mobile.value.trim(), code: code.value.trim(), password: pass.value });
        onLoggedIn(await login(mobile.value.trim(), pass.value));
      } catch (failure) {
        error.textContent = failure.message;
        button.disabled = false;
      }
    }
    card.replaceChildren(h("form.login-card", { onsubmit: submit, novalidate: true, "aria-label": "激活账号" },
      brand(), h("h2", "激活账号"), mobileLabel, mobile, codeLabel, code, passLabel, pass, againLabel, again, error, button,
      h("p.switch", h("button.link", { type: "button", onclick: () => showLogin() }, "已有密码, 返回登录"))));
    mobile.focus();
  }

  showLogin(message);
  return h("main.login-page", card);
}
