// The one-click fixes, by the fix ids of DESIGN.md. Each takes `{event, events, tab}` —
// the event the fix is for, the other events of the site (their URLs widen what
// clear_site_data clears), and the tab the person is looking at — and resolves to
// `{message, details?, report?, removed?}`: what it did, in words a person reads in the popup.
// A fix that cannot act throws a `FixError` whose message says what to do instead.
import browser from "./browser.js";
import { removeSiteCookies } from "./cookies.js";
import { buildReport } from "./report.js";
import { httpsUrl, pageUrl, siteOrigins, storageHosts } from "./site.js";

export class FixError extends Error {
  constructor(message) {
    super(message);
    this.name = "FixError";
  }
}

/** Fixes that destroy something the person may want: the popup asks once before these. */
export const DESTRUCTIVE_FIXES = new Set(["clear_cookies", "clear_site_data"]);

// Browsing data `clear_site_data` removes per origin; cookies go through removeSiteCookies,
// which also reaches partitioned cookies and every subdomain.
const SITE_DATA_TYPES = {
  cache: true,
  cacheStorage: true,
  fileSystems: true,
  indexedDB: true,
  localStorage: true,
  serviceWorkers: true,
};

// Firefox alone has getBrowserInfo. Its browsingData filters by host, not by origin, and each
// kind of data reads the host its own way: localStorage and IndexedDB as host:port, service
// workers as the hostname (with its subdomains). It cannot remove one site's HTTP cache (asked
// by host, Firefox 153 keeps the site's cached files) nor its Cache Storage (no such type).
const IS_FIREFOX = typeof browser.runtime.getBrowserInfo === "function";
const FIREFOX_SITE_DATA_TYPES = { indexedDB: true, localStorage: true, serviceWorkers: true };

/** What `clear_site_data` cannot do in this browser, in words for the person; "" when nothing. */
function siteDataLimit(site) {
  if (!IS_FIREFOX) return "";
  return (
    `Firefox does not let an extension clear one site's cache or Cache Storage. To remove them too: ` +
    `Settings → Privacy & Security → Cookies and Site Data → Manage Data…, select ${site}, Remove Selected.`
  );
}

// Resolves to what it cleared, in words.
async function removeSiteData(origins) {
  if (!IS_FIREFOX) {
    await browser.browsingData.remove({ origins }, SITE_DATA_TYPES);
    return "cache, storage and service workers";
  }
  await browser.browsingData.remove({ hostnames: storageHosts(origins) }, FIREFOX_SITE_DATA_TYPES);
  return "localStorage, IndexedDB and service workers";
}

const FIXES = {
  async clear_cookies({ event, tab }) {
    const removal = await removeSiteCookies(event.site, { storeIds: await tabStoreIds(tab) });
    return { message: cookieSentence(removal, event.site), removed: removal };
  },

  async clear_site_data({ event, events = [], tab }) {
    const urls = [tab?.url, event.url, event.initiator, ...events.flatMap((e) => [e.url, e.initiator])];
    const origins = siteOrigins(event.site, urls.filter(Boolean));
    const cleared = await removeSiteData(origins);
    const removal = await removeSiteCookies(event.site, { storeIds: await tabStoreIds(tab) });
    const limit = siteDataLimit(event.site);
    return {
      removed: removal,
      message:
        `${cookieSentence(removal, event.site)} ` +
        `Cleared ${cleared} for ${plural(origins.length, "origin")}.${limit ? ` ${limit}` : ""}`,
      details: origins,
    };
  },

  async reload({ tab }) {
    requireTab(tab);
    await browser.tabs.reload(tab.id, { bypassCache: true });
    return { message: `Reloaded ${tab.title || tab.url} without the cache.` };
  },

  async open_https({ event, tab }) {
    // Beside the failing page, not instead of it: if the site has no https, nothing is lost.
    const from = pageUrl(event, tab?.url);
    const url = httpsUrl(from);
    if (!url) throw new FixError(`Cannot make an https address from ${from}.`);
    await openBeside(tab, url);
    return { message: `Opened ${url} in a new tab.` };
  },

  async open_login({ event, tab }) {
    const url = `${new URL(pageUrl(event, tab?.url)).origin}/`;
    await openBeside(tab, url);
    return { message: `Opened ${url} in a new tab: sign in there, then retry.` };
  },

  async open_private_window({ event, tab }) {
    const url = pageUrl(event, tab?.url);
    try {
      await browser.windows.create({ url, incognito: true });
    } catch (err) {
      throw new FixError(`The browser did not open a private window (${err.message}). To let it: ${allowPrivateSteps()} and go to ${url}`);
    }
    return { message: `Opened ${url} in a private window, without this profile's cookies.` };
  },

  async copy_report({ event }) {
    const report = buildReport(event, { version: browser.runtime.getManifest().version });
    if (!globalThis.navigator?.clipboard) {
      throw new FixError("Copying works from the popup only.");
    }
    try {
      await navigator.clipboard.writeText(report);
    } catch {
      return { message: "The browser did not allow copying: select the report below and copy it.", report };
    }
    return { message: "Copied a report without secrets to the clipboard.", report };
  },

  async manual({ event }) {
    const fix = event.diagnosis?.fixes?.find((f) => f.id === "manual");
    const steps = fix?.steps?.length ? fix.steps : ["No steps were given for this cause."];
    return { message: "What to do:", details: steps };
  },
};

/** Runs fix `fixId` for `context.event`; see the top of this file. */
export async function runFix(fixId, context) {
  const fix = Object.hasOwn(FIXES, fixId) ? FIXES[fixId] : null;
  if (!fix) throw new FixError(`This version of the extension does not know the fix "${fixId}".`);
  return fix(context);
}

/** The question asked before a destructive fix. */
export function confirmQuestion(fixId, event) {
  if (fixId === "clear_cookies") {
    return `Remove every cookie of ${event.site} and its subdomains? You will be signed out there.`;
  }
  if (fixId === "clear_site_data") {
    const what = IS_FIREFOX ? "cookies, storage and service workers" : "cookies, cache, storage and service workers";
    return `Remove ${what} of ${event.site}? You will be signed out there.`;
  }
  return "";
}

/**
 * What this browser will not let fix `fixId` do for `event`, in words for the person (shown
 * before the click, beside the button); "" when the fix can do all it says. The fix's result
 * says it again when it runs.
 */
export async function fixLimit(fixId, event) {
  if (fixId === "clear_site_data") return siteDataLimit(event.site);
  if (fixId === "open_private_window" && !(await browser.extension.isAllowedIncognitoAccess())) {
    return `The browser does not let this extension open private windows yet: ${allowPrivateSteps()}.`;
  }
  return "";
}

function cookieSentence({ count, names, partitioned, failed }, site) {
  const among = partitioned ? ` (${partitioned} of them partitioned)` : "";
  let sentence =
    count === 0
      ? `No cookies of ${site} to remove.`
      : `Removed ${plural(count, "cookie")} for ${site}: ${names.join(", ")}${among}.`;
  if (failed.length) sentence += ` Could not remove: ${failed.join(", ")}.`;
  return sentence;
}

function allowPrivateSteps() {
  return IS_FIREFOX
    ? `open about:addons, click 401 Companion and set "Run in Private Windows" to Allow. ` +
        `Or open one yourself (Ctrl+Shift+P, on a Mac ⌘+Shift+P)`
    : `open chrome://extensions, click "Details" under 401 Companion and turn on ` +
        `"Allow in Incognito". Or open one yourself (Ctrl+Shift+N, on a Mac ⌘+Shift+N)`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// The cookie store of the tab, so that clearing from a normal window leaves a private
// window's cookies alone; every store when we do not know the tab.
async function tabStoreIds(tab) {
  if (tab?.cookieStoreId) return [tab.cookieStoreId]; // Firefox names it on the tab
  const stores = await browser.cookies.getAllCookieStores();
  const own = tab ? stores.find((s) => s.tabIds.includes(tab.id)) : null;
  return own ? [own.id] : stores.map((s) => s.id);
}

function requireTab(tab) {
  if (!tab?.id && tab?.id !== 0) throw new FixError("There is no tab to act on.");
}

async function openBeside(tab, url) {
  const where = tab ? { index: tab.index + 1, openerTabId: tab.id, windowId: tab.windowId } : {};
  await browser.tabs.create({ url, ...where });
}
