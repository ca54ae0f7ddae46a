// The text report behind copy_report: what support needs, from the redacted event only.
import assert from "node:assert/strict";
import { test } from "node:test";

import { buildReport } from "../../extension/lib/report.js";

const EVENT = {
  id: "e1",
  time: "2026-11-23T10:00:00Z",
  method: "GET",
  url: "https://api.example.com/me?token=REDACTED",
  status: 401,
  initiator: "https://app.example.com",
  diagnosis: {
    cause: "expired_token",
    confidence: 0.95,
    title: "Your access token has expired",
    summary: "The token's expiry time is 14 minutes before the server's Date.",
    evidence: [{ source: "request.authorization", fact: "Bearer JWT, expired 14 minutes ago" }],
    also: ["missing_challenge"],
    developer_notes: ["Send a WWW-Authenticate challenge with every 401."],
  },
};

test("the report names what failed, the cause, the evidence and the developers' notes", () => {
  const report = buildReport(EVENT, { version: "0.1.0" });
  for (const expected of [
    "What failed: GET https://api.example.com/me?token=REDACTED -> 401",
    "Requested by: https://app.example.com",
    "Cause:       Your access token has expired [expired_token] (confidence 95 %)",
    "Also:        missing_challenge",
    "  - Bearer JWT, expired 14 minutes ago (request.authorization)",
    "For the site's developers:",
    "Event e1, companion 0.1.0.",
  ]) {
    assert.ok(report.includes(expected), `missing: ${expected}\n${report}`);
  }
});

test("an event without a diagnosis still gives a readable report", () => {
  const report = buildReport({ id: "e2", time: "bad", method: "GET", url: "http://x.test/", status: 407 });
  assert.match(report, /Cause: {7}Unknown \[unknown\]/);
  assert.match(report, /unknown time/);
});
