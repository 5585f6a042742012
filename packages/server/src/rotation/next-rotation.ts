import type { SecretRecord } from "../secrets/records.js";
import { compileSchedule, nextWindow } from "./schedule.js";

/**
 * When a secret with automatic rotation is next due, counting from `from` (the last rotation,
 * manual change or configuration); undefined when automatic rotation is off.
 */
export function nextRotation(s: Pick<SecretRecord, "rotationEnabled" | "rotationRules">, from: number): number | undefined {
  if (!s.rotationEnabled || !s.rotationRules) return undefined;
  return nextWindow(compileSchedule(s.rotationRules), from)?.start;
}
