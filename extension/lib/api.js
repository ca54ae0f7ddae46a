// Client for the companion's local JSON API (see DESIGN.md, "HTTP API").
//
// Callers tell three situations apart by what is thrown: `NotRunningError` (nothing answers
// on the port, or it is not a companion), `NotPairedError` (the API refused our token), or
// `ApiError` (the companion answered with an error of its own). Anything else is a bug.
import { apiBase, getToken, setToken } from "./settings.js";

const TIMEOUT_MS = 3000;
export const EVENTS_LIMIT = 50;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `The companion answered ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code || "http_error";
  }
}

export class NotRunningError extends Error {
  constructor(base, cause) {
    super(`Nothing answers at ${base}`, { cause });
    this.name = "NotRunningError";
    this.base = base;
  }
}

export class NotPairedError extends ApiError {
  constructor(status, code, message, hadToken) {
    super(status, code, message);
    this.name = "NotPairedError";
    /** False when no token was stored yet, true when the stored one was refused. */
    this.hadToken = hadToken;
  }
}

/** GET /api/health: `{status, version}`. Throws `NotRunningError` when it is not a companion. */
export async function health() {
  const base = await apiBase();
  const body = await request(base, "/api/health", null).catch((err) => {
    // Running, but its store refuses writes: say that, not "not running".
    if (err instanceof ApiError && err.code === "store_failing") throw err;
    throw err instanceof NotRunningError ? err : new NotRunningError(base, err);
  });
  if (body?.status !== "ok") throw new NotRunningError(base, new Error("unexpected health answer"));
  return body;
}

/** The recent events whose host or initiator belongs to `site` (a hostname), newest first. */
export async function events(site, { limit = EVENTS_LIMIT, token } = {}) {
  const query = new URLSearchParams({ site, limit: String(limit) });
  const body = await request(await apiBase(), `/api/events?${query}`, token ?? (await getToken()));
  return Array.isArray(body?.events) ? body.events : [];
}

/** Checks `token` against the API without storing it; true when the companion accepts it. */
export async function checkToken(token) {
  try {
    await request(await apiBase(), "/api/events?limit=1", token);
    return true;
  } catch (err) {
    if (err instanceof NotPairedError) return false;
    throw err;
  }
}

/** The cause catalogue: `[{id, title, …}]`, for titles of the causes an event also lists. */
export async function causes() {
  const body = await request(await apiBase(), "/api/causes", await getToken());
  return Array.isArray(body?.causes) ? body.causes : [];
}

/**
 * A one-time link that opens the event list page signed in (on `site`, when given). The code
 * in it works once, for two minutes; the page itself never sees the token.
 */
export async function eventListLink(site) {
  const query = site ? `?${new URLSearchParams({ site })}` : "";
  const body = await request(await apiBase(), `/api/login-code${query}`, await getToken(), "POST");
  if (typeof body?.url !== "string") throw new ApiError(500, "bad_answer", "the companion gave no link");
  return body.url;
}

/**
 * Trades a pairing code (`companion pair` prints one; `companion browse` hands one over at
 * launch) for the API token, which is then stored. The code works once; the token never
 * passes through a person's clipboard.
 */
export async function pairWithCode(code) {
  const base = await apiBase();
  const body = await request(base, "/api/pair", null, "POST", { code });
  if (typeof body?.token !== "string" || !body.token) throw new ApiError(500, "bad_answer", "the companion gave no token");
  await setToken(body.token);
  return body.token;
}

/** Whether what a person typed is a pairing code (`K7QM-4ZD9`) rather than a pasted token. */
export function isPairingCode(text) {
  return /^[A-Za-z0-9]{4}[-\s]?[A-Za-z0-9]{4}$/.test(text.trim());
}

// `token` is null for routes that need none, "" when we have none to send.
async function request(base, path, token, method = "GET", json = undefined) {
  const headers = { Accept: "application/json" };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(base + path, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      credentials: "omit",
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new NotRunningError(base, err);
  }
  const body = await response.json().catch(() => null);
  if (response.ok) {
    if (body === null) throw new NotRunningError(base, new Error(`${path} did not answer JSON`));
    return body;
  }
  const { code, message } = body?.error ?? {};
  if (response.status === 401 && token !== null) {
    throw new NotPairedError(response.status, code, message, Boolean(token));
  }
  if (body === null) throw new NotRunningError(base, new Error(`${path} answered ${response.status}`));
  throw new ApiError(response.status, code, message);
}
