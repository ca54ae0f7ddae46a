// Pure helpers of the event list page: filters to and from the address bar, times, rows.
// No DOM here, so `node --test` checks them without a browser.

/** The filters the page and the API share, in the order the form shows them. */
export const FILTER_KEYS = ["site", "cause", "status", "since", "until", "q"];

/** Filters (and the page's own view options) read from a query string. */
export function filtersFromQuery(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const key of FILTER_KEYS) {
    const value = (params.get(key) ?? "").trim();
    if (value) filters[key] = value;
  }
  return {
    filters,
    group: params.get("group") === "site",
    event: params.get("event") || null,
  };
}

/** The query string that keeps a view: filters, grouping, the open event. */
export function queryFromView({ filters, group = false, event = null }) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    if (filters[key]) params.set(key, filters[key]);
  }
  if (group) params.set("group", "site");
  if (event) params.set("event", event);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * The API's query for the filters. The form's `datetime-local` values are local times
 * without a zone: they are sent as instants, so the service and the page agree.
 */
export function apiQuery(filters, extra = {}) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    let value = filters[key];
    if (!value) continue;
    if ((key === "since" || key === "until") && !/[zZ]|[+-]\d\d:?\d\d$/.test(value)) {
      const local = new Date(value);
      if (!Number.isNaN(local.valueOf())) value = local.toISOString();
    }
    params.set(key, value);
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  return params.toString();
}

/** Whether any filter is set (then "Delete shown" differs from "Clear all"). */
export function hasFilters(filters) {
  return FILTER_KEYS.some((key) => Boolean(filters[key]));
}

/** "2026-11-23 21:04:05 CET": the local date and time with the zone, never a bare clock time. */
export function localTime(iso, { timeZone } = {}) {
  const date = new Date(iso);
  if (Number.isNaN(date.valueOf())) return "unknown time";
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 min ago", "just now", "in 2 min" (a clock ahead of the server's). */
export function ago(iso, now = Date.now()) {
  const seconds = Math.round((now - new Date(iso).valueOf()) / 1000);
  if (!Number.isFinite(seconds)) return "";
  if (Math.abs(seconds) < 45) return "just now";
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(-Math.round(seconds / size), unit);
  }
  return format.format(-Math.round(seconds / 60), "minute");
}

/** The request as a list shows it: the host, then the path and query. */
export function splitUrl(url) {
  try {
    const parsed = new URL(url);
    return { host: parsed.host, path: `${parsed.pathname}${parsed.search}` };
  } catch {
    return { host: "", path: url };
  }
}

/**
 * Rows of the list: events in the order given (newest first), where the same request
 * (method, URL) failing for the same cause several times in a row is one row with a count.
 */
export function collapseRepeats(events) {
  const rows = [];
  for (const event of events) {
    const last = rows.at(-1);
    if (last && sameRequest(last.event, event)) {
      last.count += 1;
      last.ids.push(event.id);
      last.oldest = event.time;
    } else {
      rows.push({ event, count: 1, ids: [event.id], oldest: event.time });
    }
  }
  return rows;
}

function sameRequest(a, b) {
  return a.method === b.method && a.url === b.url && a.status === b.status && causeOf(a) === causeOf(b);
}

/** An event's cause id, whether it came whole or as a summary. */
export function causeOf(event) {
  return event.diagnosis?.cause ?? event.cause ?? "unknown";
}

/** An event's cause title, whether it came whole or as a summary; the id only as a last resort. */
export function titleOf(event, titles = {}) {
  return event.diagnosis?.title ?? event.title ?? titles[causeOf(event)] ?? causeOf(event);
}

/** Rows grouped by site, the site with the newest event first; each group keeps its order. */
export function groupBySite(rows) {
  const groups = new Map();
  for (const row of rows) {
    const site = row.event.site || row.event.host || "unknown";
    if (!groups.has(site)) groups.set(site, []);
    groups.get(site).push(row);
  }
  return [...groups.entries()].map(([site, siteRows]) => ({
    site,
    rows: siteRows,
    count: siteRows.reduce((n, row) => n + row.count, 0),
  }));
}

/** Whole numbers with thousands separators, bytes as KB/MB. */
export function count(n) {
  return new Intl.NumberFormat("en").format(n ?? 0);
}

export function bytes(n) {
  if (!n) return "0 B";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Text without the markdown backticks the catalogue uses for code. */
export function plain(text) {
  return String(text ?? "").replace(/`([^`]*)`/g, "$1");
}
