// Every key the extension keeps in storage.session, in one place: what must outlive the
// service worker but not the browser session. Nothing else reads or writes storage.session.
import browser from "./browser.js";

const PAGE_START = "page-start:"; // + tabId: when the page now in the tab began to load
const NAV_START = "nav-start:"; // + tabId: when a top-level navigation began, until it commits

const area = () => browser.storage.session;

// ---- page starts: the badge counts the 401s of the page now in the tab ---------------------

export async function noteNavigationStart(tabId, timeStamp) {
  await area().set({ [NAV_START + tabId]: timeStamp });
}

/** The navigation committed: the page in the tab began when its navigation did. */
export async function notePageCommitted(tabId, timeStamp) {
  const { [NAV_START + tabId]: began } = await area().get(NAV_START + tabId);
  await area().set({ [PAGE_START + tabId]: Math.min(began ?? timeStamp, timeStamp) });
  await area().remove(NAV_START + tabId);
}

/** `{tabId: pageStart}` for these tabs (undefined where the page start is not known). */
export async function pageStarts(tabIds) {
  const stored = await area().get(tabIds.map((id) => PAGE_START + id));
  return Object.fromEntries(tabIds.map((id) => [id, stored[PAGE_START + id]]));
}

export async function forgetTab(tabId) {
  await area().remove([PAGE_START + tabId, NAV_START + tabId]);
}

// ---- the live stream's state, for the popup and for tests ------------------------------------

export async function setStreamState(state, err = null, retryInMs = undefined) {
  const stream = { state, since: Date.now() };
  if (err) stream.error = `${err.name}: ${err.message}`;
  if (retryInMs !== undefined) stream.retryInMs = retryInMs;
  await area().set({ stream });
}

export async function noteStreamActivity() {
  await area().set({ streamSeen: Date.now() });
}

export async function countStreamEvent(summary) {
  const { streamEvents = 0 } = await area().get("streamEvents");
  await area().set({ streamEvents: streamEvents + 1, lastStreamEvent: summary.id });
}

// ---- the polling fallback's chain of timers ---------------------------------------------

export async function pollChain() {
  return (await area().get("pollChain")).pollChain;
}

export async function startPollChain(chain) {
  await area().set({ pollChain: chain });
}

export async function lastPoll() {
  return (await area().get("lastPoll")).lastPoll ?? 0;
}

export async function notePoll() {
  await area().set({ lastPoll: Date.now() });
}

export async function stopPollChain() {
  await area().remove(["pollChain", "lastPoll"]);
}
