import type { IncomingHttpHeaders } from "node:http";
import { authErrors } from "./auth-errors.js";

/** When the client says it signed the request, and which header said so. */
export interface RequestTime {
  header: "X-Amz-Date" | "Date";
  /** ISO-8601 basic format (`20261122T101010Z`), as it goes into the string to sign. */
  amzDate: string;
  /** Milliseconds since the epoch. */
  ms: number;
}

/** True when the request carries a non-empty X-Amz-Date or Date header. */
export function hasRequestTime(headers: IncomingHttpHeaders): boolean {
  return Boolean(headers["x-amz-date"]) || Boolean(headers.date);
}

/**
 * Reads the signing time from X-Amz-Date (`YYYYMMDDTHHMMSSZ`, strict) or, when that header is
 * absent or empty, from Date (an HTTP date). Returns undefined when neither is present; throws
 * IncompleteSignatureException when the header that is used does not parse.
 */
export function readRequestTime(headers: IncomingHttpHeaders): RequestTime | undefined {
  const amzDate = headers["x-amz-date"];
  if (typeof amzDate === "string" && amzDate !== "") {
    const ms = parseAmzDate(amzDate);
    if (Number.isNaN(ms)) throw authErrors.badDate(amzDate);
    return { header: "X-Amz-Date", amzDate, ms };
  }
  const date = headers.date;
  if (typeof date === "string" && date !== "") {
    const ms = Date.parse(date);
    if (Number.isNaN(ms)) throw authErrors.badDate(date);
    const whole = ms - (((ms % 1000) + 1000) % 1000);
    return { header: "Date", amzDate: formatAmzDate(whole), ms: whole };
  }
  return undefined;
}

/** Parses `YYYYMMDDTHHMMSSZ` into epoch milliseconds; NaN for anything else (including 20261131). */
export function parseAmzDate(value: string): number {
  if (value.length !== 16 || value.charCodeAt(8) !== 0x54 /* T */ || value.charCodeAt(15) !== 0x5a /* Z */) return NaN;
  const year = digits(value, 0, 4);
  const month = digits(value, 4, 6);
  const day = digits(value, 6, 8);
  const hour = digits(value, 9, 11);
  const minute = digits(value, 11, 13);
  const second = digits(value, 13, 15);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 November over into December; a round trip catches it.
  return new Date(ms).getUTCDate() === day ? ms : NaN;
}

/** Formats epoch milliseconds as ISO-8601 basic format, dropping the milliseconds. */
export function formatAmzDate(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-22T10:10:10.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * Throws InvalidSignatureException when `signedAtMs` lies more than `maxSkewMs` before or after
 * `nowMs` (the bounds themselves are accepted), with AWS's "Signature expired" / "Signature not
 * yet current" message. `amzDate` is the client's own rendering of `signedAtMs`.
 */
export function checkClockSkew(amzDate: string, signedAtMs: number, nowMs: number, maxSkewMs: number): void {
  if (signedAtMs >= nowMs - maxSkewMs && signedAtMs <= nowMs + maxSkewMs) return;
  const skew = `${Math.round(maxSkewMs / 60_000)} min`;
  if (signedAtMs < nowMs) throw authErrors.expired(amzDate, formatAmzDate(nowMs - maxSkewMs), formatAmzDate(nowMs), skew);
  throw authErrors.notYetCurrent(amzDate, formatAmzDate(nowMs + maxSkewMs), formatAmzDate(nowMs), skew);
}

/** The decimal number in value[start, end), or NaN if any character is not a digit. */
function digits(value: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}
