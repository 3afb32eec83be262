// The websocket client: the browser twin of clients/sdk. It owns the socket, the cursor, resume
// and retries; views never see a frame. Protocol: docs/protocol.md.
//
// - connects with a single-use ticket (POST /api/v1/ws-ticket), never a token in the URL;
// - keeps the cursor (position of the last event handled) per person in localStorage and
//   resumes from it after any drop, with exponential backoff and jitter;
// - drops any event at or below the cursor, so an overlap after a reconnect shows nothing twice;
// - retries idempotent requests across reconnects (sends keep their client_msg_id); others fail
//   with code "connection_lost".

import { ApiError } from "./api.js";

/** Operations that may be sent again without doing anything twice (as clients/sdk IDEMPOTENT). */
export const IDEMPOTENT = new Set([
  "ping", "presence", "search", "conv.list", "conv.get", "conv.history", "msg.read",
  "msg.send", "notice.send", "notice.list", "notice.status", "notice.open", "notice.confirm",
  "msg.receipts", "conv.receipts",
]);

export class Backoff {
  constructor(initial = 0.5, maximum = 15) {
    this.initial = initial;
    this.maximum = maximum;
    this.attempt = 0;
  }
  next() {
    const ceiling = Math.min(this.maximum, this.initial * 2 ** Math.min(this.attempt++, 30));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }
  reset() {
    this.attempt = 0;
  }
}

export class ImSocket {
  /**
   * @param api      an Api with the session's token (for tickets)
   * @param personId whose cursor this is
   * @param onEvent  (ev, data, pos) for every new event, in order, once
   * @param onState  ({state, retryIn?, error?}) — "connecting", "online", "offline"; and
   *                 {sync: "live"|"caught_up"|"resync"} after each (re)connect
   */
  constructor({ api, personId, onEvent, onState }) {
    this.api = api;
    this.cursorKey = `zd.cursor.${personId}`;
    const saved = localStorage.getItem(this.cursorKey);
    this.cursor = saved === null ? null : Number(saved);
    this.onEvent = onEvent;
    this.onState = onState;
    this.backoff = new Backoff();
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map(); // id -> {op, args, resolve, reject, sent}
    this.closed = false;
    this.timer = null;
  }

  start() {
    this.closed = false;
    this.connect();
  }

  stop() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    for (const item of this.pending.values()) item.reject(new ApiError("client_closed", "已退出登录"));
    this.pending.clear();
  }

  /** Reconnect now (the "立即重试" button), skipping the rest of the backoff. */
  retryNow() {
    if (this.ws || this.closed || this.connecting) return;
    clearTimeout(this.timer);
    this.connect();
  }

  async connect() {
    if (this.connecting || this.ws) return; // one socket at a time
    this.connecting = true;
    this.onState({ state: "connecting" });
    let ticket;
    try {
      ticket = (await this.api.post("/api/v1/ws-ticket")).ticket;
    } catch (error) {
      this.connecting = false;
      if (error.status === 401) return; // the token is gone: Api.onUnauthenticated logs out
      return this.scheduleReconnect(error);
    }
    this.connecting = false;
    if (this.closed) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams({ ticket });
    if (this.cursor !== null) query.set("cursor", String(this.cursor));
    const ws = new WebSocket(`${scheme}//${location.host}/ws?${query}`);
    this.ws = ws;
    ws.onmessage = (message) => this.receive(message.data);
    ws.onclose = (event) => this.dropped(ws, event);
    ws.onopen = () => {
      this.backoff.reset();
      this.onState({ state: "online" });
      for (const [id, item] of this.pending) if (!item.sent) this.write(id, item);
    };
  }

  dropped(ws, event) {
    if (this.ws !== ws) return;
    this.ws = null;
    for (const [id, item] of this.pending) {
      if (IDEMPOTENT.has(item.op)) item.sent = false; // sent again after the reconnect
      else {
        this.pending.delete(id);
        item.reject(new ApiError("connection_lost", "连接已断开, 操作结果未知, 请刷新后确认"));
      }
    }
    if (!this.closed) this.scheduleReconnect(new ApiError("closed", `连接已断开 (${event.code})`));
  }

  scheduleReconnect(error) {
    const delay = this.backoff.next();
    this.onState({ state: "offline", retryIn: delay, error });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay * 1000);
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.re !== undefined) return this.reply(frame);
    if (!frame.ev) return;
    if (frame.pos === 0) { // control events: their cursor is data.cursor
      this.saveCursor(frame.data.cursor);
      this.onState({ sync: frame.data.state });
      return;
    }
    if (this.cursor !== null && frame.pos <= this.cursor) return; // already handled
    this.saveCursor(frame.pos);
    try {
      this.onEvent(frame.ev, frame.data, frame.pos);
    } catch (error) {
      console.error("event handler failed", frame.ev, error);
    }
  }

  saveCursor(cursor) {
    this.cursor = cursor;
    localStorage.setItem(this.cursorKey, String(cursor));
  }

  reply(frame) {
    const item = this.pending.get(frame.re);
    if (!item) return;
    if (!frame.ok && frame.error.code === "rate_limited" && IDEMPOTENT.has(item.op)) {
      setTimeout(() => this.write(frame.re, item), 1000);
      return;
    }
    this.pending.delete(frame.re);
    if (frame.ok) item.resolve(frame.result);
    else item.reject(new ApiError(frame.error.code, frame.error.message, 0, frame.error.details || {}));
  }

  write(id, item) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      item.sent = false; // sent by onopen once the socket is up
      return;
    }
    item.sent = true;
    this.ws.send(JSON.stringify({ v: 1, id, op: item.op, args: item.args }));
  }

  /** One request; resolves with its result or rejects with an ApiError (code + Chinese message). */
  request(op, args = {}) {
    return new Promise((resolve, reject) => {
      const id = String(this.nextId++);
      const item = { op, args, resolve, reject, sent: false };
      const open = this.ws && this.ws.readyState === WebSocket.OPEN;
      if (!open && !IDEMPOTENT.has(op)) {
        reject(new ApiError("offline", "当前未连接服务器, 请稍后重试"));
        return;
      }
      this.pending.set(id, item);
      if (open) this.write(id, item);
    });
  }
}
