// Firefox on an https site through the proxy: the companion's CA trusted in the test profile
// only, the page loads without a certificate error, its failing API call reaches the badge
// and the popup names the cause.
//
// Config: see firefox.mjs, plus `site` (the https test site's origin) and `token`.
import { main, withFirefox } from "./firefox.mjs";

main((config) =>
  withFirefox(config, async (firefox) => {
    const seen = {};
    await firefox.storageSet({ apiPort: config.apiPort, apiToken: config.token });
    const page = await firefox.browser.newPage({ type: "window" });
    const response = await page.goto(`${config.site}/?call=/bearer`, { waitUntil: "load" });
    // A certificate error would show Firefox's error page instead of the site's.
    seen.navigation = { status: response?.status() ?? null, url: page.url(), title: await page.title() };
    await page.waitForFunction(() => document.getElementById("status")?.textContent.startsWith("error"), { timeout: 20000 });
    seen.pageStatus = await page.$eval("#status", (node) => node.textContent);

    const tab = await firefox.tabId(page.url());
    seen.badge = await firefox.badgeBecomes(tab, "1");
    const popup = await firefox.popup(tab);
    await popup.waitForSelector("section.cause-group", { visible: true, timeout: 20000 });
    seen.causes = await popup.$$eval("section.cause-group", (groups) =>
      groups.map((g) => ({ cause: g.dataset.cause, title: g.querySelector(".cause-title").innerText, urls: [...g.querySelectorAll(".event-url")].map((u) => u.innerText) })),
    );
    return seen;
  }),
);
