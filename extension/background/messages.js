// Messages from the extension's pages, `{type, data}`, through one dispatcher; each handler
// resolves to the JSON answer. Unknown types are refused with a warning.
import browser from "../lib/browser.js";
import { refreshBadges } from "./badge.js";

const HANDLERS = {
  // The popup ran a fix (cookies cleared, a page reloaded): recount now, not at the next poll.
  "refresh-badge": async () => {
    await refreshBadges();
    return { ok: true };
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
