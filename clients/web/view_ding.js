// DING: urgent items stand out — a banner on every view and a sound the user may turn off —
// until acknowledged (a notice confirmed or opened, a message read).

import { h } from "./dom.js";
import { dingKey, idOf } from "./store.js";

const SOUND_KEY = "zd.ding.sound";

export function soundOn() {
  return localStorage.getItem(SOUND_KEY) !== "off";
}

export function setSound(on) {
  localStorage.setItem(SOUND_KEY, on ? "on" : "off");
}

function beep() {
  if (!soundOn()) return;
  try {
    const audio = new AudioContext();
    for (const [at, freq] of [[0, 880], [0.25, 660], [0.5, 880]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.15, audio.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.22);
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + 0.23);
    }
  } catch { /* no audio device */ }
}

function describe(item) {
  const thing = (item.kind === "notice" ? item.notice : item.message) || {};
  const sender = thing.sender ? thing.sender.name : "";
  if (item.kind === "notice") return `${sender}${thing.sender_post ? `(${thing.sender_post.title})` : ""} 发来紧急通知: ${thing.title || ""}`;
  return `${sender} 发来一条紧急消息`;
}

function target(item) {
  return item.kind === "notice" ? `#/notices/${idOf(item.notice)}` : `#/messages/${item.message ? item.message.conversation : ""}`;
}

export class DingBanner {
  constructor(store) {
    this.store = store;
    this.node = h("div.ding-banner", { hidden: true, role: "alert" });
    store.on("ding", (items) => this.render(items));
  }

  render(items) {
    this.node.hidden = !items.length;
    if (!items.length) return;
    const latest = items[items.length - 1];
    if (latest.attempt !== this.lastAttempt || dingKey(latest) !== this.lastKey) beep();
    this.lastAttempt = latest.attempt;
    this.lastKey = dingKey(latest);
    this.node.replaceChildren(
      h("span.tag.ding", "DING"),
      h("span.ding-text", describe(latest), items.length > 1 ? ` 等 ${items.length} 项` : ""),
      h("a.button.primary", { href: target(latest), onclick: () => this.store.acknowledgeDing(latest) }, "立即查看"),
      h("button.link", { type: "button", onclick: () => this.store.acknowledgeDing(latest) }, "知道了"));
  }
}

export function create(store) {
  const list = h("ul.ding-list");
  const render = (items) => {
    list.replaceChildren(...(items.length ? items.slice().reverse().map((item) => h("li.ding-item",
      h("span.tag.ding", "DING"), h("span", describe(item)),
      h("a.button", { href: target(item), onclick: () => store.acknowledgeDing(item) }, "查看"))) : [h("li.empty", "没有待处理的 DING。紧急消息和紧急通知会出现在这里, 直到您处理。")]));
  };
  const sound = h("input", { type: "checkbox", checked: soundOn(), onchange: () => setSound(sound.checked) });
  render(store.dings);
  const off = store.on("ding", render);
  return { node: h("section.page", h("div.page-head", h("h2", "DING"), h("label.check", sound, " 提示音")), list), stop: off };
}
