// The toolbar badge of each window's active tab: how many 401s its site gave since the page
// in the tab started loading, so a page that loads without any 401 shows none ("the site
// answers normally again"). Other modules call `refreshBadges()` when something changed.
import * as api from "../lib/api.js";
import { badgeFor } from "../lib/badge.js";
import browser from "../lib/browser.js";
import * as session from "../lib/session.js";
import { webHostname } from "../lib/site.js";

const BADGE_COLOR = "#C4302B";

// The page starts at its top-level navigation, so the page's own 401 (and those of the calls
// it makes while loading) count.
browser.webNavigation.onBeforeNavigate.addListener(({ tabId, frameId, timeStamp }) => {
  if (frameId === 0) session.noteNavigationStart(tabId, timeStamp);
});
browser.webNavigation.onCommitted.addListener(async ({ tabId, frameId, timeStamp }) => {
  if (frameId !== 0) return;
  await session.notePageCommitted(tabId, timeStamp);
  refreshBadges();
});
browser.tabs.onRemoved.addListener((tabId) => session.forgetTab(tabId));
browser.windows.onFocusChanged.addListener(() => refreshBadges());

/** The active tab of every window, where it shows a web page. */
export async function activeWebTabs() {
  return (await browser.tabs.query({ active: true })).filter((t) => webHostname(t.url));
}

/** Sets the badge of every window's active tab; resolves to how many web tabs it watched. */
export async function refreshBadges() {
  const tabs = await activeWebTabs();
  const starts = await session.pageStarts(tabs.map((t) => t.id));
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
      await Promise.all(hostTabs.map((tab) => setBadge(tab, badgeFor(host, events, problem, starts[tab.id]))));
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
