import { createHash, timingSafeEqual } from "node:crypto";
import { sourceIpOf } from "../http/call-record.js";
import type { EdgeRequest, EdgeResponse } from "../http/edge.js";
import type { Metrics } from "./metrics.js";

export interface MetricsAccess {
  /** `loopback`: scrapes from 127.0.0.0/8 or ::1 only; `token`: a bearer token from anywhere; `open`: anyone. */
  access: "loopback" | "token" | "open";
  bearerToken?: string;
}

const text = (status: number, body: string, extra: Record<string, string> = {}): EdgeResponse => ({ status, headers: { "Content-Type": "text/plain; charset=utf-8", ...extra }, body });

function isLoopback(remoteAddress: string): boolean {
  const ip = sourceIpOf(remoteAddress);
  return ip === "::1" || ip.startsWith("127.");
}

/** Constant-time comparison of two tokens of any length (compares their digests). */
function sameToken(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/** `GET /metrics`: the Prometheus exposition, behind the configured access rule. */
export function metricsEndpoint(metrics: Metrics, o: MetricsAccess): (req: EdgeRequest) => Promise<EdgeResponse> {
  return async (req) => {
    if (o.access === "loopback" && !isLoopback(req.remoteAddress)) return text(403, "metrics are served to loopback clients only (metrics.access)\n");
    if (o.access === "token") {
      const auth = req.headers.authorization ?? "";
      const token = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
      if (!token || !sameToken(token, o.bearerToken ?? "")) return text(401, "a bearer token is required\n", { "WWW-Authenticate": 'Bearer realm="keyshift-metrics"' });
    }
    return { status: 200, headers: { "Content-Type": metrics.contentType }, body: await metrics.render() };
  };
}
