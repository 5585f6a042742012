/** Codes of failures that happen on our side of the wire (no AWS error code applies). */
export type ClientErrorCode = "NetworkError" | "TimeoutError" | "CircuitOpen" | "ClientClosed" | "SecretNotJson" | "SecretNotString" | "InvalidResponse" | "ConfigurationError";

/**
 * Why a secrets call failed. `code` is the AWS error code the upstream answered with
 * (`ResourceNotFoundException`, `ThrottlingException`, ...) or one of `ClientErrorCode`;
 * `status` is the HTTP status (0 when no answer arrived); `retryable` says whether the same
 * call may succeed later (throttling, 5xx, network errors, an open circuit). Messages never
 * contain a secret value.
 */
export class SecretsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  constructor(code: string, message: string, o: { status?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = "SecretsError";
    this.code = code;
    this.status = o.status ?? 0;
    this.retryable = o.retryable ?? false;
  }
}

/** The circuit breaker is open: the call failed without reaching the upstream (code `CircuitOpen`, retryable). */
export class CircuitOpenError extends SecretsError {
  /** When a probe will be let through (ms since the epoch). */
  readonly retryAt: number;
  constructor(message: string, retryAt: number, cause?: unknown) {
    super("CircuitOpen", message, { retryable: true, cause });
    this.name = "CircuitOpenError";
    this.retryAt = retryAt;
  }
}

/** True for a `SecretsError`, optionally with the given code. */
export function isSecretsError(e: unknown, code?: string): e is SecretsError {
  return e instanceof SecretsError && (code === undefined || e.code === code);
}

const RETRYABLE_CODES = new Set([
  "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled",
  "RequestThrottledException", "ProvisionedThroughputExceededException", "SlowDown", "InternalServiceError", "InternalFailure",
  "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException",
]);

const STATUS_CODES: Record<number, string> = { 400: "BadRequest", 401: "UnrecognizedClientException", 403: "AccessDeniedException", 404: "ResourceNotFoundException", 429: "TooManyRequestsException" };

/**
 * The error of a non-2xx HTTP answer in AWS JSON style: the code from the body's `__type`
 * (`prefix#Code` is cut to `Code`) or the `x-amzn-ErrorType` header (`Code:uri` cut to `Code`),
 * else derived from the status. Retryable: throttling codes, 429 and every 5xx.
 */
export function errorFromResponse(status: number, body: string, errorTypeHeader?: string | null): SecretsError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const j = JSON.parse(body) as { __type?: unknown; message?: unknown; Message?: unknown; code?: unknown };
    if (typeof j.__type === "string") code = j.__type;
    else if (typeof j.code === "string") code = j.code;
    const m = j.Message ?? j.message;
    if (typeof m === "string") message = m;
  } catch {
    /* not JSON */
  }
  code ??= errorTypeHeader ?? undefined;
  if (code) code = code.slice(code.lastIndexOf("#") + 1).split(":")[0]!;
  code ||= STATUS_CODES[status] ?? (status >= 500 ? "InternalServiceError" : `Http${status}`);
  const retryable = RETRYABLE_CODES.has(code) || status === 429 || status >= 500;
  return new SecretsError(code, message ?? `HTTP ${status}`, { status, retryable });
}

/** A request that got no answer: a timeout or a network failure, both retryable. */
export function errorFromNetwork(e: unknown, what: string): SecretsError {
  const name = (e as { name?: string }).name;
  if (name === "TimeoutError" || name === "AbortError") return new SecretsError("TimeoutError", `${what}: no answer in time`, { retryable: true, cause: e });
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
  return new SecretsError("NetworkError", `${what}: ${detail}`, { retryable: true, cause: e });
}
