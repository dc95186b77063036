// ferrochat user directory: lists, filters, pages, creates, edits, soft-deletes, restores
// and hard-deletes users, live. Uses only the public `ferrochat` package API.
//
//   ./                          embedded store (this tab only, no server)
//   ./?origin=127.0.0.1:8090     ferrochat-server (tabs and other clients see each other)
//   &user=ID                     sign in as ID (default: a random admin-xxxx per tab)
import { Chat, User } from "ferrochat";

window.__appStarted = true;

const REFRESH_MS = 2000; // streams only cover listed users: re-list for users created elsewhere
const HIDDEN_REFRESH_MS = 10000;
const FIELDS = ["name", "email", "externalId", "profileUrl", "status", "type"];
const FIELD_LABELS = {
  id: "User ID", name: "Name", email: "Email", externalId: "External ID",
  profileUrl: "Profile picture URL", status: "Status", type: "Type",
};

const $ = (sel, root = document) => root.querySelector(sel);
const params = new URLSearchParams(location.search);
const origin = params.get("origin") || "";

/** A tiny element builder: h("p", { class: "x", onclick }, "text", child). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function sessionUserId() {
  const fromUrl = params.get("user");
  if (fromUrl) return fromUrl;
  let id = sessionStorage.getItem("ferrochat-www-user");
  if (!id) {
    const rnd = crypto.getRandomValues(new Uint32Array(1))[0].toString(36).slice(0, 4).padStart(4, "0");
    id = `admin-${rnd}`;
    sessionStorage.setItem("ferrochat-www-user", id);
  }
  return id;
}

// ---------------------------------------------------------------------------------------
// Small helpers

/** Orders RFC 3339 timestamps exactly (fractions of any length). */
function timeKey(s) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(s || "");
  if (!m) return s || "";
  return `${m[1]}.${(m[2] || "").padEnd(9, "0")}${m[3]}`;
}
/** True when snapshot `a` is strictly newer than `b`. */
function isNewer(a, b) {
  return timeKey(a?.updated) > timeKey(b?.updated);
}
function signature(u) {
  return JSON.stringify(u);
}
function initials(u) {
  const src = (u?.name || u?.id || "?").trim();
  const parts = src.split(/[\s._-]+/).filter(Boolean);
  const s = parts.length > 1 ? parts[0][0] + parts[1][0] : src.slice(0, 2);
  return s.toUpperCase();
}
function hue(s) {
  let x = 0;
  for (const ch of s || "") x = (x * 31 + ch.codePointAt(0)) >>> 0;
  return x % 360;
}
function avatar(u, profileUrl = u?.profileUrl, big = false) {
  const el = h("div", { class: big ? "avatar big" : "avatar", "aria-hidden": "true" });
  el.style.setProperty("--h", hue(u?.id || ""));
  const fallback = () => {
    el.replaceChildren(h("span", { class: "initials" }, initials(u)));
  };
  if (profileUrl) {
    const img = h("img", { src: profileUrl, alt: "", loading: "lazy", decoding: "async", referrerpolicy: "no-referrer" });
    img.addEventListener("error", fallback, { once: true });
    el.append(img);
  } else fallback();
  return el;
}
function relTime(iso) {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 10) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}
/** What each error code means to someone using the page (codes: the package README). */
const HUMAN = {
  ID_REQUIRED: "Enter a user ID.",
  USER_EXISTS: "A user with this ID already exists: choose another ID.",
  USER_NOT_FOUND: "This user no longer exists (someone may have deleted it).",
  USER_DELETED: "This user is archived (soft-deleted).",
  CURRENT_USER_DELETED: "Your user was deleted, so this session has ended.",
  DESTROYED: "This session has ended: reload the page.",
  CONFLICT: "Someone else kept changing this user at the same time: try again.",
  REFUSED_ALL_USERS: "That would delete every user, so it was refused.",
  NETWORK: "Cannot reach the server: check that it is running and your connection.",
  TIMEOUT: "The server took too long to answer: try again.",
  MALFORMED_RESPONSE: "The server sent a reply this page cannot read.",
  HTTP_403: "The server refused this request (check the keys).",
  HTTP_429: "The server is busy: try again in a moment.",
};

/**
 * A ChatError as a sentence for people: what the code means, else the SDK's message
 * (which names the field, e.g. "name must not be empty"), capitalised. Never a raw code.
 */
function errText(e) {
  const human = HUMAN[e?.code];
  if (human) return human;
  const msg = e?.message || String(e);
  const sentence = msg.charAt(0).toUpperCase() + msg.slice(1);
  if (/^HTTP_5\d\d$/.test(e?.code ?? "")) return `The server failed (${e.status}): try again.`;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
/** Which form field an SDK error is about: "name must…", "custom.team must…", ID codes. */
function errorField(e) {
  if (e?.code === "ID_REQUIRED" || e?.code === "USER_EXISTS") return { field: "id" };
  const msg = e?.message || "";
  const m = /^(id|name|email|externalId|profileUrl|status|type)\b/.exec(msg);
  if (m) return { field: m[1] };
  const c = /^custom(?:\.(.+?)|\["((?:[^"\\]|\\.)*)"\])? must\b/.exec(msg) || /^custom\b/.exec(msg);
  if (c) return { field: "custom", key: c[1] ?? c[2] };
  if (/^user record\b/.test(msg)) return { field: "form" };
  return null;
}

// ---------------------------------------------------------------------------------------
// State

const state = {
  chat: null,
  me: sessionUserId(),
  filter: "",
  sort: "name:asc",
  limit: 20,
  cursor: null, // { next } / { prev } of the page shown, or null for the first page
  offset: 0,
  offsets: [], // offsets of the pages before this one (for "Previous")
  users: [],
  page: {},
  total: undefined,
  loaded: false,
  listSeq: 0,
  stopStream: null,
  streamKey: "",
  hardDeleted: new Map(), // id -> time: ignore stale listings for a few seconds
  online: true,
  ended: false,
};

// ---------------------------------------------------------------------------------------
// Start

async function start() {
  $("#me").textContent = state.me;
  $("#backend").textContent = origin
    ? `ferrochat-server at ${origin} · changes from every client appear live`
    : "Embedded store in this tab · add ?origin=HOST:PORT to use ferrochat-server";
  document.title = `User directory · ${origin ? origin : "embedded"} · ferrochat`;
  const config = origin
    ? { userId: state.me, publishKey: "demo", subscribeKey: "demo", origin, ssl: false }
    : { userId: state.me };
  try {
    state.chat = await Chat.init(config);
  } catch (e) {
    const fatal = $("#fatal");
    fatal.hidden = false;
    let hint = "";
    if (e?.code === "USER_DELETED") hint = ` The user ${state.me} was soft-deleted; use “Start a new session”.`;
    else if (origin) hint = ` Is ferrochat-server running at ${origin}?`;
    const msg = errText(e);
    $(".fatal-msg", fatal).textContent = (/[.!?]$/.test(msg) ? msg : `${msg}.`) + hint;
    setLive("error", "Not connected");
    if (e?.code === "USER_DELETED") showSessionBanner(`${state.me} is soft-deleted.`);
    return;
  }
  window.chat = state.chat; // handy in the console
  state.chat.addConnectionStatusListener((s) => {
    if (s?.reason === "userDeleted") {
      state.ended = true;
      showSessionBanner(`Your user ${s.userId} was ${s.soft ? "soft-" : ""}deleted, so this session has ended.`);
      setLive("error", "Session ended");
    }
  });
  wireUi();
  await refresh();
  scheduleRefresh();
}

function showSessionBanner(text) {
  const b = $("#session-banner");
  $(".banner-text", b).textContent = text;
  b.hidden = false;
}

function setLive(kind, text) {
  const el = $("#live");
  el.dataset.state = kind;
  $(".live-text", el).textContent = text;
}

// ---------------------------------------------------------------------------------------
// Listing, paging, live updates

function listParams() {
  const [key, dir] = state.sort.split(":");
  const sort = { [key]: dir };
  if (key !== "id") sort.id = "asc";
  const p = { sort, limit: state.limit };
  if (state.filter) p.filter = state.filter;
  if (state.cursor) p.page = state.cursor;
  return p;
}

let refreshTimer = 0;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (state.ended) return;
  refreshTimer = setTimeout(async () => {
    await refresh({ background: true });
    scheduleRefresh();
  }, document.visibilityState === "hidden" ? HIDDEN_REFRESH_MS : REFRESH_MS);
}
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && state.chat) {
    refresh({ background: true });
    scheduleRefresh();
  }
});

/** Re-lists the page shown. Later calls win over earlier ones still in flight. */
async function refresh({ background = false } = {}) {
  if (!state.chat || state.ended) return;
  const seq = ++state.listSeq;
  let res;
  try {
    res = await state.chat.getUsers(listParams());
  } catch (e) {
    if (seq !== state.listSeq) return;
    if (e?.code === "INVALID_ARGUMENT" && /filter/i.test(e.message) && state.filter) {
      showFilterError(errText(e));
      return;
    }
    if (e?.code === "INVALID_ARGUMENT" || e?.code === "HTTP_400") {
      // e.g. a stale page cursor: go back to the first page
      if (state.cursor) {
        resetPaging();
        return refresh({ background });
      }
    }
    if (e?.code === "CURRENT_USER_DELETED" || e?.code === "DESTROYED") {
      state.ended = true;
      return;
    }
    state.online = false;
    setLive("error", origin ? "Server unreachable, retrying…" : "Error");
    const le = $("#list-error");
    le.textContent = `Could not list users: ${errText(e)}`;
    le.hidden = false;
    return;
  }
  if (seq !== state.listSeq) return;
  state.online = true;
  setLive("ok", origin ? "Live" : "Live · this tab only");
  $("#list-error").hidden = true;
  showFilterError("");

  if (res.users.length === 0 && state.cursor) {
    // the page we were on emptied (deletions elsewhere): fall back to the first page
    resetPaging();
    return refresh({ background });
  }
  const now = Date.now();
  for (const [id, t] of state.hardDeleted) if (now - t > 5000) state.hardDeleted.delete(id);
  const current = new Map(state.users.map((u) => [u.id, u]));
  state.users = res.users
    .filter((u) => !state.hardDeleted.has(u.id))
    .map((u) => {
      const cur = current.get(u.id);
      return cur && isNewer(cur, u) ? cur : u;
    });
  state.page = res.page || {};
  state.total = res.total;
  state.loaded = true;
  render();
  restream();
}

function resetPaging() {
  state.cursor = null;
  state.offset = 0;
  state.offsets = [];
}

/** Streams the listed users (re-subscribing only when the set of ids changes). */
function restream() {
  const key = state.users.map((u) => u.id).join("\n");
  if (key === state.streamKey) return;
  const old = state.stopStream;
  state.streamKey = key;
  state.stopStream = null;
  if (state.users.length) {
    const tracked = new Set(state.users.map((u) => u.id));
    try {
      // start the new stream before stopping the old one: shared channels stay subscribed
      state.stopStream = User.streamUpdatesOn(state.users, (list) => onStream(list, tracked));
    } catch (e) {
      console.error("streamUpdatesOn failed", e);
    }
  }
  old?.();
}

function onStream(list, tracked) {
  const byId = new Map(list.map((u) => [u.id, u]));
  let changed = false;
  const next = [];
  for (const u of state.users) {
    if (tracked.has(u.id) && !byId.has(u.id)) {
      state.hardDeleted.set(u.id, Date.now()); // hard-deleted elsewhere
      changed = true;
      continue;
    }
    const s = byId.get(u.id);
    if (s && isNewer(s, u)) {
      next.push(s);
      changed = true;
    } else next.push(u);
  }
  if (changed) {
    state.users = next;
    render();
  }
}

/** Puts a fresh snapshot from our own write into the list right away. */
function applyLocal(user) {
  const i = state.users.findIndex((u) => u.id === user.id);
  if (i >= 0 && !isNewer(state.users[i], user)) {
    state.users = state.users.map((u, j) => (j === i ? user : u));
    render();
  }
}
function removeLocal(id) {
  state.hardDeleted.set(id, Date.now());
  const before = state.users.length;
  state.users = state.users.filter((u) => u.id !== id);
  if (state.users.length !== before) {
    if (typeof state.total === "number") state.total -= 1;
    render();
  }
}

// ---------------------------------------------------------------------------------------
// Rendering (keyed: unchanged rows are kept, so focus and hover survive live updates)

const rowCache = new Map(); // id -> { sig, el }
const rowErrors = new Map(); // id -> message
const busyRows = new Set();

function render() {
  const list = $("#users");
  const seen = new Set();
  const rows = state.users.map((u) => {
    seen.add(u.id);
    const sig = `${signature(u)}|${rowErrors.get(u.id) || ""}|${busyRows.has(u.id)}`;
    const cached = rowCache.get(u.id);
    if (cached && cached.sig === sig) return cached.el;
    const el = renderRow(u);
    if (cached && cached.el.contains(document.activeElement)) {
      const action = document.activeElement?.dataset?.action;
      queueMicrotask(() => {
        const target = (action && $(`[data-action="${action}"]`, el)) || $("button", el);
        target?.focus();
      });
    }
    rowCache.set(u.id, { sig, el });
    return el;
  });
  for (const id of [...rowCache.keys()]) if (!seen.has(id)) rowCache.delete(id);
  // keep focus if the focused row is removed: move it to the list heading
  const focusLost = list.contains(document.activeElement) && !rows.some((r) => r.contains(document.activeElement));
  // reorder / replace with minimal DOM moves
  rows.forEach((el, i) => {
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null);
  });
  while (list.children.length > rows.length) list.lastElementChild.remove();
  if (focusLost) $("#new-user").focus();

  const empty = $("#empty");
  empty.hidden = !state.loaded || state.users.length > 0;
  if (!empty.hidden) {
    const filtered = Boolean(state.filter);
    $(".empty-text", empty).textContent = filtered ? "No users match this filter." : "No users yet.";
  }
  // a few users to play with, offered while the directory is nearly empty
  $("#add-samples").hidden = !state.loaded || Boolean(state.filter) || !(state.total < 8) || state.offset > 0;

  const n = state.users.length;
  const total = state.total;
  const from = n ? state.offset + 1 : 0;
  const to = state.offset + n;
  $("#count").textContent = typeof total === "number"
    ? `${total} user${total === 1 ? "" : "s"}${state.filter ? " match" + (total === 1 ? "es" : "") : ""}`
    : "";
  $("#page-info").textContent = n ? `${from}–${to}${typeof total === "number" ? ` of ${total}` : ""}` : "";
  $("#prev").disabled = !state.page.prev && state.offset === 0;
  $("#next").disabled = !state.page.next;
  $(".pager").hidden = !state.page.prev && !state.page.next && state.offset === 0;
}

function renderRow(u) {
  const deleted = u.status === "deleted";
  const label = u.name || u.id;
  const isMe = u.id === state.me;
  const custom = u.custom ? Object.entries(u.custom) : [];
  const busy = busyRows.has(u.id);
  return h("li", { class: `user${deleted ? " deleted" : ""}`, dataset: { id: u.id }, "aria-busy": busy ? "true" : null },
    avatar(u),
    h("div", { class: "info" },
      h("div", { class: "line1" },
        h("span", { class: "name" }, label),
        isMe ? h("span", { class: "chip you" }, "you") : null,
        u.status ? h("span", { class: `chip status s-${u.status.replace(/[^a-z0-9-]/gi, "")}` }, u.status) : null,
        u.type ? h("span", { class: "chip type" }, u.type) : null,
      ),
      h("div", { class: "line2" },
        h("code", { class: "uid" }, u.id),
        u.email ? h("span", { class: "email" }, u.email) : null,
        u.externalId ? h("span", { class: "ext" }, `ext: ${u.externalId}`) : null,
        u.updated ? h("time", { class: "updated", datetime: u.updated, title: u.updated }, `updated ${relTime(u.updated)}`) : null,
      ),
      custom.length
        ? h("div", { class: "line3" }, custom.slice(0, 6).map(([k, v]) =>
          h("span", { class: "kv" }, h("span", { class: "k" }, k), " ", h("span", { class: "v" }, String(v)))),
        custom.length > 6 ? h("span", { class: "kv more" }, `+${custom.length - 6}`) : null)
        : null,
      rowErrors.get(u.id) ? h("p", { class: "row-error", role: "alert" }, rowErrors.get(u.id)) : null,
    ),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn small", dataset: { action: "edit" }, "aria-label": `Edit ${label}`, disabled: busy }, "Edit"),
      deleted
        ? h("button", { type: "button", class: "btn small", dataset: { action: "restore" }, "aria-label": `Restore ${label}`, disabled: busy }, "Restore")
        : h("button", { type: "button", class: "btn small", dataset: { action: "soft" }, "aria-label": `Soft delete ${label}`, disabled: busy }, "Soft delete"),
      h("button", { type: "button", class: "btn small danger-ghost", dataset: { action: "delete" }, "aria-label": `Delete ${label} permanently`, disabled: busy }, "Delete"),
    ),
  );
}

setInterval(() => {
  // keep "updated 5s ago" labels roughly right without re-rendering rows
  for (const t of document.querySelectorAll("#users time")) t.textContent = `updated ${relTime(t.dateTime)}`;
}, 10000);

// ---------------------------------------------------------------------------------------
// Row actions

async function rowAction(id, action) {
  const user = state.users.find((u) => u.id === id);
  if (!user) return;
  if (action === "edit") return openEditor(user);
  if (action === "delete") {
    const ok = await confirmDelete(user);
    if (!ok) return;
  }
  rowErrors.delete(id);
  busyRows.add(id);
  render();
  try {
    const label = user.name || user.id;
    if (action === "soft") {
      const res = await state.chat.deleteUser(id, { soft: true });
      if (res && res !== true) applyLocal(res);
      flash(`Soft-deleted ${label}`);
    } else if (action === "restore") {
      applyLocal(await user.restore());
      flash(`Restored ${label}`);
    } else if (action === "delete") {
      await state.chat.deleteUser(id);
      removeLocal(id);
      flash(`Deleted ${label}`);
    }
  } catch (e) {
    rowErrors.set(id, errText(e));
  } finally {
    busyRows.delete(id);
    render();
  }
  refresh();
}

function confirmDelete(user) {
  const dlg = $("#confirm");
  const who = user.name && user.name !== user.id ? `${user.name} (${user.id})` : user.id;
  $("#confirm-title").textContent = "Delete user permanently?";
  $("#confirm-text").textContent = user.id === state.me
    ? `${who} is you: deleting it ends this session. This cannot be undone.`
    : `${who} will be removed for every client. This cannot be undone — use “Soft delete” to keep a restorable copy.`;
  dlg.returnValue = "cancel";
  dlg.showModal();
  $("#confirm-cancel").focus();
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "delete"), { once: true });
  });
}

// ---------------------------------------------------------------------------------------
// Editor (create and edit)

const editor = {
  mode: "create", // or "edit"
  base: null, // the snapshot the form was filled from
  latest: null, // newest snapshot seen while editing
  dirty: false,
  gone: false,
  stop: null,
  opener: null,
};

function openEditor(user) {
  const dlg = $("#editor");
  editor.mode = user ? "edit" : "create";
  editor.opener = document.activeElement;
  editor.base = user;
  editor.latest = user;
  editor.gone = false;
  clearErrors();
  hideNotice();
  $("#editor-title").textContent = user ? `Edit ${user.name || user.id}` : "New user";
  $("#editor-save").textContent = user ? "Save changes" : "Create user";
  $("#editor-save").disabled = false;
  const idInput = $("#f-id");
  idInput.readOnly = Boolean(user);
  fillForm(user);
  if (!user) {
    const rnd = crypto.getRandomValues(new Uint32Array(1))[0].toString(36).slice(0, 5);
    idInput.value = `user-${rnd}`;
    $("#f-status").value = "active";
    updatePreview();
  }
  editor.dirty = false;
  editor.stop?.();
  editor.stop = null;
  if (user) {
    // live: the user being edited, from any client (an empty list = hard-deleted)
    editor.stop = User.streamUpdatesOn([user], (list) => onEditorStream(list));
  }
  dlg.showModal();
  (user ? $("#f-name") : idInput).focus();
}

function onEditorStream(list) {
  const u = list[0];
  if (!u) {
    editor.gone = true;
    showNotice("This user was deleted permanently by another client.", false);
    $("#editor-save").disabled = true;
    return;
  }
  if (!isNewer(u, editor.latest)) return;
  editor.latest = u;
  if (!editor.dirty) {
    editor.base = u;
    fillForm(u);
    $("#editor-title").textContent = `Edit ${u.name || u.id}`;
    showNotice("Updated by another client.", false);
  } else {
    showNotice("Someone else changed this user while you were editing. Saving keeps their changes to fields you did not touch.", true);
  }
}

function showNotice(text, withReload) {
  const n = $("#editor-notice");
  $(".banner-text", n).textContent = text;
  $("#editor-reload").hidden = !withReload;
  n.hidden = false;
}
function hideNotice() {
  $("#editor-notice").hidden = true;
}

function closeEditor() {
  editor.stop?.();
  editor.stop = null;
  const dlg = $("#editor");
  if (dlg.open) dlg.close();
}

function fillForm(u) {
  $("#f-id").value = u?.id ?? "";
  for (const f of FIELDS) $(`#f-${f}`).value = u?.[f] ?? "";
  const rows = $("#custom-rows");
  rows.replaceChildren();
  for (const [k, v] of Object.entries(u?.custom ?? {})) rows.append(customRow(k, v));
  updatePreview();
}

function customType(v) {
  return typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : "string";
}

let customSeq = 0;
function customRow(key = "", value = "") {
  const n = ++customSeq;
  const type = customType(value);
  const keyInput = h("input", { class: "ck", "aria-label": "Custom field key", placeholder: "key", autocomplete: "off", spellcheck: "false", value: key });
  const typeSel = h("select", { class: "ct", "aria-label": "Custom field type" },
    ["string", "number", "boolean"].map((t) => h("option", { value: t, selected: t === type }, t)));
  const valueSlot = h("div", { class: "cv-slot" });
  const err = h("p", { class: "field-error", id: `err-custom-${n}`, "aria-live": "polite" });
  const row = h("div", { class: "custom-row", role: "group" }, keyInput, typeSel, valueSlot,
    h("button", { type: "button", class: "btn small ghost remove", "aria-label": "Remove custom field", onclick: () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      editor.dirty = true;
      (next ? $(".ck", next) : $("#add-custom")).focus();
    } }, "Remove"),
    err);
  const setValueControl = (t, v) => {
    let ctl;
    if (t === "boolean") {
      ctl = h("select", { class: "cv", "aria-label": "Custom field value" },
        h("option", { value: "true", selected: v === true || v === "true" }, "true"),
        h("option", { value: "false", selected: !(v === true || v === "true") }, "false"));
    } else {
      ctl = h("input", { class: "cv", "aria-label": "Custom field value", placeholder: t === "number" ? "0" : "value",
        inputmode: t === "number" ? "decimal" : null, autocomplete: "off", value: v === "" ? "" : String(v) });
    }
    ctl.setAttribute("aria-describedby", err.id);
    valueSlot.replaceChildren(ctl);
  };
  setValueControl(type, value);
  keyInput.setAttribute("aria-describedby", err.id);
  typeSel.addEventListener("change", () => {
    const cur = $(".cv", valueSlot).value;
    setValueControl(typeSel.value, typeSel.value === "boolean" ? cur === "true" : cur === "true" || cur === "false" ? "" : cur);
  });
  const labelRow = () => {
    const k = keyInput.value.trim();
    row.setAttribute("aria-label", k ? `Custom field ${k}` : "New custom field");
    keyInput.setAttribute("aria-label", "Custom field key");
    valueSlot.firstElementChild?.setAttribute("aria-label", k ? `Value of ${k}` : "Custom field value");
    typeSel.setAttribute("aria-label", k ? `Type of ${k}` : "Custom field type");
  };
  keyInput.addEventListener("input", labelRow);
  typeSel.addEventListener("change", labelRow);
  labelRow();
  return row;
}

function readCustom() {
  const rows = [...document.querySelectorAll("#custom-rows .custom-row")];
  const custom = {};
  let ok = true;
  const seen = new Set();
  for (const row of rows) {
    const key = $(".ck", row).value.trim();
    const type = $(".ct", row).value;
    const raw = $(".cv", row).value;
    if (!key && !raw.trim()) continue; // an untouched empty row
    if (!key) {
      setRowError(row, "Enter a key for this value (or remove the row)");
      ok = false;
      continue;
    }
    if (seen.has(key)) {
      setRowError(row, `Duplicate key “${key}”`);
      ok = false;
      continue;
    }
    seen.add(key);
    // numbers go to the SDK as typed; it rejects what is not a finite number (and says so)
    custom[key] = type === "number" ? (raw.trim() === "" ? NaN : Number(raw)) : type === "boolean" ? raw === "true" : raw;
  }
  return ok ? custom : null;
}

function setRowError(row, msg) {
  const p = $(".field-error", row);
  p.textContent = msg;
  for (const el of row.querySelectorAll("input, select")) el.setAttribute("aria-invalid", "true");
}

function clearErrors() {
  for (const p of document.querySelectorAll("#editor .field-error")) p.textContent = "";
  for (const el of document.querySelectorAll("#editor [aria-invalid]")) el.removeAttribute("aria-invalid");
  $("#form-error").textContent = "";
}

function showError(e) {
  const target = errorField(e);
  const text = errText(e);
  if (target?.field === "custom") {
    const rows = [...document.querySelectorAll("#custom-rows .custom-row")];
    const row = target.key !== undefined ? rows.find((r) => $(".ck", r).value.trim() === target.key) : null;
    if (row) {
      setRowError(row, text);
      $(".cv", row).focus();
    } else {
      $("#err-custom").textContent = text;
    }
    return;
  }
  if (target && target.field !== "form") {
    const input = $(`#f-${target.field}`);
    $(`#err-${target.field}`).textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  $("#form-error").textContent = text;
}

/** The patch of an edit: only the fields that changed ("" clears, except name). */
function readPatch(base) {
  const patch = {};
  for (const f of FIELDS) {
    const v = $(`#f-${f}`).value.trim();
    const old = base?.[f] ?? "";
    if (v === old) continue;
    patch[f] = v === "" && f !== "name" ? null : v;
  }
  const custom = readCustom();
  if (custom === null) return null;
  const oldCustom = base?.custom ?? {};
  const same = Object.keys(custom).length === Object.keys(oldCustom).length
    && Object.entries(custom).every(([k, v]) => Object.is(oldCustom[k], v));
  if (!same) patch.custom = Object.keys(custom).length ? custom : null; // no rows left: clear
  return patch;
}

async function saveEditor(ev) {
  ev.preventDefault();
  clearErrors();
  const save = $("#editor-save");
  if (editor.mode === "create") {
    const id = $("#f-id").value.trim();
    const data = { name: $("#f-name").value.trim() };
    for (const f of FIELDS.slice(1)) {
      const v = $(`#f-${f}`).value.trim();
      if (v) data[f] = v;
    }
    const custom = readCustom();
    if (custom === null) return;
    if (Object.keys(custom).length) data.custom = custom;
    save.disabled = true;
    try {
      const user = await state.chat.createUser(id, data);
      closeEditor();
      flash(`Created ${user.name || user.id}`);
      await refresh();
      focusRow(user.id, "edit");
    } catch (e) {
      showError(e);
    } finally {
      save.disabled = false;
    }
    return;
  }
  if (editor.gone) return;
  const patch = readPatch(editor.base);
  if (patch === null) return;
  if (Object.keys(patch).length === 0) {
    closeEditor();
    return;
  }
  save.disabled = true;
  try {
    const user = await state.chat.updateUser(editor.base.id, patch);
    applyLocal(user);
    closeEditor();
    flash(`Saved ${user.name || user.id}`);
    refresh();
  } catch (e) {
    showError(e);
  } finally {
    save.disabled = editor.gone;
  }
}

function focusRow(id, action) {
  const row = [...document.querySelectorAll("#users li")].find((li) => li.dataset.id === id);
  row?.querySelector(`[data-action="${action}"]`)?.focus();
  row?.scrollIntoView({ block: "nearest" });
}

let flashTimer = 0;
function flash(text) {
  const el = $("#count");
  el.dataset.flash = text;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => delete el.dataset.flash, 2500);
}

let previewTimer = 0;
function updatePreview() {
  const slot = $("#preview");
  const u = {
    id: $("#f-id").value,
    name: $("#f-name").value,
  };
  const url = $("#f-profileUrl").value.trim();
  const el = avatar(u, url, true);
  el.id = "preview";
  slot.replaceWith(el);
}

// ---------------------------------------------------------------------------------------
// Sample data

const SAMPLES = [
  ["ada", "Ada Lovelace", "ada@example.com", "fox", "active", "admin", { team: "core", level: 3 }],
  ["alan", "Alan Turing", "alan@example.com", "sea", "active", "moderator", { team: "support", level: 2 }],
  ["grace", "Grace Hopper", "grace@example.com", "moss", "inactive", "user", { team: "core", oncall: true }],
  ["katherine", "Katherine Johnson", "katherine@example.com", "plum", "active", "user", { team: "support" }],
  ["linus", "Linus Pauling", "linus@example.com", "rose", "away", "user", {}],
  ["margaret", "Margaret Hamilton", "margaret@example.com", "sand", "active", "admin", { team: "apollo", level: 5 }],
];

async function addSamples() {
  const btn = $("#add-samples");
  btn.disabled = true;
  const base = new URL("./avatars/", location.href).href;
  for (const [id, name, email, pic, status, type, custom] of SAMPLES) {
    try {
      await state.chat.createUser(id, { name, email, profileUrl: `${base}${pic}.svg`, status, type, custom, externalId: `emp-${id.length}${id.charCodeAt(0)}` });
    } catch (e) {
      if (e?.code !== "USER_EXISTS") console.error(e);
    }
  }
  btn.disabled = false;
  await refresh();
}

// ---------------------------------------------------------------------------------------
// Wiring

function showFilterError(text) {
  $("#filter-error").textContent = text;
  const input = $("#filter");
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function wireUi() {
  $("#filter-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.filter = $("#filter").value.trim();
    resetPaging();
    refresh();
  });
  $("#filter-clear").addEventListener("click", () => {
    $("#filter").value = "";
    state.filter = "";
    showFilterError("");
    resetPaging();
    refresh();
    $("#filter").focus();
  });
  $("#sort").addEventListener("change", (ev) => {
    state.sort = ev.target.value;
    resetPaging();
    refresh();
  });
  $("#limit").addEventListener("change", (ev) => {
    state.limit = Number(ev.target.value);
    resetPaging();
    refresh();
  });
  $("#next").addEventListener("click", () => {
    if (!state.page.next) return;
    state.offsets.push(state.offset);
    state.offset += state.users.length;
    state.cursor = { next: state.page.next };
    refresh();
  });
  $("#prev").addEventListener("click", () => {
    state.offset = state.offsets.pop() ?? 0;
    state.cursor = state.offset > 0 && state.page.prev ? { prev: state.page.prev } : null;
    if (state.offset === 0) state.offsets = [];
    refresh();
  });
  $("#users").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-action]");
    if (!btn) return;
    const li = btn.closest("li[data-id]");
    rowAction(li.dataset.id, btn.dataset.action);
  });
  $("#new-user").addEventListener("click", () => openEditor(null));
  $("#add-samples").addEventListener("click", addSamples);
  $("#new-session").addEventListener("click", () => {
    sessionStorage.removeItem("ferrochat-www-user");
    const p = new URLSearchParams(location.search);
    p.delete("user");
    location.search = p.toString();
  });

  const dlg = $("#editor");
  $("#editor-form").addEventListener("submit", saveEditor);
  $("#editor-form").addEventListener("input", (ev) => {
    if (ev.target.closest(".custom-row, .field")) editor.dirty = true;
    if (ev.target.id === "f-profileUrl" || (editor.mode === "create" && (ev.target.id === "f-name" || ev.target.id === "f-id"))) {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(updatePreview, 250);
    }
    // an edited field's old error no longer applies
    const field = ev.target.closest(".field, .custom-row");
    const p = field && $(".field-error", field);
    if (p && p.textContent) {
      p.textContent = "";
      ev.target.removeAttribute("aria-invalid");
    }
  });
  $("#editor-form").addEventListener("change", () => { editor.dirty = true; });
  $("#add-custom").addEventListener("click", () => {
    const row = customRow();
    $("#custom-rows").append(row);
    $(".ck", row).focus();
  });
  $("#editor-cancel").addEventListener("click", closeEditor);
  $("#editor-close").addEventListener("click", closeEditor);
  $("#editor-reload").addEventListener("click", () => {
    editor.base = editor.latest;
    fillForm(editor.latest);
    editor.dirty = false;
    clearErrors();
    hideNotice();
  });
  dlg.addEventListener("close", () => {
    editor.stop?.();
    editor.stop = null;
    const back = editor.opener;
    if (back && document.contains(back)) back.focus();
    else if (editor.base) focusRow(editor.base.id, "edit");
  });
  // a click on the backdrop closes the editor
  dlg.addEventListener("click", (ev) => {
    if (ev.target === dlg) closeEditor();
  });
}

start();
