// What the extension remembers between runs, in storage.local: the API port and the token.
import browser from "./browser.js";

export const DEFAULT_PORT = 8401;
const KEYS = { port: "apiPort", token: "apiToken" };

/** The companion's base URL, from the stored port (default 8401). */
export async function apiBase() {
  return `http://127.0.0.1:${await getPort()}`;
}

export async function getPort() {
  const { [KEYS.port]: port } = await browser.storage.local.get(KEYS.port);
  return isValidPort(port) ? Number(port) : DEFAULT_PORT;
}

export async function setPort(port) {
  if (!isValidPort(port)) throw new RangeError(`Not a port number: ${port}`);
  await browser.storage.local.set({ [KEYS.port]: Number(port) });
}

export async function getToken() {
  const { [KEYS.token]: token } = await browser.storage.local.get(KEYS.token);
  return typeof token === "string" ? token : "";
}

export async function setToken(token) {
  await browser.storage.local.set({ [KEYS.token]: token });
}

export async function forgetToken() {
  await browser.storage.local.remove(KEYS.token);
}

/** True when a storage change touched something the API client depends on. */
export function affectsApi(changes) {
  return KEYS.port in changes || KEYS.token in changes;
}

export function isValidPort(port) {
  const n = Number(port);
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
