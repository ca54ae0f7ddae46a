// Hosts, sites and the URLs the fixes open.
import assert from "node:assert/strict";
import { test } from "node:test";

import { eventConcerns, httpsUrl, isWithinSite, pageUrl, siteOrigins, webHostname } from "../../extension/lib/site.js";

test("webHostname: web pages only, IPv6 without brackets", () => {
  assert.equal(webHostname("https://App.Example.com:8443/x"), "app.example.com");
  assert.equal(webHostname("http://[::1]:8080/"), "::1");
  for (const url of ["chrome://extensions", "about:blank", "not a url", undefined]) assert.equal(webHostname(url), "");
});

test("isWithinSite: the site and its subdomains, never a look-alike", () => {
  assert.ok(isWithinSite("api.example.com", "example.com"));
  assert.ok(isWithinSite("EXAMPLE.com.", "example.com"));
  assert.ok(!isWithinSite("badexample.com", "example.com"));
  assert.ok(!isWithinSite("example.com", ""));
});

test("eventConcerns: the event's host or the page that made the request", () => {
  const event = { host: "api.example.com", initiator_host: "app.shop.test" };
  assert.ok(eventConcerns(event, "api.example.com"));
  assert.ok(eventConcerns(event, "app.shop.test"));
  assert.ok(!eventConcerns(event, "other.test"));
  assert.ok(!eventConcerns({ host: "a.test", initiator_host: null }, "b.test"));
});

test("pageUrl: the tab when it shows the site, else the initiator, else the URL without its query", () => {
  const event = { site: "example.com", url: "https://api.example.com/me?token=REDACTED", initiator: null };
  assert.equal(pageUrl(event, "https://www.example.com/account"), "https://www.example.com/account");
  assert.equal(pageUrl(event, "https://elsewhere.test/"), "https://api.example.com/me");
  assert.equal(pageUrl({ ...event, initiator: "https://app.example.com" }, undefined), "https://app.example.com");
});

test("httpsUrl drops the default http port", () => {
  assert.equal(httpsUrl("http://example.com:80/a?b=1"), "https://example.com/a?b=1");
  assert.equal(httpsUrl("http://example.com:8080/"), "https://example.com:8080/");
  assert.equal(httpsUrl("::"), null);
});

test("siteOrigins: both schemes of the site, www, and every origin of the site the events show", () => {
  const origins = siteOrigins("example.com", ["https://api.example.com/x", "https://evil.test/", "http://example.com:8080/"]);
  assert.deepEqual(origins.sort(), [
    "http://example.com",
    "http://example.com:8080",
    "https://api.example.com",
    "https://example.com",
    "https://www.example.com",
  ]);
  assert.ok(!siteOrigins("localhost", []).includes("https://www.localhost"));
});
