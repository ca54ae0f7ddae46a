// The service worker: keeps the toolbar badge at the number of recent 401s for the site
// of each window's active tab, and runs fixes on request from other extension pages.
// Every listener is registered at the top level so that the worker wakes up for it; what
// must outlive the worker is in chrome.storage (the poll chain id in storage.session).
import browser from "./lib/browser.js";
import * as api from "./lib/api.js";
import { runFix } from "./lib/fixes.js";
import { affectsApi } from "./lib/settings.js";
import { webHostname } from "./lib/site.js";

const POLL_MS = 5000;
const WAKE_ALARM = "poll-wakeup";
const BADGE_COLOR = "#C4302B";

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

browser.runtime.onInstalled.addListener(startPolling);
browser.runtime.onStartup.addListener(startPolling);
browser.tabs.onActivated.addListener(() => refreshBadges().then(ensurePolling));
browser.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (tab.active && (change.url || change.status === "complete")) refreshBadges().then(ensurePolling);
});
browser.windows.onFocusChanged.addListener(() => refreshBadges());
browser.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && affectsApi(changes)) refreshBadges();
});
// Alarms cannot fire more often than every 30 s; they only restart the 5 s chain when the
// worker was stopped and the chain with it.
browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === WAKE_ALARM) ensurePolling();
});

// Starts a chain unless one is alive: it polled lately (a stopped worker's chain did not).
async function ensurePolling() {
  const { lastPoll = 0 } = await browser.storage.session.get("lastPoll");
  if (Date.now() - lastPoll > 2 * POLL_MS) await startPolling();
}

async function startPolling() {
  await browser.alarms.create(WAKE_ALARM, { periodInMinutes: 0.5 });
  const chain = crypto.randomUUID();
  await browser.storage.session.set({ pollChain: chain });
  await poll(chain);
}

// One chain of timers at a time: a newer chain takes over by writing its id, older ones stop.
async function poll(chain) {
  const { pollChain } = await browser.storage.session.get("pollChain");
  if (pollChain !== chain) return;
  await browser.storage.session.set({ lastPoll: Date.now() });
  const watched = await refreshBadges();
  if (watched > 0) setTimeout(() => poll(chain), POLL_MS);
  else await browser.storage.session.remove(["pollChain", "lastPoll"]); // a tab event restarts it
}

/** Sets the badge of every window's active tab; resolves to how many web tabs it watched. */
async function refreshBadges() {
  const tabs = (await browser.tabs.query({ active: true })).filter((t) => webHostname(t.url));
  const bySite = Map.groupBy(tabs, (t) => webHostname(t.url));
  await Promise.all([...bySite].map(([site, siteTabs]) => badgeSite(site, siteTabs)));
  return tabs.length;
}

async function badgeSite(site, tabs) {
  const { text, title } = await badgeFor(site);
  await Promise.all(
    tabs.flatMap((tab) => [
      browser.action.setBadgeText({ tabId: tab.id, text }),
      browser.action.setBadgeBackgroundColor({ tabId: tab.id, color: BADGE_COLOR }),
      browser.action.setTitle({ tabId: tab.id, title }),
    ]),
  ).catch(() => {}); // the tab closed meanwhile
}

async function badgeFor(site) {
  try {
    const events = await api.events(site);
    const count = events.length;
    const text = count === 0 ? "" : count >= api.EVENTS_LIMIT ? `${api.EVENTS_LIMIT}+` : String(count);
    const title = count === 0 ? `401 Companion: no 401s for ${site}` : `401 Companion: ${text} recent 401s for ${site}`;
    return { text, title };
  } catch (err) {
    if (err instanceof api.NotPairedError) return { text: "?", title: "401 Companion: not paired, open to pair" };
    if (err instanceof api.NotRunningError) return { text: "", title: "401 Companion: the companion is not running" };
    return { text: "!", title: `401 Companion: ${err.message}` };
  }
}
