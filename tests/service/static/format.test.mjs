// The event list page's pure helpers (companion/service/static/format.js), without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ago,
  apiQuery,
  collapseRepeats,
  filtersFromQuery,
  groupBySite,
  hasFilters,
  localTime,
  plain,
  queryFromView,
  splitUrl,
  titleOf,
} from "../../../companion/service/static/format.js";

test("the address bar keeps the filters, the grouping and the open event", () => {
  const view = { filters: { site: "example.com", cause: "expired_token", q: "a b&c" }, group: true, event: "e1" };
  const query = queryFromView(view);
  assert.equal(query, "?site=example.com&cause=expired_token&q=a+b%26c&group=site&event=e1");
  assert.deepEqual(filtersFromQuery(query), view);
  assert.equal(queryFromView({ filters: {} }), "");
});

test("unknown and empty parameters are dropped", () => {
  const { filters } = filtersFromQuery("?site=&evil=1&status=401&q=%20x%20");
  assert.deepEqual(filters, { status: "401", q: "x" });
  assert.ok(hasFilters(filters));
  assert.ok(!hasFilters({}));
});

test("local times from the form go to the API as instants; zoned ones are kept", () => {
  const query = new URLSearchParams(apiQuery({ since: "2026-11-23T10:00", until: "2026-11-23T12:00:00Z" }, { limit: 5, before: null }));
  assert.equal(query.get("since"), new Date("2026-11-23T10:00").toISOString());
  assert.equal(query.get("until"), "2026-11-23T12:00:00Z");
  assert.equal(query.get("limit"), "5");
  assert.ok(!query.has("before"));
});

test("a time is shown with its date and zone", () => {
  assert.equal(localTime("2026-11-23T10:00:05Z", { timeZone: "UTC" }), "2026-11-23 10:00:05 UTC");
  assert.match(localTime("2026-07-01T10:00:05Z", { timeZone: "Europe/Berlin" }), /^2026-07-01 12:00:05 (CEST|GMT\+2)$/);
  assert.equal(localTime("not a time"), "unknown time");
});

test("how long ago, in words", () => {
  const now = Date.parse("2026-11-23T10:00:00Z");
  assert.equal(ago("2026-11-23T09:59:50Z", now), "just now");
  assert.equal(ago("2026-11-23T09:57:00Z", now), "3 min. ago");
  assert.equal(ago("2026-11-23T07:00:00Z", now), "3 hr. ago");
  assert.equal(ago("2026-11-22T10:00:00Z", now), "yesterday");
});

test("the same request failing in a row is one row with a count", () => {
  const e = (id, url, cause = "missing_credentials") => ({ id, method: "GET", url, status: 401, cause, time: id });
  const rows = collapseRepeats([e("3", "/a"), e("2", "/a"), e("1", "/b"), e("0", "/a"), e("x", "/a", "expired_token")]);
  assert.deepEqual(
    rows.map((r) => [r.event.id, r.count]),
    [["3", 2], ["1", 1], ["0", 1], ["x", 1]],
  );
});

test("rows grouped by site keep their order and count their events", () => {
  const rows = [
    { event: { site: "b.com" }, count: 2 },
    { event: { site: "a.com" }, count: 1 },
    { event: { site: "b.com" }, count: 1 },
  ];
  assert.deepEqual(
    groupBySite(rows).map((g) => [g.site, g.count, g.rows.length]),
    [["b.com", 3, 2], ["a.com", 1, 1]],
  );
});

test("titles, never raw ids, and no markdown backticks", () => {
  assert.equal(titleOf({ cause: "expired_token" }, { expired_token: "Your token expired" }), "Your token expired");
  assert.equal(titleOf({ diagnosis: { cause: "x", title: "Whole" } }), "Whole");
  assert.equal(plain("send `Authorization: Bearer` again"), "send Authorization: Bearer again");
  assert.deepEqual(splitUrl("https://api.example.com:8443/me?x=1"), { host: "api.example.com:8443", path: "/me?x=1" });
});
