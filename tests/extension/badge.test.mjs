// What the toolbar badge says: counts since the page started, and what stops counting.
import assert from "node:assert/strict";
import { test } from "node:test";

import { EVENTS_LIMIT, ApiError, NotPairedError, NotRunningError } from "../../extension/lib/api.js";
import { badgeFor, eventTime } from "../../extension/lib/badge.js";

const at = (iso) => ({ id: iso, time: iso });

test("counts only the events since the page in the tab started loading", () => {
  const events = [at("2026-11-23T10:00:05.123456Z"), at("2026-11-23T10:00:01Z"), at("2026-11-23T09:59:00Z")];
  const badge = badgeFor("app.example", events, null, Date.parse("2026-11-23T10:00:00Z"));
  assert.equal(badge.text, "2");
  assert.match(badge.title, /2 refused \(401\) on this page of app\.example/);
});

test("a page that loaded without a 401 shows no number", () => {
  const badge = badgeFor("app.example", [at("2026-11-23T09:00:00Z")], null, Date.parse("2026-11-23T10:00:00Z"));
  assert.deepEqual(badge, { text: "", title: "401 Companion: no 401s for app.example on this page" });
});

test("without a known page start every recent event counts, capped at the API's limit", () => {
  const many = Array.from({ length: EVENTS_LIMIT }, (_, i) => at(`2026-11-23T10:00:${String(i % 60).padStart(2, "0")}Z`));
  assert.equal(badgeFor("h", many.slice(0, 3), null, undefined).text, "3");
  assert.equal(badgeFor("h", many, null, undefined).text, `${EVENTS_LIMIT}+`);
});

test("not paired, not running and other errors each say so", () => {
  assert.equal(badgeFor("h", [], new NotPairedError(401, "unauthorized", "", false), 0).text, "?");
  assert.deepEqual(badgeFor("h", [], new NotRunningError("http://127.0.0.1:8401"), 0), {
    text: "",
    title: "401 Companion: the companion is not running",
  });
  assert.equal(badgeFor("h", [], new ApiError(503, "store_unavailable", "disk full"), 0).title, "401 Companion: disk full");
});

test("microsecond times from the service are read to the millisecond", () => {
  assert.equal(eventTime({ time: "2026-11-23T10:00:00.123456Z" }), Date.parse("2026-11-23T10:00:00.123Z"));
});
