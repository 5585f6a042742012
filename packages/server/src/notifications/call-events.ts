import type { CallObserver } from "../http/call-record.js";
import type { EmergencyRotationEvent } from "../management/events.js";
import type { RotationEvent } from "../rotation/engine.js";
import type { DeniedBurstDetector } from "./denied-burst.js";
import type { NotificationSink } from "./notifier.js";

/**
 * The CallObserver of notifications: SecretDeleted after a successful DeleteSecret, and the
 * denials that feed AccessDeniedBurst. Synchronous; the notifier does the rest in background.
 */
export function notificationCallObserver(sink: NotificationSink, burst: DeniedBurstDetector): CallObserver {
  return (c) => {
    if (c.errorCode !== undefined) {
      burst.observe(c);
      return;
    }
    if (c.operation === "DeleteSecret" && c.secretName !== undefined && c.status < 300) {
      sink.emit({
        type: "SecretDeleted",
        ...(c.principal ? { accountId: accountOfArn(c.secretArn) ?? c.principal.accountId, principalArn: c.principal.arn } : {}),
        ...(c.secretArn !== undefined ? { secretArn: c.secretArn } : {}),
        secretName: c.secretName,
        time: c.time,
        detail: { requestId: c.requestId },
      });
    }
  };
}

/** RotationSucceeded / RotationFailed from the rotation engine (a cancellation is not notified). */
export function notifyRotationEvent(sink: NotificationSink, e: RotationEvent): void {
  if (e.outcome === "cancelled") return;
  const r = e.rotation;
  sink.emit({
    type: e.outcome === "succeeded" ? "RotationSucceeded" : "RotationFailed",
    accountId: r.accountId,
    secretArn: r.secretArn,
    secretName: r.secretName,
    versionId: r.token,
    detail: {
      rotationId: r.id,
      method: r.method,
      attempt: r.attempt,
      durationMs: e.durationMs,
      rotator: r.rotatorArn,
      ...(r.fromVersion ? { previousVersionId: r.fromVersion } : {}),
      // The engine redacts every value it saw from the error before recording it.
      ...(r.error ? { error: r.error } : {}),
    },
  });
}

function accountOfArn(arn: string | undefined): string | undefined {
  return arn?.split(":")[4] || undefined;
}

/** EmergencyRotation from the management API's events (app.ts `managementEvents`). */
export function notifyEmergencyRotation(sink: NotificationSink, e: EmergencyRotationEvent): void {
  sink.emit({
    type: "EmergencyRotation",
    accountId: e.accountId,
    secretArn: e.secretArn,
    secretName: e.secretName,
    versionId: e.versionId,
    principalArn: e.principalArn,
    time: e.time,
    detail: {
      generated: e.generated,
      revocation: e.revocation,
      ...(e.previousVersionId ? { previousVersionId: e.previousVersionId } : {}),
      ...(e.rotationIds.length ? { rotationIds: e.rotationIds.join(",") } : {}),
      ...(e.reason ? { reason: e.reason.slice(0, 500) } : {}),
      ...(e.criticality ? { criticality: e.criticality } : {}),
    },
  });
}
