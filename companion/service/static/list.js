// The event list page: every stored 401, filtered, live, with a detail view, delete and
// export. Text from servers is only ever set as text (textContent), never as markup.

import {
  FILTER_KEYS,
  ago,
  apiQuery,
  bytes,
  collapseRepeats,
  count,
  filtersFromQuery,
  groupBySite,
  hasFilters,
  localTime,
  plain,
  queryFromView,
  splitUrl,
  titleOf,
} from "./format.js";

const PAGE_SIZE = 100;
const $ = (selector) => document.querySelector(selector);

const fromAddress = filtersFromQuery(location.search);
const state = {
  filters: fromAddress.filters,
  group: fromAddress.group,
  selected: fromAddress.event, // an event opened from a bookmarked or reloaded address
  events: [],
  next: null,
  causes: new Map(),
};

// ---- the API, signed in by the session cookie --------------------------------------------

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  if (response.status === 401) {
    location.assign("/"); // signed out (the companion restarted): the sign-in page says how
    throw new Error("signed out");
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).error?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
  return response;
}

const getJson = async (path) => (await api(path)).json();

// ---- elements ----------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function toast(text) {
  const node = $("#toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    node.hidden = true;
  }, 4000);
}

function confirmAction(text, okLabel = "Delete") {
  const dialog = $("#confirm");
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// ---- the address bar keeps the view ------------------------------------------------------

function keepView() {
  const query = queryFromView({ filters: state.filters, group: state.group, event: state.selected });
  history.replaceState(null, "", `/${query}`);
  const filters = apiQuery(state.filters);
  $("#export-har").href = `/api/events.har${filters ? `?${filters}` : ""}`;
}

function fillForm() {
  const form = $("#filters");
  for (const key of FILTER_KEYS) form.elements[key].value = state.filters[key] ?? "";
  form.elements.group.checked = state.group;
}

function readForm() {
  const form = $("#filters");
  const filters = {};
  for (const key of FILTER_KEYS) {
    const value = form.elements[key].value.trim();
    if (value) filters[key] = value;
  }
  state.filters = filters;
  state.group = form.elements.group.checked;
}

// ---- the summary strip -------------------------------------------------------------------

async function loadSummary() {
  const stats = await getJson("/api/stats");
  const strip = $("#summary");
  const topCauses = Object.entries(stats.by_cause ?? {}).slice(0, 4);
  const topSites = Object.entries(stats.by_site ?? {}).slice(0, 4);
  const today = stats.today ?? stats.last_24h;
  strip.replaceChildren(
    el("div", { class: "figure" }, el("strong", { text: count(stats.events) }), " events stored"),
    today === undefined || today === null
      ? null
      : el("div", { class: "figure" }, el("strong", { text: count(today) }), stats.today === undefined || stats.today === null ? " in 24 h" : " today"),
    el(
      "div",
      { class: "figure tally" },
      "By cause: ",
      topCauses.length ? topCauses.map(([cause, n]) => chip("cause", cause, `${causeTitle(cause)} ${count(n)}`)) : "none yet",
    ),
    el(
      "div",
      { class: "figure tally" },
      "By site: ",
      topSites.length ? topSites.map(([site, n]) => chip("site", site, `${site} ${count(n)}`)) : "none yet",
    ),
    el(
      "div",
      { class: "figure muted" },
      `Keeps ${count(stats.store?.keep)} events`,
      stats.store?.keep_days ? `, ${stats.store.keep_days} days` : "",
      ` · ${bytes(stats.store?.bytes)}`,
    ),
  );
  const sites = $("#sites");
  sites.replaceChildren(...Object.keys(stats.by_site ?? {}).map((site) => el("option", { value: site })));
  const losses = stats.losses ?? {};
  const lost = (losses.refused_by_service ?? 0) + (losses.dropped_by_addon ?? 0);
  const banner = $("#losses");
  banner.hidden = lost === 0;
  if (lost) {
    const why = Object.entries(losses.refused_why ?? {})
      .map(([reason, n]) => `${reason} (${count(n)})`)
      .join(", ");
    banner.textContent =
      `${count(lost)} captured 401s never became events: ${count(losses.dropped_by_addon ?? 0)} dropped by the proxy's addon, ` +
      `${count(losses.refused_by_service ?? 0)} refused by the service${why ? `: ${why}` : ""}.`;
  }
}

function chip(key, value, label) {
  const button = el("button", { type: "button", class: "chip", title: `Show only ${label}` }, label);
  button.addEventListener("click", () => {
    state.filters = { ...state.filters, [key]: value };
    fillForm();
    reload();
  });
  return button;
}

function causeTitle(id) {
  return state.causes.get(id)?.title ?? id;
}

// ---- the list ----------------------------------------------------------------------------

async function loadEvents({ older = false } = {}) {
  const extra = { limit: PAGE_SIZE, fields: "summary", before: older ? state.next : null };
  const answer = await getJson(`/api/events?${apiQuery(state.filters, extra)}`);
  state.events = older ? [...state.events, ...answer.events] : answer.events;
  state.next = answer.next ?? null;
  render();
}

function render() {
  const body = $("#events tbody");
  const rows = collapseRepeats(state.events);
  const items = [];
  if (state.group) {
    for (const group of groupBySite(rows)) {
      items.push(
        el("tr", { class: "group" }, el("th", { colspan: 4, scope: "rowgroup" }, `${group.site} `, el("span", { class: "muted", text: `${count(group.count)} events` }))),
      );
      items.push(...group.rows.map(rowOf));
    }
  } else {
    items.push(...rows.map(rowOf));
  }
  body.replaceChildren(...items);
  const empty = $("#empty");
  empty.hidden = state.events.length > 0;
  empty.textContent = hasFilters(state.filters)
    ? "No event matches these filters."
    : "No 401s recorded yet. Browse with the proxy on; each 401 appears here as it happens.";
  $("#older").hidden = !state.next;
  $("#shown").textContent = state.events.length
    ? `${count(state.events.length)} events shown${state.next ? " (more below)" : ""}`
    : "";
  $("#delete-shown").hidden = !hasFilters(state.filters);
}

function rowOf({ event, count: repeats }) {
  const { host, path } = splitUrl(event.url);
  const row = el(
    "tr",
    {
      tabindex: 0,
      "data-id": event.id,
      class: [event.id === state.selected ? "selected" : "", event.fresh ? "fresh" : ""].join(" ").trim() || null,
      "aria-selected": event.id === state.selected ? "true" : "false",
    },
    el(
      "td",
      { class: "time" },
      el("time", { datetime: event.time, text: localTime(event.time) }),
      el("span", { class: "ago", "data-time": event.time, text: ago(event.time) }),
    ),
    el(
      "td",
      { class: "request" },
      el("span", { class: `status s${event.status}`, text: event.status }),
      el("span", { class: "method", text: event.method }),
      el("span", { class: "host", text: host }),
      el("span", { class: "path", text: path, title: event.url }),
      repeats > 1 ? el("span", { class: "repeats", title: `The same request failed ${repeats} times in a row`, text: `×${repeats}` }) : null,
    ),
    el("td", { class: "cause", text: plain(titleOf(event, titlesByCause())) }),
    el("td", { class: "site", text: event.site || event.host }),
  );
  row.addEventListener("click", () => openDetail(event.id));
  return row;
}

let titleCache = null;
function titlesByCause() {
  titleCache ??= Object.fromEntries([...state.causes.values()].map((c) => [c.id, c.title]));
  return titleCache;
}

async function reload() {
  keepView();
  try {
    await loadEvents();
  } catch (error) {
    toast(`Could not load the events: ${error.message}`);
  }
}

// ---- the detail view ---------------------------------------------------------------------

async function openDetail(id, { focus = true } = {}) {
  state.selected = id;
  keepView();
  for (const row of document.querySelectorAll("#events tbody tr[data-id]")) {
    const on = row.dataset.id === id;
    row.classList.toggle("selected", on);
    row.setAttribute("aria-selected", on ? "true" : "false");
  }
  const pane = $("#detail");
  let event;
  try {
    event = await getJson(`/api/events/${encodeURIComponent(id)}`);
  } catch (error) {
    pane.replaceChildren(el("p", { class: "empty", text: `This event is gone (${error.message}).` }));
    pane.hidden = false;
    return;
  }
  pane.replaceChildren(...detailOf(event));
  pane.hidden = false;
  document.body.classList.add("with-detail");
  if (focus) pane.focus({ preventScroll: true });
}

function closeDetail() {
  const previous = state.selected;
  state.selected = null;
  keepView();
  $("#detail").hidden = true;
  document.body.classList.remove("with-detail");
  const row = previous && document.querySelector(`#events tbody tr[data-id="${CSS.escape(previous)}"]`);
  row?.classList.remove("selected");
  row?.focus();
}

function detailOf(event) {
  const d = event.diagnosis;
  const cause = state.causes.get(d.cause);
  const exchange = event.exchange;
  const close = el("button", { type: "button", class: "close", title: "Close (Esc)", "aria-label": "Close" }, "×");
  close.addEventListener("click", closeDetail);
  const copy = el("button", { type: "button" }, "Copy report");
  copy.addEventListener("click", () => copyReport(event.id));
  const remove = el("button", { type: "button", class: "danger" }, "Delete event");
  remove.addEventListener("click", () => deleteOne(event.id).catch((e) => toast(`Could not delete: ${e.message}`)));
  const parts = [
    el("div", { class: "detail-head" }, el("h2", { text: plain(d.title) }), close),
    el(
      "p",
      { class: "meta" },
      el("span", { class: `status s${event.status}`, text: event.status }),
      ` ${event.method} `,
      el("span", { class: "url", text: event.url }),
    ),
    el(
      "p",
      { class: "meta muted" },
      `${localTime(event.time)} (${ago(event.time)}) · cause `,
      el("code", { text: d.cause }),
      ` · confidence ${Math.round(d.confidence * 100)} %`,
      event.initiator ? ` · requested by ${event.initiator}` : "",
    ),
    el("p", { class: "summary-text", text: plain(d.summary) }),
  ];
  if (d.evidence?.length) {
    parts.push(
      el("h3", { text: "Evidence" }),
      el(
        "ul",
        { class: "evidence" },
        d.evidence.map((e) => el("li", {}, el("span", { text: plain(e.fact) }), el("span", { class: "source", title: "Where this fact came from", text: e.source }))),
      ),
    );
  }
  if (d.also?.length) {
    parts.push(el("h3", { text: "Also holds" }), el("ul", {}, d.also.map((id) => el("li", { text: plain(causeTitle(id)) }))));
  }
  const manual = d.fixes.filter((f) => f.id === "manual").flatMap((f) => f.steps);
  const oneClick = d.fixes.filter((f) => f.id !== "manual");
  if (oneClick.length || manual.length) {
    parts.push(el("h3", { text: "How to fix it" }));
    if (oneClick.length) {
      parts.push(
        el(
          "p",
          { class: "muted" },
          "One click in the extension's popup, on the site's tab: ",
          oneClick.map((f, i) => [i ? ", " : "", el("strong", { text: plain(f.title) })]),
          ".",
        ),
      );
    }
    if (manual.length) parts.push(el("ol", { class: "steps" }, manual.map((step) => el("li", { text: plain(step) }))));
  }
  const notes = d.developer_notes?.length ? d.developer_notes : (cause?.developer_notes ?? []);
  if (notes.length) {
    parts.push(el("h3", { text: "For the site's developers" }), el("ul", { class: "notes" }, notes.map((n) => el("li", { text: plain(n) }))));
  }
  if (exchange) {
    parts.push(
      el("h3", { text: "The exchange (redacted)" }),
      el(
        "div",
        { class: "headers" },
        headerTable(`Request · ${exchange.method} ${exchange.path} ${exchange.http_version}`, exchange.request.headers),
        headerTable(`Response · ${exchange.status} ${exchange.reason}`, exchange.response.headers),
      ),
    );
    if (exchange.truncated?.length) {
      parts.push(el("p", { class: "muted", text: `Trimmed to keep it bounded: ${exchange.truncated.join("; ")}` }));
    }
  }
  parts.push(
    el(
      "div",
      { class: "detail-actions" },
      copy,
      el("a", { class: "button", href: `/api/events/${encodeURIComponent(event.id)}/report`, download: "" }, "Download report"),
      remove,
    ),
  );
  return parts;
}

function headerTable(caption, headers) {
  return el(
    "table",
    { class: "header-table" },
    el("caption", { text: caption }),
    el(
      "tbody",
      {},
      headers.length
        ? headers.map(([name, value]) => el("tr", {}, el("th", { scope: "row", text: name }), el("td", { text: value })))
        : el("tr", {}, el("td", { colspan: 2, class: "muted", text: "none" })),
    ),
  );
}

async function copyReport(id) {
  try {
    const text = await (await api(`/api/events/${encodeURIComponent(id)}/report`)).text();
    await navigator.clipboard.writeText(text);
    toast("Report copied: no passwords, tokens or cookie values are in it.");
  } catch (error) {
    toast(`Could not copy the report: ${error.message}`);
  }
}

// ---- delete and export -------------------------------------------------------------------

async function deleteOne(id) {
  if (!(await confirmAction("Delete this event?"))) return;
  await api(`/api/events/${encodeURIComponent(id)}`, { method: "DELETE" });
  state.events = state.events.filter((e) => e.id !== id);
  closeDetail();
  render();
  loadSummary().catch(() => {});
  toast("Event deleted.");
}

async function deleteShown() {
  if (!(await confirmAction("Delete every event that matches these filters, including those not loaded yet?"))) return;
  const { deleted } = await (await api(`/api/events?${apiQuery(state.filters)}`, { method: "DELETE" })).json();
  toast(`${count(deleted)} events deleted.`);
  await Promise.all([reload(), loadSummary()]);
}

async function clearAll() {
  if (!(await confirmAction("Delete all stored events? This cannot be undone.", "Clear all"))) return;
  const { deleted } = await (await api("/api/events", { method: "DELETE" })).json();
  if (state.selected) closeDetail();
  toast(`${count(deleted)} events deleted.`);
  await Promise.all([reload(), loadSummary()]);
}

async function exportJson() {
  const events = [];
  let before = null;
  do {
    const answer = await getJson(`/api/events?${apiQuery(state.filters, { limit: 500, before })}`);
    events.push(...answer.events);
    before = answer.next ?? null;
  } while (before);
  const blob = new Blob([JSON.stringify({ events }, null, 2)], { type: "application/json" });
  const link = el("a", { href: URL.createObjectURL(blob), download: `401-companion-${new Date().toISOString().slice(0, 10)}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  toast(`${count(events.length)} events exported as JSON.`);
}

// ---- live --------------------------------------------------------------------------------

function listen() {
  const live = $("#live");
  const source = new EventSource("/api/stream");
  source.addEventListener("open", () => {
    live.textContent = "live";
    live.classList.add("on");
  });
  source.addEventListener("error", () => {
    live.textContent = "reconnecting…";
    live.classList.remove("on");
  });
  let pending = null;
  source.addEventListener("event", () => {
    clearTimeout(pending);
    pending = setTimeout(() => refreshNewest().catch((error) => toast(`Could not load the new events: ${error.message}`)), 250);
  });
}

/** New events arrived: fetch the newest page again (the filters decide what belongs) and
 * mark the rows that were not there before. */
async function refreshNewest() {
  const known = new Set(state.events.map((e) => e.id));
  const answer = await getJson(`/api/events?${apiQuery(state.filters, { limit: PAGE_SIZE, fields: "summary" })}`);
  const fresh = answer.events.filter((e) => !known.has(e.id));
  if (fresh.length === 0) return;
  for (const event of fresh) event.fresh = true;
  const oldestFresh = answer.events.at(-1);
  const kept = state.events.filter((e) => !answer.events.some((a) => a.id === e.id) && (!oldestFresh || e.time <= oldestFresh.time));
  state.events = [...answer.events, ...kept];
  if (!state.next) state.next = answer.next ?? null;
  render();
  loadSummary().catch(() => {});
}

// ---- keyboard ----------------------------------------------------------------------------

function onKey(event) {
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement;
  if (event.key === "/" && !typing) {
    event.preventDefault();
    $("#filters").elements.q.focus();
    return;
  }
  if (event.key === "Escape" && state.selected && !$("#confirm").open) {
    closeDetail();
    return;
  }
  if (typing) return;
  const row = target.closest?.("#events tbody tr[data-id]");
  if (!row) return;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    openDetail(row.dataset.id, { focus: false });
  } else if (event.key === "ArrowDown" || event.key === "j") {
    event.preventDefault();
    nextRow(row, 1)?.focus();
  } else if (event.key === "ArrowUp" || event.key === "k") {
    event.preventDefault();
    nextRow(row, -1)?.focus();
  } else if (event.key === "Delete") {
    deleteOne(row.dataset.id).catch((e) => toast(`Could not delete: ${e.message}`));
  }
}

function nextRow(row, step) {
  const rows = [...document.querySelectorAll("#events tbody tr[data-id]")];
  return rows[rows.indexOf(row) + step];
}

// ---- start -------------------------------------------------------------------------------

async function start() {
  const { causes } = await getJson("/api/causes");
  state.causes = new Map(causes.map((c) => [c.id, c]));
  const select = $("#filters").elements.cause;
  select.append(...causes.map((c) => el("option", { value: c.id, text: plain(c.title) })));
  fillForm();
  const form = $("#filters");
  let typing = null;
  form.addEventListener("input", (event) => {
    clearTimeout(typing);
    const delay = event.target.type === "search" ? 300 : 0;
    typing = setTimeout(() => {
      readForm();
      reload();
    }, delay);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    readForm();
    reload();
  });
  form.addEventListener("reset", () => {
    setTimeout(() => {
      readForm();
      reload();
    });
  });
  $("#older").addEventListener("click", () => loadEvents({ older: true }).catch((e) => toast(e.message)));
  $("#delete-shown").addEventListener("click", () => deleteShown().catch((e) => toast(e.message)));
  $("#clear-all").addEventListener("click", () => clearAll().catch((e) => toast(e.message)));
  $("#export-json").addEventListener("click", () => exportJson().catch((e) => toast(e.message)));
  document.addEventListener("keydown", onKey);
  setInterval(() => {
    for (const node of document.querySelectorAll(".ago[data-time]")) node.textContent = ago(node.dataset.time);
  }, 30_000);
  await Promise.all([reload(), loadSummary()]);
  if (state.selected) openDetail(state.selected, { focus: false });
  listen();
  document.body.dataset.ready = "true";
}

start().catch((error) => toast(`The page could not start: ${error.message}`));
