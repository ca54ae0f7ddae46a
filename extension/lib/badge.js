// What the toolbar badge says for one tab: pure, so it is tested without a browser.
import { EVENTS_LIMIT, NotPairedError, NotRunningError } from "./api.js";

/**
 * The badge `{text, title}` for a tab showing `host`: the site's events since `pageStart`
 * (every recent one when the page start is not known), or what stops us from knowing.
 */
export function badgeFor(host, events, problem, pageStart) {
  if (problem instanceof NotPairedError) return { text: "?", title: "401 Companion: not paired, open to pair" };
  if (problem instanceof NotRunningError) return { text: "", title: "401 Companion: the companion is not running" };
  if (problem) return { text: "!", title: `401 Companion: ${problem.message}` };
  const count = pageStart ? events.filter((e) => eventTime(e) >= pageStart).length : events.length;
  const text = count === 0 ? "" : count >= EVENTS_LIMIT ? `${EVENTS_LIMIT}+` : String(count);
  const title =
    count === 0 ? `401 Companion: no 401s for ${host} on this page` : `401 Companion: ${text} refused (401) on this page of ${host}`;
  return { text, title };
}

/** An event's time in ms. The service writes microseconds ("…:00.123456Z"); Date.parse is
 * only sure of milliseconds. */
export function eventTime(event) {
  return Date.parse(String(event.time).replace(/(\.\d{3})\d+/, "$1"));
}
