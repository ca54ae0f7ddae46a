// Following the companion's live stream, `GET /api/stream` (Server-Sent Events). MV3 service
// workers have no EventSource, so this reads the response body of a plain fetch() and parses
// the frames itself (https://html.spec.whatwg.org/multipage/server-sent-events.html).
import { ApiError, NotPairedError, NotRunningError } from "./api.js";

/** Headers and the first bytes must come within this; a proxy that buffers never sends them. */
export const OPEN_TIMEOUT_MS = 5000;
/** The service sends a comment every 15 s; silence for this long means a dead connection. */
export const SILENCE_TIMEOUT_MS = 40000;

/**
 * Follows the stream until it ends (resolves) or fails (throws `NotRunningError`,
 * `NotPairedError` or `ApiError`, like lib/api.js). `onOpen()` runs once the first bytes
 * arrived, `onEvent(data)` for each `event: event` frame with its parsed JSON, and
 * `onActivity()` for every chunk, pings included. Aborting `signal` ends it quietly.
 */
export async function follow({ base, token, signal, onOpen, onEvent, onActivity = () => {} }) {
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", abort, { once: true });
  const watchdog = new Watchdog(controller);
  try {
    watchdog.arm(OPEN_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(`${base}/api/stream`, {
        headers: { Accept: "text/event-stream", Authorization: `Bearer ${token}` },
        credentials: "omit",
        cache: "no-store",
        signal: controller.signal,
      });
    } catch (err) {
      if (signal.aborted) return;
      throw stuckOr(new NotRunningError(base, watchdog.fired ? new Error("the stream did not open in time") : err), watchdog);
    }
    if (!response.ok) throw await httpError(response);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    let opened = false;
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal.aborted) return;
        throw stuckOr(new NotRunningError(base, watchdog.fired ? new Error("the stream went silent") : err), watchdog);
      }
      if (chunk.done) return;
      watchdog.arm(SILENCE_TIMEOUT_MS);
      if (!opened) {
        opened = true;
        await onOpen?.();
      }
      await onActivity();
      for (const frame of parser.push(chunk.value)) {
        if (frame.event !== "event") continue;
        let data;
        try {
          data = JSON.parse(frame.data);
        } catch {
          console.warn("401 Companion: a stream frame that is not JSON was skipped");
          continue;
        }
        await onEvent?.(data);
      }
    }
  } finally {
    watchdog.disarm();
    signal.removeEventListener("abort", abort);
  }
}

/** Splits a text/event-stream into frames `{event, data, id}`; comments are dropped. */
export class SseParser {
  #rest = "";
  #frame = newFrame();

  /** Feeds one decoded chunk; returns the frames it completed. */
  push(text) {
    const lines = (this.#rest + text).split(/\r\n|\r|\n/);
    this.#rest = lines.pop(); // an incomplete line waits for the next chunk
    const frames = [];
    for (const line of lines) {
      if (line === "") {
        if (this.#frame.data.length) {
          frames.push({ event: this.#frame.event || "message", data: this.#frame.data.join("\n"), id: this.#frame.id });
        }
        this.#frame = newFrame();
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") this.#frame.data.push(value);
      else if (field === "event") this.#frame.event = value;
      else if (field === "id") this.#frame.id = value;
    }
    return frames;
  }
}

function newFrame() {
  return { event: "", data: [], id: "" };
}

// Aborts the fetch when nothing arrived in time; re-armed on every chunk.
class Watchdog {
  constructor(controller) {
    this.controller = controller;
    this.timer = null;
    this.fired = false;
  }

  arm(ms) {
    this.disarm();
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error("timeout"));
    }, ms);
  }

  disarm() {
    clearTimeout(this.timer);
  }
}

// `stuck`: the companion may well be up, but the stream does not get through (a buffering
// proxy, a dead connection); retrying at once would not help.
function stuckOr(err, watchdog) {
  err.stuck = watchdog.fired;
  return err;
}

async function httpError(response) {
  const body = await response.json().catch(() => null);
  const { code, message } = body?.error ?? {};
  if (response.status === 401) return new NotPairedError(response.status, code, message, true);
  if (body === null) return new NotRunningError(response.url, new Error(`the stream answered ${response.status}`));
  return new ApiError(response.status, code, message);
}
