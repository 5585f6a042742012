import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ChangeFeed, type FeedSignal } from "./change-feed.js";
import type { ManagementEndpoint } from "./transport.js";

async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  let n = 0;
  const server = createServer((req, res) => handler(req, res, ++n));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const management: ManagementEndpoint = {
    region: "us-east-1",
    url: (p) => new URL(p, base),
    signedHeaders: async (_m, url, headers) => ({ ...headers, host: url.host, authorization: "AWS4-HMAC-SHA256 test" }),
    fetch,
  };
  return { management, connections: () => n, close: () => { server.closeAllConnections(); server.close(); } };
}

async function until(signals: FeedSignal[], count: number): Promise<void> {
  for (let i = 0; i < 200 && signals.length < count; i++) await sleep(10);
}

test("change feed: hello, changes, reconnection with Last-Event-ID, reset", async () => {
  const lastIds: (string | undefined)[] = [];
  const srv = await serve((req, res, n) => {
    lastIds.push(req.headers["last-event-id"] as string | undefined);
    assert.equal(req.headers.authorization, "AWS4-HMAC-SHA256 test");
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (n === 1) {
      res.write('event: hello\ndata: {"Seq":5,"Account":"111122223333"}\n\n: ping\n\n');
      res.end('id: 6\nevent: change\ndata: {"Seq":6,"Type":"SecretChanged","ARN":"arn:x","Name":"db","Region":"us-east-1"}\n\n');
    } else {
      res.write('event: hello\ndata: {"Seq":9}\n\nevent: reset\ndata: {"Seq":9}\n\n');
    }
  });
  const signals: FeedSignal[] = [];
  const feed = new ChangeFeed({ management: srv.management, onSignal: (s) => signals.push(s), reconnectBaseMs: 1, reconnectMaxMs: 5 });
  feed.start();
  await until(signals, 5);
  feed.close();
  srv.close();
  assert.deepEqual(signals.map((s) => s.kind), ["connected", "change", "disconnected", "connected", "reset"]);
  assert.deepEqual(signals[0], { kind: "connected", resumed: false, seq: 5 });
  assert.equal(signals[1]!.kind === "change" && signals[1]!.change.Name, "db");
  assert.deepEqual(signals[3], { kind: "connected", resumed: true, seq: 9 });
  assert.deepEqual(lastIds, [undefined, "6"]);
  assert.equal(feed.lastEventId, "9", "a reset moves the resume point to the current seq");
});

for (const [what, status, type] of [["404", 404, "application/json"], ["a foreign 500 (HTML)", 500, "text/html"], ["a 200 that is not an event stream", 200, "application/json"]] as const) {
  test(`change feed: ${what} means no feed, and it is not retried`, async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(status, { "content-type": type });
      res.end("{}");
    });
    const signals: FeedSignal[] = [];
    const feed = new ChangeFeed({ management: srv.management, onSignal: (s) => signals.push(s), reconnectBaseMs: 1, reconnectMaxMs: 5 });
    feed.start();
    await until(signals, 1);
    await sleep(100);
    feed.close();
    srv.close();
    assert.deepEqual(signals, [{ kind: "unavailable", status }]);
    assert.equal(srv.connections(), 1);
  });
}

test("change feed: a Keyshift error (AWS JSON 503) is retried", async () => {
  const srv = await serve((_req, res, n) => {
    if (n < 3) {
      res.writeHead(503, { "content-type": "application/x-amz-json-1.1" });
      return res.end('{"__type":"ServiceUnavailable"}');
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('event: hello\ndata: {"Seq":1}\n\n');
  });
  const signals: FeedSignal[] = [];
  const feed = new ChangeFeed({ management: srv.management, onSignal: (s) => signals.push(s), reconnectBaseMs: 1, reconnectMaxMs: 5 });
  feed.start();
  await until(signals, 3);
  feed.close();
  srv.close();
  assert.deepEqual(signals.map((s) => s.kind), ["disconnected", "disconnected", "connected"]);
  assert.equal(feed.connected, false, "closed");
});
