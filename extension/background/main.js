// The service worker only wires the features together; each module registers its own
// listeners at the top level, so that the worker wakes up for them:
//   badge.js     the toolbar badge of each active tab, counted from the page's start
//   live.js      keeps the badges current: the live stream, polling as its fallback
//   messages.js  `{type, data}` messages from the popup
//   pairing.js   opens the pairing page again when the browser tried it too early
import browser from "../lib/browser.js";
import "./badge.js";
import { wakeUp } from "./live.js";
import "./messages.js";
import "./pairing.js";

browser.runtime.onInstalled.addListener(wakeUp);
browser.runtime.onStartup.addListener(wakeUp);

// The worker starts for any of the events the modules listen to: follow the stream from then on.
wakeUp();
