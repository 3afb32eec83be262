// The HTTP API: JSON with the bearer token in a header (never in a URL), errors as ApiError.

const SESSION_KEY = "zd.session";

export class ApiError extends Error {
  constructor(code, message, status = 0, details = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    if (session && session.expires_at && new Date(session.expires_at) < new Date()) return null;
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
}

export class Api {
  constructor(session) {
    this.session = session;
    this.onUnauthenticated = () => {};
  }

  headers(extra = {}) {
    const headers = { ...extra };
    if (this.session) headers.Authorization = `Bearer ${this.session.token}`;
    return headers;
  }

  async raw(method, path, { body, headers } = {}) {
    let response;
    try {
      response = await fetch(path, { method, body, headers: this.headers(headers), cache: "no-store" });
    } catch {
      throw new ApiError("unreachable", "无法连接服务器, 请检查网络");
    }
    if (!response.ok) {
      let error = { code: "http_" + response.status, message: `请求失败 (HTTP ${response.status})` };
      try {
        error = (await response.json()).error || error;
      } catch { /* not JSON */ }
      if (response.status === 401 && this.session) this.onUnauthenticated();
      throw new ApiError(error.code, error.message, response.status, error.details || {});
    }
    return response;
  }

  async json(method, path, body) {
    const response = await this.raw(method, path, {
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
    });
    return response.status === 204 ? null : response.json();
  }

  get(path, query) {
    const qs = query ? "?" + new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== "")) : "";
    return this.json("GET", path + qs);
  }

  post(path, body) {
    return this.json("POST", path, body ?? {});
  }

  async blob(path) {
    return (await this.raw("GET", path)).blob();
  }

  async upload(path, file) {
    const form = new FormData();
    form.append("file", file, file.name);
    return (await this.raw("POST", path, { body: form })).json();
  }
}

export async function login(mobile, password) {
  const api = new Api(null);
  const result = await api.post("/api/v1/login", { mobile, password });
  const session = { token: result.token, expires_at: result.expires_at, person: result.person };
  saveSession(session);
  return session;
}
