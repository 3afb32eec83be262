// Start-up: a stored session opens the client, otherwise the login page.

import { Api, loadSession, saveSession } from "./api.js";
import { loginView } from "./view_login.js";
import { Shell } from "./view_shell.js";
import { Store } from "./store.js";

const root = document.getElementById("app");
let current = null;

function showLogin(message) {
  if (current) current.stop();
  current = null;
  saveSession(null);
  root.replaceChildren(loginView({ message, onLoggedIn: start }));
}

function start(session) {
  const api = new Api(session);
  const store = new Store(api, session);
  api.onUnauthenticated = () => showLogin("登录已过期, 请重新登录");
  const shell = new Shell(store, {
    onLogout: async () => {
      try {
        await api.post("/api/v1/logout");
      } catch { /* the token is forgotten either way */ }
      showLogin("您已退出登录");
    },
  });
  current = store;
  root.replaceChildren(shell.node);
  store.start();
  shell.route();
}

const session = loadSession();
if (session) start(session);
else showLogin();
