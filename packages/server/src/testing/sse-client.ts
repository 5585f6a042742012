import { request, type ClientRequest } from "node:http";
import { signRequest } from "@keyshift/protocol";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET } from "./harness.js";

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A signed subscription to `/v1/changes` for tests: collects events; `next()` waits for the next one matching. */
export async function subscribeChanges(endpoint: string, o: { lastEventId?: string; key?: string; secret?: string } = {}) {
  const url = new URL("/v1/changes", endpoint);
  const headers = signRequest(
    { method: "GET", host: url.host, path: url.pathname, headers: o.lastEventId ? { "last-event-id": o.lastEventId } : {}, body: "", region: TEST_REGION, service: "keyshift" },
    { accessKeyId: o.key ?? TEST_KEY_ID, secretAccessKey: o.secret ?? TEST_SECRET },
  );
  const events: SseEvent[] = [];
  const waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  let raw = "";
  let req: ClientRequest;
  const status = await new Promise<number>((resolve, reject) => {
    req = request(url, { method: "GET", headers }, (res) => {
      resolve(res.statusCode ?? 0);
      res.setEncoding("utf8");
      let buf = "";
      res.on("data", (d: string) => {
        raw += d;
        buf += d;
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: SseEvent = { event: "message", data: "" };
          let data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const [k, ...rest] = line.split(":");
            const v = rest.join(":").replace(/^ /, "");
            if (k === "id") e.id = v;
            else if (k === "event") e.event = v;
            else if (k === "data") data.push(v);
          }
          if (data.length === 0 && e.event === "message") continue;
          e.data = data.join("\n");
          data = [];
          events.push(e);
          for (const w of [...waiters]) {
            if (w.match(e)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(e);
            }
          }
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
  return {
    status,
    events,
    raw: () => raw,
    /** The first event (already received or coming) that matches, within `ms`. */
    next(match: (e: SseEvent) => boolean, ms = 3000): Promise<SseEvent> {
      const have = events.find(match);
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event within ${ms} ms; got ${events.map((e) => e.event).join(",")}`)), ms);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    close: () => req.destroy(),
  };
}
