// Every fix of the popup in Firefox, each observed by its effect: the cookies of the site and
// its subdomains (a partitioned one too) gone and another site's kept, the shop's storage
// gone, the page fetched again past the cache, the right tabs and a private window opened,
// the report really on the clipboard (pasted back into a page). What Firefox does not let the
// extension do is read from the popup as the person reads it.
//
// Config: see firefox.mjs, plus `site` (the test site: an expired session on localhost),
// `shop` (http://127.0.0.1:PORT: an expired token, rejected Basic credentials, https required)
// and `token`. Each part runs on its own: one that throws reports `{error}` and the others
// still run.
import { main, openGroup, runFix, withFirefox } from "./firefox.mjs";

const WAIT = { timeout: 20000 };

/** The site's page in a window, and the popup for its tab once it lists the site's causes. */
async function pageAndPopup(firefox, url) {
  const page = await firefox.open(url);
  const tab = await firefox.tabId(page.url());
  const popup = await firefox.popup(tab);
  await popup.waitForSelector("section.cause-group", { visible: true, ...WAIT });
  return { page, tab, popup };
}

async function clearCookies(firefox, { site, shop }) {
  const { popup } = await pageAndPopup(firefox, `${site}/login`);
  // Cookies of localhost itself, two of its subdomains, a partitioned one (an embed of
  // localhost on example.com), and one of another site that must survive.
  await firefox.ext(
    ({ shopOrigin }) =>
      Promise.all([
        browser.cookies.set({ url: "http://localhost/", name: "root", value: "r" }),
        browser.cookies.set({ url: "http://app.localhost/", domain: "app.localhost", name: "app_pref", value: "a" }),
        browser.cookies.set({ url: "http://api.localhost/v1", path: "/v1", name: "api_sess", value: "s" }),
        browser.cookies.set({ url: `${shopOrigin}/`, name: "other_site", value: "o" }),
        browser.cookies.set({
          url: "https://widgets.localhost/", name: "embedded", value: "e", secure: true, sameSite: "no_restriction",
          partitionKey: { topLevelSite: "https://example.com" },
        }),
      ]),
    { shopOrigin: shop },
  );
  const before = await firefox.cookies();
  const group = await openGroup(popup, "expired_session");
  await popup.click(`${group} .fixes button[data-fix="clear_cookies"]`);
  await popup.waitForSelector(`${group} .fix-confirm`, { visible: true, ...WAIT });
  const question = await popup.$eval(`${group} .fix-confirm`, (node) => node.innerText);
  await popup.click(`${group} button.cancel-fix`);
  const afterCancel = await firefox.cookies();
  const result = await runFix(popup, "expired_session", "clear_cookies", { confirm: true });
  return { before, question, afterCancel, result, after: await firefox.cookies() };
}

// What the shop's page holds, as the page itself sees it.
const inventory = () =>
  (async () => ({
    local: localStorage.length,
    idb: (await indexedDB.databases()).map((d) => d.name),
    caches: await caches.keys(),
    workers: (await navigator.serviceWorker.getRegistrations()).length,
    cookies: document.cookie,
  }))();

async function clearSiteData(firefox, { shop }) {
  const { page, popup } = await pageAndPopup(firefox, `${shop}/?for=clear_site_data`);
  await page.evaluate(async () => {
    localStorage.setItem("cart", "3 items");
    await new Promise((ok, fail) => {
      const open = indexedDB.open("shopdb", 1);
      open.onupgradeneeded = () => open.result.createObjectStore("orders");
      open.onsuccess = () => {
        const tx = open.result.transaction("orders", "readwrite");
        tx.objectStore("orders").put("order-1", 1);
        tx.oncomplete = () => {
          open.result.close();
          ok();
        };
      };
      open.onerror = fail;
    });
    await (await caches.open("shop-v1")).put("/offline", new Response("offline page"));
    await navigator.serviceWorker.register("/sw.js");
    await navigator.serviceWorker.ready;
    document.cookie = "cart_id=42; path=/";
  });
  const before = await page.evaluate(inventory);
  const servedBefore = await page.evaluate(() => window.served);
  const limit = await fixLimit(firefox, "clear_site_data");
  const result = await runFix(popup, "expired_token", "clear_site_data", { confirm: true });
  // A normal visit: the cacheable script comes from the server again only if the cache went.
  await page.goto(`${shop}/?for=clear_site_data`, { waitUntil: "load" });
  const after = await page.evaluate(inventory);
  const servedAfter = await page.evaluate(() => window.served);
  return { limit, before, result, after, scriptFetchedAgain: servedAfter > servedBefore };
}

async function reload(firefox, { shop }) {
  const { page, popup } = await pageAndPopup(firefox, `${shop}/?for=reload`);
  const served = await page.evaluate(() => window.served);
  await page.goto(`${shop}/?for=reload`, { waitUntil: "load" }); // a normal visit: the script from the cache
  const servedOnVisit = await page.evaluate(() => window.served);
  const result = await runFix(popup, "expired_token", "reload");
  // The page's script says which copy the server sent; read until the reloaded page runs it.
  const servedAfterFix = await firefox.until(
    () => page.evaluate(() => window.served).then((n) => n > served && n, () => false),
    "the reloaded page",
  );
  return { served, servedOnVisit, result, servedAfterFix };
}

async function openTabs(firefox, { shop }) {
  const seen = {};
  for (const [fix, cause, start] of [
    ["open_login", "expired_token", `${shop}/?for=open_login`],
    ["open_https", "insecure_transport", `${shop}/insecure`],
  ]) {
    const { page, tab, popup } = await pageAndPopup(firefox, start);
    const result = await runFix(popup, cause, fix);
    const opened = await firefox.until(
      async () => (await firefox.tabs()).filter((t) => t.openerTabId === tab && t.id !== tab),
      `a tab opened by ${fix}`,
    );
    seen[fix] = { result, opened, pageStays: page.url() };
  }
  return seen;
}

// What the extension's lib/fixes.js says the browser will not let a fix do, before the click.
const fixLimit = (firefox, fixId) =>
  firefox.ext((id) => import(browser.runtime.getURL("lib/fixes.js")).then((m) => m.fixLimit(id, { site: "127.0.0.1" })), fixId);

async function privateWindow(firefox, { shop }) {
  const { popup } = await pageAndPopup(firefox, `${shop}/?for=open_private_window`);
  const limitBefore = await fixLimit(firefox, "open_private_window");
  const refused = await runFix(popup, "invalid_credentials", "open_private_window");
  // The person follows the popup's words: about:addons → 401 Companion → "Run in Private
  // Windows" → Allow (which reloads the extension), then asks again.
  await firefox.allowInPrivateWindows();
  const limitAllowed = await fixLimit(firefox, "open_private_window");
  const again = await pageAndPopup(firefox, `${shop}/?for=open_private_window&allowed`);
  const allowed = await runFix(again.popup, "invalid_credentials", "open_private_window");
  const privateTabs = await firefox.until(
    async () => (await firefox.tabs()).filter((t) => t.incognito),
    "a private window",
  );
  return { limitBefore, refused, limitAllowed, allowed, privateTabs };
}

async function copyReport(firefox, { shop }) {
  const { page, popup } = await pageAndPopup(firefox, `${shop}/?for=copy_report`);
  const reports = {};
  for (const cause of ["expired_token", "invalid_credentials"]) {
    const result = await runFix(popup, cause, "copy_report");
    // Pasted back with Ctrl+V into a text box of the shop's page: what the clipboard holds.
    await page.bringToFront();
    await page.evaluate(() => {
      const box = document.querySelector("#paste") ?? document.body.appendChild(Object.assign(document.createElement("textarea"), { id: "paste" }));
      box.value = "";
      box.focus();
    });
    await page.keyboard.down("Control");
    await page.keyboard.press("v");
    await page.keyboard.up("Control");
    const pasted = await page.$eval("#paste", (box) => box.value);
    reports[cause] = { result, pasted };
  }
  return reports;
}

// The steps for the person: a button when they are the only fix, else a "What to do" list to
// open under the buttons.
async function manual(firefox, { shop }) {
  const { popup } = await pageAndPopup(firefox, `${shop}/?for=manual`);
  const group = await openGroup(popup, "expired_token");
  if (await popup.$(`${group} .fixes button[data-fix="manual"]`)) {
    const result = await runFix(popup, "expired_token", "manual");
    return { result, steps: await popup.$$eval(`${group} .fix-result li`, (items) => items.map((li) => li.innerText)) };
  }
  await popup.click(`${group} details.manual-steps summary`);
  await popup.waitForSelector(`${group} details.manual-steps li`, { visible: true, ...WAIT });
  return { steps: await popup.$$eval(`${group} details.manual-steps li`, (items) => items.map((li) => li.innerText)) };
}

main((config) =>
  withFirefox(config, async (firefox) => {
    await firefox.storageSet({ apiPort: config.apiPort, apiToken: config.token });
    const seen = {};
    const parts = { clearCookies, clearSiteData, reload, openTabs, privateWindow, copyReport, manual };
    for (const [name, part] of Object.entries(parts)) {
      try {
        seen[name] = await part(firefox, config);
      } catch (err) {
        seen[name] = { error: String(err.stack ?? err) };
      }
    }
    return seen;
  }),
);
