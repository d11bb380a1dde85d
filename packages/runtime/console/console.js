// The Eddy web console: plain JavaScript against the admin API of the same
// origin (GET /v1/functions, /v1/io, /v1/addresses/…, /v1/quarantine; POST
// …/retry|drop). Every value is put in the page as text, never as HTML.
"use strict";

const REFRESH_MS = 2000;
let previous; // { at, byType } of the last /v1/functions reading, for rates

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function num(value, digits = 0) {
  return el("td", { class: "num" }, Number(value).toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
}

async function api(path, init) {
  const res = await fetch(path, { headers: { accept: "application/json" }, ...init });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = new Error(body.error ? `${body.error.code}: ${body.error.message}` : `${res.status} ${res.statusText}`);
    error.status = res.status;
    throw error;
  }
  return body;
}

/** Splits "namespace/type/id" (the id may contain "/") into its three parts, or explains what is wrong. */
function parseAddress(text) {
  const parts = text.trim().split("/");
  if (parts.length < 3 || parts.slice(0, 2).some((p) => p === "") || parts.slice(2).join("/") === "") {
    return { problem: `"${text}" is not namespace/type/id` };
  }
  return { namespace: parts[0], type: parts[1], id: parts.slice(2).join("/") };
}

function addressPath(a) {
  return [a.namespace, a.type, a.id].map(encodeURIComponent).join("/");
}

function preview(value) {
  if (value === null || value === undefined) return "";
  if (value.encoding === "json") return JSON.stringify(value.value);
  return `${value.typename}, ${value.size} bytes (base64 ${String(value.value).slice(0, 48)}${String(value.value).length > 48 ? "…" : ""})`;
}

function fillBody(table, rows, emptyText, columns) {
  const body = table.tBodies[0];
  body.replaceChildren(...(rows.length > 0 ? rows : [el("tr", {}, el("td", { colspan: String(columns), class: "empty" }, emptyText))]));
}

async function refreshFunctions() {
  const data = await api("/v1/functions");
  const now = performance.now();
  const seconds = previous === undefined ? 0 : (now - previous.at) / 1000;
  const rate = (f, field) => {
    const before = previous?.byType.get(f.functionType);
    return seconds > 0 && before !== undefined ? Math.max(0, (f[field] - before[field]) / seconds) : 0;
  };
  const rows = data.functions.map((f) =>
    el(
      "tr",
      { "data-function": f.functionType },
      el("td", {}, el("code", {}, f.functionType)),
      num(rate(f, "messagesIn"), 1),
      num(rate(f, "invocations"), 1),
      num(rate(f, "failures"), 1),
      Object.assign(num(f.failures), { className: f.failures > 0 ? "num bad" : "num", title: Object.entries(f.failuresByReason).map(([r, n]) => `${r}: ${n}`).join("\n") }),
      num(f.backlog),
      num(f.meanInvocationMs, 2),
    ),
  );
  fillBody(document.getElementById("functions"), rows, "no function has been invoked yet", 7);
  previous = { at: now, byType: new Map(data.functions.map((f) => [f.functionType, f])) };
  return data;
}

async function refreshIo() {
  const io = await api("/v1/io");
  const rows = [
    ...io.ingresses.map((i) => el("tr", {}, el("td", {}, "ingress"), el("td", {}, el("code", {}, i.id)), el("td", {}, i.description), num(i.accepted), Object.assign(num(i.refused), { className: i.refused > 0 ? "num bad" : "num" }))),
    ...io.egresses.map((e) => el("tr", {}, el("td", {}, "egress"), el("td", {}, el("code", {}, e.id)), el("td", {}, e.description), num(e.delivered), Object.assign(num(e.failed), { className: e.failed > 0 ? "num bad" : "num" }))),
  ];
  fillBody(document.getElementById("io"), rows, "none bound", 5);
  return io;
}

async function refreshQuarantine() {
  let list;
  try {
    list = await api("/v1/quarantine");
  } catch (error) {
    if (error.status === 404) {
      fillBody(document.getElementById("quarantine"), [], "this runtime has no quarantine", 7);
      return;
    }
    throw error;
  }
  const rows = list.items.map((q) => {
    const act = (verb) => async () => {
      const notice = document.getElementById("quarantine-notice");
      try {
        const done = await api(`/v1/quarantine/${addressPath({ namespace: q.functionType.split("/")[0], type: q.functionType.split("/")[1], id: q.id })}/${verb}`, { method: "POST" });
        notice.textContent = `${done.address}: ${done.action}`;
        notice.className = "";
      } catch (error) {
        notice.textContent = `${q.address}: ${error.message}`;
        notice.className = "bad";
      }
      await refresh();
    };
    return el(
      "tr",
      { "data-address": q.address },
      el("td", {}, el("code", {}, q.address)),
      el("td", { class: "bad" }, el("code", {}, q.error.code), " ", q.error.message),
      num(q.attempts),
      el("td", {}, `${new Date(q.firstFailureAt).toLocaleString()} / ${new Date(q.lastFailureAt).toLocaleString()}`),
      num(q.waiting),
      el("td", {}, el("pre", {}, preview(q.message))),
      el("td", {}, el("button", { type: "button", onclick: act("retry") }, "Retry"), " ", el("button", { type: "button", class: "danger", onclick: act("drop") }, "Drop")),
    );
  });
  fillBody(document.getElementById("quarantine"), rows, "nothing is parked", 7);
}

async function showAddress(text) {
  const out = document.getElementById("address-result");
  const parsed = parseAddress(text);
  if (parsed.problem) {
    out.replaceChildren(el("p", { class: "bad" }, parsed.problem));
    return;
  }
  let a;
  try {
    a = await api(`/v1/addresses/${addressPath(parsed)}`);
  } catch (error) {
    out.replaceChildren(el("p", { class: "bad" }, error.status === 404 ? `${text}: no such address (it never had state or messages)` : error.message));
    return;
  }
  const stateRows = Object.entries(a.state).map(([name, v]) =>
    el("tr", {}, el("td", {}, el("code", {}, name)), el("td", {}, el("code", {}, v.typename)), el("td", {}, el("pre", { "data-state": name }, preview(v))), el("td", {}, v.expiresAt ? new Date(v.expiresAt).toLocaleString() : "never")),
  );
  const state = el("table", { id: "address-state" }, el("thead", {}, el("tr", {}, el("th", {}, "state"), el("th", {}, "type"), el("th", {}, "value"), el("th", {}, "expires"))), el("tbody"));
  fillBody(state, stateRows, "no state values", 4);
  out.replaceChildren(
    el(
      "dl",
      {},
      el("dt", {}, "address"),
      el("dd", {}, el("code", {}, a.address)),
      el("dt", {}, "backlog"),
      el("dd", { id: "address-backlog" }, String(a.backlog)),
      el("dt", {}, "pending timers"),
      el("dd", {}, String(a.timers.length)),
      el("dt", {}, "quarantine"),
      el("dd", { class: a.quarantine ? "bad" : "" }, a.quarantine ? `parked: ${a.quarantine.error.code} after ${a.quarantine.attempts} attempts` : "not parked"),
    ),
    state,
  );
}

async function refresh() {
  try {
    const [functions, io] = await Promise.all([refreshFunctions(), refreshIo(), refreshQuarantine()]);
    const status = document.getElementById("status");
    status.textContent = io.ready
      ? `ready · ${functions.pendingMessages} messages pending · ${functions.pendingDelayedMessages} delayed`
      : `not ready: ${io.notReady ?? io.state}`;
    status.className = io.ready ? "" : "bad";
    document.body.dataset.refreshed = String(Date.now());
  } catch (error) {
    const status = document.getElementById("status");
    status.textContent = `cannot reach the admin API: ${error.message}`;
    status.className = "bad";
  }
}

document.getElementById("address-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void showAddress(document.getElementById("address-input").value);
});
void refresh();
setInterval(() => void refresh(), REFRESH_MS);
