import { UpstreamError } from "../upstream/upstream.js";

/**
 * An answer other than 200, exactly as the AWS agent gives it: a status and a body that is
 * either a short plain-text message (`Bad Token`, `Not found`, ...) or an AWS-style JSON error.
 */
export class AgentHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(body);
    this.name = "AgentHttpError";
  }
}

/**
 * The AWS agent's error body: `{"__type":"<Code>", "message":"<msg>"}` (lower-case `message`,
 * and that space); without a message, `{"__type":"InternalFailure"}`.
 */
export function errorBody(code: string, message: string): string {
  if (message === "" || code === "InternalFailure") return `{"__type":"InternalFailure"}`;
  return `{"__type":${JSON.stringify(code)}, "message":${JSON.stringify(message)}}`;
}

/**
 * How a failed upstream call is answered (one table, the AWS agent's): a service error keeps
 * the upstream's status and code; no answer in time is 504 TimeoutError; no connection is
 * 502 ConnectionError; anything else is 500 InternalFailure.
 */
export function upstreamFailure(e: unknown): AgentHttpError {
  if (e instanceof AgentHttpError) return e;
  if (!(e instanceof UpstreamError)) return new AgentHttpError(500, errorBody("InternalFailure", ""));
  switch (e.kind) {
    case "service":
      return new AgentHttpError(e.status, errorBody(e.code, e.message));
    case "timeout":
      return new AgentHttpError(504, errorBody("TimeoutError", "Timeout encountered"));
    case "connection":
      return new AgentHttpError(502, errorBody("ConnectionError", "Error connecting to the Secrets Manager endpoint"));
    case "internal":
      return new AgentHttpError(500, errorBody("InternalFailure", ""));
  }
}
