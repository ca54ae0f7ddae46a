// The popup: the recent 401s of the site in the tab, grouped by cause, with their fixes.
// It shows for the active tab, or for the tab named by `?tabId=N` (the popup page opened in
// a tab of its own, by tests or by a person who wants it to stay open).
import browser from "../lib/browser.js";
import * as api from "../lib/api.js";
import { DESTRUCTIVE_FIXES, confirmQuestion, fixLimit, runFix } from "../lib/fixes.js";
import * as settings from "../lib/settings.js";
import { webHostname } from "../lib/site.js";

const CHECK_EVERY_MS = 5000;
const EVENTS_SHOWN_PER_CAUSE = 5;
const STATES = ["loading", "not-running", "not-paired", "no-site", "empty", "error", "events"];

const $ = (selector) => document.querySelector(selector);

/** What this popup shows; lives as long as the popup. */
const view = { tab: null, site: "", events: [], pending: null, state: "loading", titles: new Map() };

document.addEventListener("DOMContentLoaded", start);

async function start() {
  wireControls();
  view.tab = await targetTab();
  view.site = webHostname(view.tab?.url);
  $("#site-name").textContent = view.site || "no web page";
  $("#port-input").value = await settings.getPort();
  await load();
  setInterval(checkForNews, CHECK_EVERY_MS);
}

async function targetTab() {
  const requested = new URLSearchParams(location.search).get("tabId");
  if (requested !== null) return browser.tabs.get(Number(requested)).catch(() => null);
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab ?? null;
}

async function load() {
  if (!view.site) return show("no-site");
  try {
    await api.health();
    const [events] = await Promise.all([api.events(view.site), loadTitles()]);
    render(events);
  } catch (err) {
    showProblem(err);
  }
}

/** Cause titles for "Also", once per popup; without them the ids are shown. */
async function loadTitles() {
  if (view.titles.size) return;
  try {
    view.titles = new Map((await api.causes()).map((c) => [c.id, c.title]));
  } catch {
    // The events still show; "Also" falls back to ids.
  }
}

function render(events) {
  view.events = events;
  $("#new-events").hidden = true;
  if (events.length === 0) {
    $(".empty-site").textContent = view.site;
    return show("empty");
  }
  const groups = Map.groupBy(events, (e) => e.diagnosis?.cause ?? "unknown");
  $("#cause-groups").replaceChildren(...[...groups.values()].map((group, i) => causeGroup(group, i === 0)));
  show("events");
}

function show(state) {
  view.state = state;
  for (const name of STATES) $(`#state-${name}`).hidden = name !== state;
}

async function showProblem(err) {
  if (err instanceof api.NotRunningError) {
    for (const node of document.querySelectorAll(".api-base")) node.textContent = err.base;
    return show("not-running");
  }
  if (err instanceof api.NotPairedError) {
    pairError(err.hadToken ? "The saved token is no longer accepted: the companion has a new one. Type the code `companion pair` prints (or paste the new token)." : "");
    return show("not-paired");
  }
  $("#error-message").textContent = err instanceof api.ApiError ? `${err.message} (${err.code})` : String(err);
  return show("error");
}

// New events do not replace what the person is looking at (a fix's result, an open
// confirmation): a notice offers them. The states that show nothing are refreshed in place.
async function checkForNews() {
  if (!["events", "empty", "not-running", "error"].includes(view.state)) return;
  if (view.state !== "events") return load();
  try {
    const events = await api.events(view.site);
    const shown = new Set(view.events.map((e) => e.id));
    $("#new-events").hidden = events.every((e) => shown.has(e.id));
    view.pending = events;
  } catch {
    // The next explicit refresh shows what went wrong.
  }
}

// ---- one section per cause ------------------------------------------------------------

// The newest cause is open; the others are one line each (title, count, when), so a site with
// many causes keeps the popup about one screen tall.
function causeGroup(events, open) {
  const newest = events[0];
  const d = newest.diagnosis ?? {};
  const cause = d.cause ?? "unknown";
  const section = el("section", { class: open ? "cause-group" : "cause-group collapsed", "data-cause": cause, "data-event-id": newest.id });
  const titleId = `cause-${cause}`;
  const bodyId = `cause-body-${cause}`;
  section.setAttribute("aria-labelledby", titleId);

  const toggle = el("button", { type: "button", class: "cause-toggle", "aria-expanded": String(open), "aria-controls": bodyId, title: plain(d.title ?? cause) },
    el("span", { class: "cause-title", id: titleId }, plain(d.title ?? cause)),
    el("span", { class: "cause-count", title: `${events.length} recent` }, `${events.length}×`),
    el("time", { class: "cause-when", datetime: newest.time }, ago(newest.time)),
  );
  const body = el("div", { class: "cause-body", id: bodyId });
  if (!open) body.hidden = true;
  section.append(el("h2", { class: "cause-header" }, toggle), body);

  body.append(el("p", { class: "summary" }, plain(d.summary ?? "")));
  if (d.also?.length) {
    body.append(el("p", { class: "also" }, "Also: ", d.also.map((id) => view.titles.get(id) ?? id).map(plain).join("; ")));
  }
  if (d.evidence?.length) {
    body.append(
      el("details", { class: "evidence" },
        el("summary", {}, `Evidence (${d.evidence.length})`),
        el("ul", {}, ...d.evidence.map((e) =>
          el("li", {}, el("span", { class: "fact" }, plain(e.fact)), el("span", { class: "source" }, e.source)))),
      ),
    );
  }
  const fixes = fixButtons(d.fixes ?? []);
  body.append(eventList(events), fixes);
  noteLimits(fixes, d.fixes ?? [], newest);
  body.append(
    el("div", { class: "fix-confirm", hidden: "" }),
    el("div", { class: "fix-result", role: "status", "aria-live": "polite", hidden: "" }),
  );
  if (d.developer_notes?.length) {
    body.append(
      el("details", { class: "developer-notes" },
        el("summary", {}, "For the site's developers"),
        el("ul", {}, ...d.developer_notes.map((note) => el("li", {}, plain(note)))),
      ),
    );
  }
  return section;
}

function toggleGroup(group, open = group.classList.contains("collapsed")) {
  group.classList.toggle("collapsed", !open);
  group.querySelector(".cause-toggle").setAttribute("aria-expanded", String(open));
  group.querySelector(".cause-body").hidden = !open;
}

function eventList(events) {
  const list = el("ul", { class: "event-list" });
  for (const e of events.slice(0, EVENTS_SHOWN_PER_CAUSE)) {
    list.append(
      el("li", { class: "event", "data-event-id": e.id },
        el("span", { class: "event-status" }, String(e.status)),
        el("span", { class: "event-method" }, e.method),
        el("span", { class: "event-url", title: e.url }, shortUrl(e.url)),
        el("time", { class: "event-time", datetime: e.time, title: new Date(e.time).toLocaleString() }, ago(e.time)),
      ),
    );
  }
  const more = events.length - EVENTS_SHOWN_PER_CAUSE;
  if (more > 0) list.append(el("li", { class: "event more muted" }, `and ${more} earlier`));
  return list;
}

/** What this browser will not let a fix do, said before the click (Firefox cannot clear one
 * site's cache; private windows need the person's permission). */
async function noteLimits(container, fixes, event) {
  for (const fix of fixes) {
    const limit = await fixLimit(fix.id, event).catch(() => "");
    if (limit) container.append(el("p", { class: "fix-limit muted", "data-fix": fix.id }, limit));
  }
}

/** A URL of the tab's own origin is shown by its path; another origin's whole. */
function shortUrl(url) {
  try {
    const parsed = new URL(url);
    const tab = new URL(view.tab?.url ?? "");
    return parsed.origin === tab.origin ? `${parsed.pathname}${parsed.search}` : url;
  } catch {
    return url;
  }
}

// The fix most likely to work is the main button; the others follow in a compact row. Every
// cause of the catalogue offers a report for support; the titles come with the event.
function fixButtons(fixes) {
  const primary = fixes.find((f) => f.one_click !== false && !["copy_report", "manual"].includes(f.id)) ?? fixes[0];
  const button = (fix) =>
    el("button", {
      type: "button",
      "data-fix": fix.id,
      class: ["fix", fix === primary ? "primary-fix" : "secondary-fix", DESTRUCTIVE_FIXES.has(fix.id) ? "destructive" : ""].join(" ").trim(),
    }, plain(fix.title || fix.id));
  const rest = fixes.filter((f) => f !== primary);
  return el("div", { class: "fixes" },
    ...(primary ? [button(primary)] : []),
    ...(rest.length ? [el("div", { class: "more-fixes" }, ...rest.map(button))] : []),
  );
}

// ---- fixes -------------------------------------------------------------------------------

async function onGroupClick(click) {
  const button = click.target.closest("button");
  const group = button?.closest(".cause-group");
  if (!group) return;
  if (button.matches(".cause-toggle")) return toggleGroup(group);
  const event = view.events.find((e) => e.id === group.dataset.eventId);
  if (button.matches(".cancel-fix")) return closeConfirm(group, true);
  if (button.matches(".confirm-fix")) {
    closeConfirm(group, false);
    return applyFix(group, button.dataset.fix, event);
  }
  const fixId = button.dataset.fix;
  if (!fixId) return;
  if (DESTRUCTIVE_FIXES.has(fixId)) return askFirst(group, fixId, event);
  return applyFix(group, fixId, event);
}

function askFirst(group, fixId, event) {
  const box = group.querySelector(".fix-confirm");
  const yes = el("button", { type: "button", class: "confirm-fix danger", "data-fix": fixId }, "Yes, remove");
  box.replaceChildren(
    el("p", {}, confirmQuestion(fixId, event)),
    el("div", { class: "confirm-actions" }, yes, el("button", { type: "button", class: "cancel-fix" }, "Cancel")),
  );
  box.hidden = false;
  group.querySelector(".fix-result").hidden = true;
  yes.focus();
}

function closeConfirm(group, refocus) {
  const box = group.querySelector(".fix-confirm");
  const fixId = box.querySelector(".confirm-fix")?.dataset.fix;
  box.hidden = true;
  box.replaceChildren();
  if (refocus && fixId) group.querySelector(`.fixes [data-fix="${fixId}"]`)?.focus();
}

async function applyFix(group, fixId, event) {
  const result = group.querySelector(".fix-result");
  const buttons = group.querySelectorAll(".fixes button");
  buttons.forEach((b) => (b.disabled = true));
  result.className = "fix-result busy";
  result.replaceChildren(el("p", {}, "Working…"));
  result.hidden = false;
  try {
    const done = await runFix(fixId, { event, events: view.events, tab: view.tab });
    result.className = "fix-result done";
    result.replaceChildren(el("p", {}, plain(done.message)));
    if (done.details?.length) result.append(el("ul", {}, ...done.details.map((line) => el("li", {}, plain(line)))));
    if (done.report) {
      result.append(el("textarea", { class: "report", readonly: "", rows: "8", "aria-label": "Report" }, done.report));
    }
    browser.runtime.sendMessage({ type: "refresh-badge", data: {} }).catch(() => {});
  } catch (err) {
    result.className = "fix-result failed";
    result.replaceChildren(el("p", {}, err.message));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// ---- pairing and settings ------------------------------------------------------------------

function wireControls() {
  $("#cause-groups").addEventListener("click", onGroupClick);
  $("#cause-groups").addEventListener("keydown", (key) => {
    const group = key.target.closest(".cause-group");
    if (key.key === "Escape" && group?.querySelector(".fix-confirm:not([hidden])")) {
      key.preventDefault();
      closeConfirm(group, true);
    }
  });
  $("#refresh-button").addEventListener("click", () => load());
  $("#all-events").addEventListener("click", openEventList);
  $("#retry-button").addEventListener("click", () => load());
  $("#show-new-events").addEventListener("click", () => render(view.pending ?? view.events));
  $("#pair-form").addEventListener("submit", pair);
  $("#settings-form").addEventListener("submit", saveSettings);
  $("#forget-token").addEventListener("click", async () => {
    await settings.forgetToken();
    $("#settings-status").textContent = "Token forgotten.";
    await load();
  });
}

async function pair(submit) {
  submit.preventDefault();
  const typed = $("#token-input").value.trim();
  if (!typed) return pairError("Type the pairing code or paste the token first.");
  $("#pair-button").disabled = true;
  try {
    if (api.isPairingCode(typed)) {
      await api.pairWithCode(typed);
    } else {
      if (!(await api.checkToken(typed))) {
        return pairError("The companion did not accept that token. Copy the whole line `companion token` prints.");
      }
      await settings.setToken(typed);
    }
    $("#token-input").value = "";
    pairError("");
    await load();
  } catch (err) {
    if (err instanceof api.ApiError && err.code === "invalid_code") {
      return pairError("That code is wrong, used or expired. `companion pair` prints a new one.");
    }
    await showProblem(err);
  } finally {
    $("#pair-button").disabled = false;
  }
}

// The event list page, signed in through a one-time link (the token never leaves the
// extension), on the tab's site when there is one.
async function openEventList() {
  try {
    const url = await api.eventListLink(view.site);
    await browser.tabs.create({ url });
    window.close();
  } catch (err) {
    await showProblem(err);
  }
}

function pairError(message) {
  $("#pair-error").textContent = message;
  $("#pair-error").hidden = !message;
}

async function saveSettings(submit) {
  submit.preventDefault();
  const port = $("#port-input").value;
  if (!settings.isValidPort(port)) {
    $("#settings-status").textContent = "A port is a number from 1 to 65535.";
    return;
  }
  await settings.setPort(port);
  $("#settings-status").textContent = `Saved: using ${await settings.apiBase()}.`;
  show("loading");
  await load();
}

// ---- small helpers ---------------------------------------------------------------------

/** A DOM element; text children become text nodes, so event data is never parsed as HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Text without the markdown backticks the catalogue uses for code. */
function plain(text) {
  return String(text ?? "").replace(/`([^`]*)`/g, "$1");
}

function ago(iso) {
  const seconds = (new Date(iso).valueOf() - Date.now()) / 1000;
  if (Number.isNaN(seconds)) return "";
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(Math.round(seconds), "second");
}
