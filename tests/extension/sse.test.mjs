// The stream parser: frames as the companion's /api/stream sends them, split anywhere.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SseParser } from "../../extension/lib/stream.js";

const FRAME = 'id: e1\nevent: event\ndata: {"id":"e1","host":"a.example"}\n\n';

test("a whole frame gives one event with its id and data", () => {
  const frames = new SseParser().push(FRAME);
  assert.deepEqual(frames, [{ event: "event", data: '{"id":"e1","host":"a.example"}', id: "e1" }]);
});

test("a frame split at every possible point still comes out whole, once", () => {
  for (let cut = 1; cut < FRAME.length; cut++) {
    const parser = new SseParser();
    const frames = [...parser.push(FRAME.slice(0, cut)), ...parser.push(FRAME.slice(cut))];
    assert.equal(frames.length, 1, `cut at ${cut}`);
    assert.equal(frames[0].id, "e1");
  }
});

test("comments (the companion's pings) and data-less frames give nothing", () => {
  assert.deepEqual(new SseParser().push(": connected\n\n: ping\n\nevent: event\n\n"), []);
});

test("CRLF and CR line ends, multi-line data, and the default event type", () => {
  const frames = new SseParser().push("data: one\r\ndata: two\r\rdata:x\n\n");
  assert.deepEqual(frames, [
    { event: "message", data: "one\ntwo", id: "" },
    { event: "message", data: "x", id: "" },
  ]);
});
