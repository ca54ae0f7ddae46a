// Removing every cookie of a site: its registrable domain and all subdomains, in the
// unpartitioned jar and in every partition. Returns names only: values never leave the jar.
import browser from "./browser.js";
import { isWithinSite } from "./site.js";

/**
 * Removes the cookies of `site` (e.g. "example.com") and its subdomains.
 * `storeIds` limits the work to some cookie stores (default: every store we can see).
 * Resolves to `{count, names, partitioned, failed}`: how many were removed, their distinct
 * names, how many of them were partitioned, and the names the browser refused to remove.
 */
export async function removeSiteCookies(site, { storeIds } = {}) {
  const stores = storeIds ?? (await browser.cookies.getAllCookieStores()).map((s) => s.id);
  const removed = [];
  const failed = [];
  let partitioned = 0;
  for (const storeId of stores) {
    for (const cookie of await siteCookies(site, storeId)) {
      const gone = await browser.cookies.remove(removalDetails(cookie)).catch(() => null);
      (gone ? removed : failed).push(cookie.name);
      if (gone && cookie.partitionKey) partitioned += 1;
    }
  }
  return { count: removed.length, names: unique(removed), partitioned, failed: unique(failed) };
}

/** Every cookie of `site` in one store, partitioned ones included, each once. */
export async function siteCookies(site, storeId) {
  const domain = site.replace(/^\.+/, "");
  // Without `partitionKey` getAll sees only the unpartitioned jar; with an empty one it
  // sees every partition too. Asking both ways, and merging, also covers browsers that
  // do not know the property yet (they reject the second query). No `domain` filter: in
  // Firefox (153) it leaves out the cookies of the subdomains, so the whole store is read
  // and filtered here.
  const queries = [{ storeId }, { storeId, partitionKey: {} }];
  const found = new Map();
  for (const query of queries) {
    const cookies = await browser.cookies.getAll(query).catch(() => []);
    for (const cookie of cookies) {
      if (isWithinSite(cookie.domain, domain)) found.set(cookieKey(cookie), cookie);
    }
  }
  return [...found.values()];
}

/** The `cookies.remove` argument that names exactly this cookie. */
export function removalDetails(cookie) {
  const host = cookie.domain.replace(/^\./, "");
  const details = {
    url: `${cookie.secure ? "https" : "http"}://${host}${cookie.path || "/"}`,
    name: cookie.name,
    storeId: cookie.storeId,
  };
  if (cookie.partitionKey) details.partitionKey = cookie.partitionKey;
  return details;
}

function cookieKey(cookie) {
  const partition = cookie.partitionKey ? JSON.stringify(cookie.partitionKey) : "";
  return [cookie.storeId, cookie.domain, cookie.path, cookie.name, partition].join("\u0000");
}

function unique(names) {
  return [...new Set(names)];
}
