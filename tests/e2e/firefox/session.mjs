// A person's day in Firefox, over plain http: the companion is not running yet and the badge
// and popup say so; then signed in to the test site, the session ends on the server, the
// page's API call fails with 401. The badge asks to pair, the popup pairs with
// the pasted token and names the cause, the badge counts the page's 401s live, "Clear
// cookies" removes the site's cookies, and signing in again makes the page work.
//
// Config: see firefox.mjs, plus `site` (the test site's origin) and `token`.
import { main, pair, runFix, textOf, withFirefox } from "./firefox.mjs";

const cookieNames = (cookies, host) => cookies.filter((c) => c.domain.replace(/^\./, "") === host).map((c) => c.name).sort();
const pageStatus = (page, text) =>
  page.waitForFunction((t) => document.getElementById("status")?.textContent === t, { timeout: 20000 }, text);

main((config) =>
  withFirefox(config, async (firefox) => {
    const { site } = config;
    const host = new URL(site).hostname;
    const seen = {};
    // First with nothing on the API port (9, discard): the badge and the popup say so.
    await firefox.storageSet({ apiPort: 9 });
    const page = await firefox.open(`${site}/login`);
    const loginTab = await firefox.tabId(`${site}/login`);
    seen.badgeNotRunning = await firefox.until(async () => {
      const badge = await firefox.badge(loginTab);
      return badge.title.includes("not running") && badge;
    }, "the badge to say the companion is not running");
    const notRunning = await firefox.popup(loginTab);
    seen.notRunning = await textOf(notRunning, "#state-not-running");
    await notRunning.close();
    await firefox.storageSet({ apiPort: config.apiPort });

    seen.cookiesSignedIn = cookieNames(await firefox.cookies(), host);
    seen.sessionValue = await firefox.ext((url) => browser.cookies.get({ url, name: "sid" }).then((c) => c?.value ?? ""), `${site}/`);
    await fetch(`${site}/expire-sessions`, { method: "POST" }); // straight to the site: a deploy ends every session
    await page.goto(`${site}/`, { waitUntil: "load" });
    await pageStatus(page, "error 401");
    const tab = await firefox.tabId(`${site}/`);
    seen.badgeUnpaired = await firefox.badgeBecomes(tab, "?");

    const popup = await firefox.popup(tab);
    seen.notPaired = await textOf(popup, "#state-not-paired");
    await pair(popup, config.token);
    // The newest cause is open: its summary, its evidence (one click opens it), its fixes.
    const open = "section.cause-group:not(.collapsed)";
    await popup.waitForSelector(open, { visible: true, timeout: 20000 });
    await popup.click(`${open} details.evidence summary`);
    seen.cause = await popup.$eval(open, (g) => ({
      cause: g.dataset.cause,
      title: g.querySelector(".cause-title").innerText,
      summary: g.querySelector(".summary").innerText,
      evidence: g.querySelector("details.evidence").innerText,
      fixes: [...g.querySelectorAll(".fixes button")].map((b) => b.dataset.fix),
    }));
    seen.popupText = await popup.$eval("body", (body) => body.innerText);

    // Paired: the badge counts the page's 401, then each new one as it happens.
    seen.badgePaired = await firefox.badgeBecomes(tab, "1");
    seen.fetchAgain = await page.evaluate(() => fetch("/api/me").then((r) => r.status));
    seen.badgeAfterFetch = await firefox.badgeBecomes(tab, "2");

    seen.clearCookies = await runFix(popup, "expired_session", "clear_cookies", { confirm: true });
    seen.cookiesAfterClear = cookieNames(await firefox.cookies(), host);

    await page.goto(`${site}/login`, { waitUntil: "load" });
    await page.goto(`${site}/`, { waitUntil: "load" });
    await pageStatus(page, "signed in");
    seen.signedInAgain = true;
    seen.badgeSignedIn = await firefox.badgeBecomes(await firefox.tabId(`${site}/`), "");
    return seen;
  }),
);
