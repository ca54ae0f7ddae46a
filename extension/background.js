// The service worker: keeps the toolbar badge of each window's active tab at the number of
// 401s its site gave since the page in the tab started loading, and runs fixes on request
// from other extension pages.
//
// Live first: it follows the companion's `/api/stream` and recounts a tab as soon as an event
// for its site arrives. Polling every 5 s is the fallback while the stream is down, and the
// stream is retried with a growing delay (1 s … 30 s). Every listener is registered at the
// top level so that the worker wakes up for it; what must outlive the worker is in
// chrome.storage.session (page starts, the stream's state, the poll chain).
import browser from "./lib/browser.js";
import * as api from "./lib/api.js";
import { runFix } from "./lib/fixes.js";
import { affectsApi, apiBase, getToken } from "./lib/settings.js";
import { isWithinSite, webHostname } from "./lib/site.js";
import * as stream from "./lib/stream.js";

const POLL_MS = 5000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;
const WAKE_ALARM = "poll-wakeup";
const BADGE_COLOR = "#C4302B";
const PAGE_START = "page-start:"; // + tabId: when the page now in the tab began to load
const NAV_START = "nav-start:"; // + tabId: when a top-level navigation began, until it commits

// The open stream lives exactly as long as this worker, so it is the one thing kept in a
// variable rather than in storage: a new worker finds it empty and opens its own.
const live = { session: null };

// Messages are `{type, data}`; each handler resolves to the JSON answer.
const HANDLERS = {
  "refresh-badge": async () => {
    await refreshBadges();
    return { ok: true };
  },
  "run-fix": async ({ fix, event, events, tabId }) => {
    const tab = tabId === undefined ? undefined : await browser.tabs.get(tabId);
    return runFix(fix, { event, events, tab });
  },
  "stream-status": async () => (await browser.storage.session.get("stream")).stream ?? { state: "off" },
};

browser.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const handler = Object.hasOwn(HANDLERS, message?.type) ? HANDLERS[message.type] : null;
  if (!handler) {
    console.warn("401 Companion: unknown message type", message?.type, "from", sender.url);
    return false;
  }
  handler(message.data ?? {}, sender).then(
    (result) => sendResponse({ result }),
    (err) => sendResponse({ error: { name: err.name, message: err.message } }),
  );
  return true; // the answer comes asynchronously
});

browser.runtime.onInstalled.addListener(wakeUp);
browser.runtime.onStartup.addListener(wakeUp);
browser.tabs.onActivated.addListener(() => refreshBadges().then(ensurePolling));
browser.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (tab.active && (change.url || change.status === "complete")) refreshBadges().then(ensurePolling);
});
browser.tabs.onRemoved.addListener((tabId) => browser.storage.session.remove([PAGE_START + tabId, NAV_START + tabId]));
browser.windows.onFocusChanged.addListener(() => refreshBadges());
browser.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && affectsApi(changes)) {
    restartStream();
    refreshBadges();
  }
});
// Alarms cannot fire more often than every 30 s; they revive the stream and the 5 s poll
// chain when the browser stopped the worker and both with it.
browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === WAKE_ALARM) wakeUp();
});

// The badge counts from the start of the page's top-level navigation, so the page's own
// 401 (and those of the calls it makes while loading) count, and a page that loads without
// any 401 shows none: "the site answers normally again".
browser.webNavigation.onBeforeNavigate.addListener(({ tabId, frameId, timeStamp }) => {
  if (frameId === 0) browser.storage.session.set({ [NAV_START + tabId]: timeStamp });
});
browser.webNavigation.onCommitted.addListener(async ({ tabId, frameId, timeStamp }) => {
  if (frameId !== 0) return;
  const { [NAV_START + tabId]: began } = await browser.storage.session.get(NAV_START + tabId);
  await browser.storage.session.set({ [PAGE_START + tabId]: Math.min(began ?? timeStamp, timeStamp) });
  await browser.storage.session.remove(NAV_START + tabId);
  refreshBadges();
});

// The worker starts for any of the events above: follow the stream from then on.
wakeUp();

async function wakeUp() {
  await browser.alarms.create(WAKE_ALARM, { periodInMinutes: 0.5 });
  ensureStream();
  await ensurePolling();
}

// ---- the stream ----------------------------------------------------------------------------

function ensureStream() {
  if (!live.session) followStream();
}

function restartStream() {
  live.session?.controller.abort();
  live.session = null;
  ensureStream();
}

async function followStream() {
  const session = { controller: new AbortController(), open: false, wake: null };
  live.session = session;
  let delay = RETRY_MIN_MS;
  while (live.session === session) {
    let problem = null;
    const token = await getToken();
    if (!token) {
      await setStreamState("not-paired");
      break; // pairing stores a token, and that restarts the stream
    }
    try {
      await setStreamState("connecting");
      await stream.follow({
        base: await apiBase(),
        token,
        signal: session.controller.signal,
        onOpen: async () => {
          session.open = true;
          delay = RETRY_MIN_MS;
          await setStreamState("open");
          await stopPolling();
          await refreshBadges(); // catches up with what came while it was down
        },
        onEvent: onStreamEvent,
        // An extension API call on every chunk, pings included: it also keeps the worker alive.
        onActivity: () => browser.storage.session.set({ streamSeen: Date.now() }),
      });
    } catch (err) {
      problem = err;
    }
    session.open = false;
    if (live.session !== session || session.controller.signal.aborted) break;
    if (problem instanceof api.NotPairedError) {
      await setStreamState("not-paired", problem);
      break;
    }
    session.stuck = Boolean(problem?.stuck);
    const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
    await setStreamState("retrying", problem, wait);
    await startPolling();
    await sleep(wait, session);
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  }
  if (live.session === session) live.session = null;
}

async function onStreamEvent(summary) {
  const { streamEvents = 0 } = await browser.storage.session.get("streamEvents");
  await browser.storage.session.set({ streamEvents: streamEvents + 1, lastStreamEvent: summary.id });
  const tabs = await activeWebTabs();
  const concerned = tabs.filter((tab) => concerns(summary, webHostname(tab.url)));
  if (concerned.length) await refreshBadges();
}

/** Mirrors the API's `site=` filter: the event's host or the page that made the request. */
function concerns(summary, host) {
  return isWithinSite(summary.host, host) || Boolean(summary.initiator_host && isWithinSite(summary.initiator_host, host));
}

async function setStreamState(state, err = null, retryInMs = undefined) {
  const stream = { state, since: Date.now() };
  if (err) stream.error = `${err.name}: ${err.message}`;
  if (retryInMs !== undefined) stream.retryInMs = retryInMs;
  await browser.storage.session.set({ stream });
}

// A retry delay that polling cuts short once the companion answers again.
function sleep(ms, session) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    session.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

// ---- polling, the fallback -------------------------------------------------------------

async function ensurePolling() {
  if (live.session?.open) return;
  const { lastPoll = 0 } = await browser.storage.session.get("lastPoll");
  if (Date.now() - lastPoll > 2 * POLL_MS) await startPolling();
}

async function startPolling() {
  if (live.session?.open) return;
  const chain = crypto.randomUUID();
  await browser.storage.session.set({ pollChain: chain });
  await poll(chain);
}

async function stopPolling() {
  await browser.storage.session.remove(["pollChain", "lastPoll"]);
}

// One chain of timers at a time: a newer chain takes over by writing its id, older ones stop;
// an open stream stops them all.
async function poll(chain) {
  const { pollChain } = await browser.storage.session.get("pollChain");
  if (pollChain !== chain) return;
  if (live.session?.open) return stopPolling();
  await browser.storage.session.set({ lastPoll: Date.now() });
  const watched = await refreshBadges();
  if (live.session && !live.session.open && !live.session.stuck) {
    api.health().then(() => live.session?.wake?.(), () => {}); // the companion is back: retry now
  } else if (!live.session) {
    ensureStream();
  }
  if (watched > 0) setTimeout(() => poll(chain), POLL_MS);
  else await stopPolling(); // a tab event restarts it
}

// ---- the badge ---------------------------------------------------------------------------

async function activeWebTabs() {
  return (await browser.tabs.query({ active: true })).filter((t) => webHostname(t.url));
}

/** Sets the badge of every window's active tab; resolves to how many web tabs it watched. */
async function refreshBadges() {
  const tabs = await activeWebTabs();
  const starts = await browser.storage.session.get(tabs.map((t) => PAGE_START + t.id));
  const byHost = Map.groupBy(tabs, (t) => webHostname(t.url));
  await Promise.all(
    [...byHost].map(async ([host, hostTabs]) => {
      let events = [];
      let problem = null;
      try {
        events = await api.events(host);
      } catch (err) {
        problem = err;
      }
      await Promise.all(hostTabs.map((tab) => setBadge(tab, badgeFor(host, events, problem, starts[PAGE_START + tab.id]))));
    }),
  );
  return tabs.length;
}

async function setBadge(tab, { text, title }) {
  await Promise.all([
    browser.action.setBadgeText({ tabId: tab.id, text }),
    browser.action.setBadgeBackgroundColor({ tabId: tab.id, color: BADGE_COLOR }),
    browser.action.setTitle({ tabId: tab.id, title }),
  ]).catch(() => {}); // the tab closed meanwhile
}

/** The badge for one tab: its site's events since `pageStart` (all recent ones without it). */
function badgeFor(host, events, problem, pageStart) {
  if (problem instanceof api.NotPairedError) return { text: "?", title: "401 Companion: not paired, open to pair" };
  if (problem instanceof api.NotRunningError) return { text: "", title: "401 Companion: the companion is not running" };
  if (problem) return { text: "!", title: `401 Companion: ${problem.message}` };
  const count = pageStart ? events.filter((e) => eventTime(e) >= pageStart).length : events.length;
  const text = count === 0 ? "" : count >= api.EVENTS_LIMIT ? `${api.EVENTS_LIMIT}+` : String(count);
  const title =
    count === 0 ? `401 Companion: no 401s for ${host} on this page`
      : `401 Companion: ${text} refused (401) on this page of ${host}`;
  return { text, title };
}

// The service writes microseconds ("…:00.123456Z"); Date.parse is only sure of milliseconds.
function eventTime(event) {
  return Date.parse(String(event.time).replace(/(\.\d{3})\d+/, "$1"));
}
