import { DEFAULT_ACCOUNT_META } from "../iam/bootstrap.js";
import type { EdgeResponse } from "../http/edge.js";
import type { Store } from "../storage/store.js";

const json = (status: number, body: unknown): EdgeResponse => ({ status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store" }, body: JSON.stringify(body) });

/** `GET /health`: liveness. The process answers; nothing else is checked (a restart would not fix the store). */
export function health(): EdgeResponse {
  return json(200, { status: "ok" });
}

/**
 * `GET /ready`: readiness for traffic. The store answers a cheap read, and that read finds the
 * bootstrap account marker — written after the store applied its migrations (a backend opens
 * only once its schema is current) and the first account exists. 503 with the reason otherwise;
 * the error text of the store is not shown (it may name hosts or paths).
 */
export async function ready(store: Store): Promise<EdgeResponse> {
  try {
    const account = await store.getMeta(DEFAULT_ACCOUNT_META);
    if (account === undefined) return json(503, { status: "unavailable", checks: { store: "ok", migrations: "pending" } });
    return json(200, { status: "ok", checks: { store: "ok", migrations: "done" } });
  } catch {
    return json(503, { status: "unavailable", checks: { store: "unreachable" } });
  }
}
