// Keeping the badges current: live from the companion's `/api/stream`, recounting a tab as
// soon as an event for its site arrives; polling every 5 s is the fallback while the stream
// is down, and the stream is retried with a growing delay (1 s … 30 s).
//
// The open stream lives exactly as long as this worker, so it is the one thing kept in a
// variable; what must outlive the worker (its state, the poll chain) is in storage.session.
import * as api from "../lib/api.js";
import browser from "../lib/browser.js";
import * as session from "../lib/session.js";
import { affectsApi, apiBase, getToken } from "../lib/settings.js";
import { eventConcerns, webHostname } from "../lib/site.js";
import * as stream from "../lib/stream.js";
import { activeWebTabs, refreshBadges } from "./badge.js";

const POLL_MS = 5000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;
const WAKE_ALARM = "poll-wakeup";

const live = { session: null };

browser.tabs.onActivated.addListener(() => refreshBadges().then(ensurePolling));
browser.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (tab.active && (change.url || change.status === "complete")) refreshBadges().then(ensurePolling);
});
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

/** Follow the stream (or poll) from now on; what every start of the worker calls. */
export async function wakeUp() {
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
  const current = { controller: new AbortController(), open: false, wake: null, stuck: false };
  live.session = current;
  let delay = RETRY_MIN_MS;
  while (live.session === current) {
    let problem = null;
    const token = await getToken();
    if (!token) {
      await session.setStreamState("not-paired");
      break; // pairing stores a token, and that restarts the stream
    }
    try {
      await session.setStreamState("connecting");
      await stream.follow({
        base: await apiBase(),
        token,
        signal: current.controller.signal,
        onOpen: async () => {
          current.open = true;
          delay = RETRY_MIN_MS;
          await session.setStreamState("open");
          await session.stopPollChain();
          await refreshBadges(); // catches up with what came while it was down
        },
        onEvent: onStreamEvent,
        // An extension API call on every chunk, pings included: it also keeps the worker alive.
        onActivity: session.noteStreamActivity,
      });
    } catch (err) {
      problem = err;
    }
    current.open = false;
    if (live.session !== current || current.controller.signal.aborted) break;
    if (problem instanceof api.NotPairedError) {
      await session.setStreamState("not-paired", problem);
      break;
    }
    current.stuck = Boolean(problem?.stuck);
    const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
    await session.setStreamState("retrying", problem, wait);
    await startPolling();
    await sleep(wait, current);
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  }
  if (live.session === current) live.session = null;
}

async function onStreamEvent(summary) {
  await session.countStreamEvent(summary);
  const tabs = await activeWebTabs();
  if (tabs.some((tab) => eventConcerns(summary, webHostname(tab.url)))) await refreshBadges();
}

// A retry delay that polling cuts short once the companion answers again.
function sleep(ms, current) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    current.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

// ---- polling, the fallback -------------------------------------------------------------

async function ensurePolling() {
  if (live.session?.open) return;
  if (Date.now() - (await session.lastPoll()) > 2 * POLL_MS) await startPolling();
}

async function startPolling() {
  if (live.session?.open) return;
  const chain = crypto.randomUUID();
  await session.startPollChain(chain);
  await poll(chain);
}

// One chain of timers at a time: a newer chain takes over by writing its id, older ones stop;
// an open stream stops them all.
async function poll(chain) {
  if ((await session.pollChain()) !== chain) return;
  if (live.session?.open) return session.stopPollChain();
  await session.notePoll();
  const watched = await refreshBadges();
  if (live.session && !live.session.open && !live.session.stuck) {
    api.health().then(() => live.session?.wake?.(), () => {}); // the companion is back: retry now
  } else if (!live.session) {
    ensureStream();
  }
  if (watched > 0) setTimeout(() => poll(chain), POLL_MS);
  else await session.stopPollChain(); // a tab event restarts it
}
