// The pairing page `companion browse` opens as the browser's first tab
// (pair/pair.html#code=…). The browser may try that address before the extension is loaded,
// and then shows an error in its place: the extension, once up, opens its own page again.
// Only its own page, and only while the code is still in the address (the page removes it
// as soon as it runs), so nothing else is ever navigated.
import browser from "../lib/browser.js";

const PAIR_PAGE = browser.runtime.getURL("pair/pair.html");

function waitingForPairing(url) {
  return typeof url === "string" && url.startsWith(`${PAIR_PAGE}#`) && url.includes("code=");
}

async function retryPairingTabs() {
  const tabs = await browser.tabs.query({});
  for (const tab of tabs) {
    if (waitingForPairing(tab.url)) await browser.tabs.update(tab.id, { url: tab.url });
  }
}

browser.webNavigation.onErrorOccurred.addListener((details) => {
  if (details.frameId === 0 && waitingForPairing(details.url)) {
    browser.tabs.update(details.tabId, { url: details.url }).catch(() => {});
  }
});

retryPairingTabs().catch(() => {});
