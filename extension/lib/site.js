// Hostnames, sites and the URLs the fixes open. A "site" here is what the service puts in
// `Event.site`: the registrable domain of the event's host (or the host itself for
// localhost and IP addresses).

/** The hostname of a web page's URL, or "" for pages that are not http(s). */
export function webHostname(url) {
  const parsed = parseUrl(url);
  if (!parsed || !/^https?:$/.test(parsed.protocol)) return "";
  return parsed.hostname.replace(/^\[|\]$/g, "");
}

/** True when `hostname` is `site` or one of its subdomains. */
export function isWithinSite(hostname, site) {
  const host = normalize(hostname);
  const domain = normalize(site);
  return Boolean(domain) && (host === domain || host.endsWith(`.${domain}`));
}

/**
 * The page a person would want to reopen for this event: the tab's own URL when the tab
 * shows the site, else the page that made the request, else the request's URL without its
 * query (its values may read "REDACTED", which no server understands).
 */
export function pageUrl(event, tabUrl) {
  if (tabUrl && isWithinSite(webHostname(tabUrl), event.site)) return tabUrl;
  if (event.initiator && webHostname(event.initiator)) return event.initiator;
  const url = parseUrl(event.url);
  return url ? `${url.origin}${url.pathname}` : `https://${event.site}/`;
}

/** The same URL over https, with the default http port dropped. */
export function httpsUrl(url) {
  const parsed = parseUrl(url);
  if (!parsed) return null;
  parsed.protocol = "https:";
  if (parsed.port === "80") parsed.port = "";
  return parsed.href;
}

/** The origins whose site data `clear_site_data` removes: every one the events and tab show. */
export function siteOrigins(site, urls) {
  const origins = new Set([`https://${site}`, `http://${site}`]);
  if (!isIpOrLocal(site)) origins.add(`https://www.${site}`);
  for (const url of urls) {
    const parsed = parseUrl(url);
    if (parsed && /^https?:$/.test(parsed.protocol) && isWithinSite(webHostname(url), site)) {
      origins.add(parsed.origin);
    }
  }
  return [...origins];
}

/** The hosts Firefox's browsingData needs to reach the data of `origins`: each origin's
 * hostname (service workers, cookies) and its host:port (localStorage, IndexedDB). */
export function storageHosts(origins) {
  const hosts = new Set();
  for (const origin of origins) {
    const parsed = parseUrl(origin);
    if (parsed) hosts.add(parsed.hostname).add(parsed.host);
  }
  return [...hosts];
}

function isIpOrLocal(host) {
  return host === "localhost" || /^[\d.]+$/.test(host) || host.includes(":");
}

function normalize(host) {
  return String(host ?? "").toLowerCase().replace(/^\.+|\.+$/g, "");
}

function parseUrl(url) {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Whether an event (or its stream summary) belongs to a tab showing `host`: mirrors the
 * API's `site=` filter, the event's host or the page that made the request. */
export function eventConcerns(event, host) {
  return isWithinSite(event.host, host) || Boolean(event.initiator_host && isWithinSite(event.initiator_host, host));
}
