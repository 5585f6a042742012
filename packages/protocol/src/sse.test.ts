import assert from "node:assert/strict";
import { test } from "node:test";
import { SseParser, type SseEvent } from "./sse.js";

test("SSE: events split across chunks, comments, CRLF and CR line ends, multi-line data, ids", () => {
  const got: SseEvent[] = [];
  const p = new SseParser((e) => got.push(e));
  const stream = 'event: hello\ndata: {"Seq":3}\n\n: ping\n\nid: 4\r\nevent: change\r\ndata: a\r\ndata: b\r\n\r\nid: 5\revent: change\rdata: c\r\r';
  for (let i = 0; i < stream.length; i += 3) p.push(stream.slice(i, i + 3));
  assert.deepEqual(got, [
    { event: "hello", data: '{"Seq":3}' },
    { event: "change", data: "a\nb", id: "4" },
    { event: "change", data: "c", id: "5" },
  ]);
});

test("SSE: an event without data is not dispatched; the type defaults to message", () => {
  const got: SseEvent[] = [];
  const p = new SseParser((e) => got.push(e));
  p.push("event: x\n\ndata:y\n\n");
  assert.deepEqual(got, [{ event: "message", data: "y" }]);
});
