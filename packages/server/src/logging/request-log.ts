import type { Logger } from "pino";
import type { CallObserver } from "../http/call-record.js";
import { outcomeOf } from "../http/call-record.js";

/**
 * One log line per API call, with its request id (the `x-amzn-RequestId` the caller saw):
 * `debug` for answered calls and ordinary client errors, `info` for authentication and
 * authorization failures, `warn` for server errors. Metadata only, never a value.
 */
export function requestLogObserver(log: Logger): CallObserver {
  return (c) => {
    const outcome = outcomeOf(c);
    const level = outcome === "server_error" ? "warn" : outcome === "unauthenticated" || outcome === "denied" ? "info" : "debug";
    if (!log.isLevelEnabled(level)) return;
    log[level](
      {
        requestId: c.requestId, api: c.api, operation: c.operation, status: c.status, outcome, errorCode: c.errorCode, ms: Math.round(c.durationMs * 1000) / 1000,
        principal: c.principal?.arn, accessKeyId: c.accessKeyId, sourceIp: c.sourceIp, userAgent: c.userAgent,
        secretArn: c.secretArn, secretName: c.secretName, versionId: c.versionId, versionStage: c.versionStage,
      },
      "request",
    );
  };
}
