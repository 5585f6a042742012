/**
 * Rotation schedules: validation of RotateSecret's RotationRules and computation of rotation
 * windows, as AWS Secrets Manager does them. Pure: no I/O, no clock, no local time zone. All
 * instants are milliseconds since the epoch and every calendar computation is in UTC.
 *
 * Alignment rules (the contract of `nextWindow`; AWS documents the principles, the exact
 * arithmetic below is ours where AWS is silent):
 *
 * - `AutomaticallyAfterDays: N` and `rate(N days)` are the same schedule: the window opens at
 *   00:00 UTC of the UTC day of `from` plus N days (so the time of day of the last rotation does
 *   not matter) and closes at the end of that UTC day (the next 00:00 UTC), or `Duration` after
 *   it opens when a Duration is given.
 * - `rate(N hours)` is not aligned: the window opens exactly N hours after `from` and stays open
 *   for `Duration`, 1 hour by default. Such a window may cross 00:00 UTC (see the guess at
 *   `compileRate`).
 * - `cron(...)`: the window opens at the first match strictly after `from`. When the expression
 *   can match more than once in a UTC day it is an "hours" schedule and the window lasts 1 hour
 *   by default; otherwise it is a "days" schedule and the window lasts until the end of the UTC
 *   day. A given `Duration` replaces either default.
 *
 * A window is the closed interval [start, end]; a rotation that has not happened by `end` is
 * overdue (`isOverdue` is true strictly after `end`). NextRotationDate is `start`.
 *
 * Why not cron-parser: AWS cron is Quartz-flavoured (day-of-week 1-7 = SUN-SAT, a year field,
 * `W`, `LW`, standalone `L` in day-of-week, `#` in lists, exactly one of day-of-month and
 * day-of-week must be `?`). cron-parser v5 has no `W`/`LW`/year and no standalone day-of-week
 * `L`, refuses `#` inside lists, and ORs day-of-month with day-of-week; the 4-hour check also
 * needs the exact set of times of day. So AWS expressions are parsed and evaluated here (it is a
 * small day-by-day search); the tests cross-check the results against cron-parser for the subset
 * both understand, with day-of-week numbers converted.
 */
import { ServiceError } from "@keyshift/protocol";

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

/** [start, end], both inclusive, ms since the epoch. */
export interface RotationWindow {
  start: number;
  end: number;
}

/** Day-of-month part of a cron schedule (absent when the field is `?`). */
export interface DayOfMonthSpec {
  /** Index 1..31: plain days (numbers, ranges, increments, `*`). */
  readonly days: readonly boolean[];
  /** `L`: the last day of the month. */
  readonly last: boolean;
  /** `LW`: the last weekday (MON-FRI) of the month. */
  readonly lastWeekday: boolean;
  /** `nW`: the weekday nearest to day n, without leaving the month. */
  readonly nearestWeekday: readonly number[];
}

/** Day-of-week part of a cron schedule (absent when the field is `?`). Weekdays are 0 = SUN ... 6 = SAT. */
export interface DayOfWeekSpec {
  /** Index 0..6: plain weekdays. */
  readonly weekdays: readonly boolean[];
  /** `nL`: the last such weekday of the month. */
  readonly lastOfMonth: readonly number[];
  /** `n#k`: the k-th (1-5) such weekday of the month. */
  readonly nth: readonly { readonly weekday: number; readonly n: number }[];
}

export interface CompiledCron {
  /** Distinct times of day of the matches, ms after 00:00 UTC, ascending. */
  readonly timesOfDay: readonly number[];
  /** Index 1..12. */
  readonly months: readonly boolean[];
  /** Index year - 1970, for 1970..2199. */
  readonly years: readonly boolean[];
  readonly dayOfMonth: DayOfMonthSpec | undefined;
  readonly dayOfWeek: DayOfWeekSpec | undefined;
}

interface ScheduleBase {
  /** The rules as given (normalized: absent members omitted). */
  readonly rules: Readonly<RotationRules>;
  /** Window length from `Duration`; undefined means the default window. */
  readonly durationMs: number | undefined;
}

/** `AutomaticallyAfterDays: N` or `rate(N days)`. */
export interface DaysSchedule extends ScheduleBase {
  readonly kind: "days";
  readonly days: number;
}

/** `rate(N hours)`. */
export interface HoursSchedule extends ScheduleBase {
  readonly kind: "hours";
  readonly hours: number;
}

/** `cron(...)`. */
export interface CronSchedule extends ScheduleBase {
  readonly kind: "cron";
  /** More than one match per UTC day possible: 1-hour default window instead of end of day. */
  readonly subDaily: boolean;
  readonly cron: CompiledCron;
}

/** A compiled, deeply frozen schedule. */
export type RotationSchedule = DaysSchedule | HoursSchedule | CronSchedule;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** AWS: "You can rotate a secret as often as every four hours." */
const MIN_INTERVAL = 4 * HOUR;
/** AWS cron year field range (EventBridge cron syntax). */
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;
const MAX_DAYS = 1000;

const MSG_BOTH = "You cannot specify both rotation frequency and schedule expression together.";
const MSG_NEITHER = "RotationRules must contain either AutomaticallyAfterDays or ScheduleExpression.";
const MSG_DAYS = "RotationRules.AutomaticallyAfterDays must be within 1-1000.";

function invalid(message: string): ServiceError {
  return new ServiceError("InvalidParameterException", message);
}

function badExpression(expr: string, detail: string): ServiceError {
  return invalid(`Invalid ScheduleExpression ${expr}: ${detail}`);
}

function hhmm(msOfDay: number): string {
  const minutes = Math.round(msOfDay / 60_000);
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function hoursText(ms: number): string {
  const h = ms / HOUR;
  if (Number.isInteger(h)) return `${h} hour${h === 1 ? "" : "s"}`;
  const m = Math.round(ms / 60_000);
  return `${m} minute${m === 1 ? "" : "s"}`;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// compileSchedule

/** Validates RotationRules as AWS does and compiles them; throws ServiceError InvalidParameterException for bad rules. */
export function compileSchedule(rules: RotationRules): RotationSchedule {
  // null is treated like absent: JSON clients send it for unset members.
  const days = rules.AutomaticallyAfterDays ?? undefined;
  const expr = rules.ScheduleExpression ?? undefined;
  const duration = rules.Duration ?? undefined;
  if (days !== undefined && expr !== undefined) throw invalid(MSG_BOTH);
  if (days === undefined && expr === undefined) throw invalid(MSG_NEITHER);
  const durationMs = duration === undefined ? undefined : parseDuration(duration);
  const normalized: RotationRules = {
    ...(days !== undefined ? { AutomaticallyAfterDays: days } : {}),
    ...(duration !== undefined ? { Duration: duration } : {}),
    ...(expr !== undefined ? { ScheduleExpression: expr } : {}),
  };

  let schedule: RotationSchedule;
  if (days !== undefined) {
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw invalid(MSG_DAYS);
    // Start at 00:00 UTC, at most 24h long: can neither cross the UTC day nor reach the next window.
    schedule = { kind: "days", days, rules: normalized, durationMs };
  } else {
    const e = expr as string;
    if (typeof e !== "string" || e.length < 1 || e.length > 256) {
      throw invalid("ScheduleExpression must be between 1 and 256 characters long.");
    }
    const m = /^(rate|cron)\((.*)\)$/s.exec(e);
    if (!m) throw badExpression(e, "expected rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year).");
    schedule = m[1] === "rate" ? compileRate(e, m[2] ?? "", normalized, durationMs) : compileCronSchedule(e, m[2] ?? "", normalized, durationMs);
  }
  return deepFreeze(schedule);
}

/**
 * Duration: the model says `^[0-9h]+$`, 2-3 characters; the docs say "3h". We require digits
 * then `h` (so "h3" or "1h2" fail), 1h..24h ("0h" and "25h" fail).
 */
function parseDuration(d: unknown): number {
  if (typeof d !== "string" || d.length < 2 || d.length > 3 || !/^[0-9]+h$/.test(d)) {
    throw invalid(`Invalid Duration ${String(d)}: the rotation window length must be a whole number of hours such as 3h.`);
  }
  const h = Number(d.slice(0, -1));
  if (h < 1 || h > 24) throw invalid(`Invalid Duration ${d}: the rotation window must be from 1h to 24h long.`);
  return h * HOUR;
}

/**
 * rate(value unit), unit hours or days. Guesses:
 * - `rate(1 day)` and `rate(1 hour)` are accepted (EventBridge wants the singular for 1, AWS's
 *   Secrets Manager docs say "hours or days"), so the plural is accepted for every value and the
 *   singular only for 1 (`rate(5 day)` is refused, as EventBridge does).
 * - The largest rate is 1000 days (= 24000 hours), like AutomaticallyAfterDays.
 * - rate(N hours) windows are not aligned to the UTC day, so "must not extend into the next UTC
 *   day" cannot be checked when the rule is set; only "must not reach into the next window"
 *   (Duration <= N hours) is enforced, and a window may cross 00:00 UTC.
 */
function compileRate(expr: string, inner: string, rules: RotationRules, durationMs: number | undefined): RotationSchedule {
  const parts = inner.trim().split(/\s+/);
  const [value, unit] = parts;
  if (parts.length !== 2 || value === undefined || unit === undefined || !/^[0-9]+$/.test(value)) {
    throw badExpression(expr, "expected rate(value unit) with a whole number value, such as rate(10 days) or rate(12 hours).");
  }
  const n = Number(value);
  if (!["hour", "hours", "day", "days"].includes(unit)) {
    throw badExpression(expr, `the unit must be hours or days, not ${unit}.`);
  }
  if (!unit.endsWith("s") && n !== 1) throw badExpression(expr, `use ${unit}s for a value other than 1.`);
  if (unit.startsWith("hour")) {
    if (n < 4) throw badExpression(expr, "rotations must be at least 4 hours apart.");
    if (n > MAX_DAYS * 24) throw badExpression(expr, `rotations must be at most ${MAX_DAYS} days (${MAX_DAYS * 24} hours) apart.`);
    const interval = n * HOUR;
    if (durationMs !== undefined && durationMs > interval) {
      throw invalid(`The rotation window (Duration ${rules.Duration}) must not extend into the next rotation window, which starts ${hoursText(interval)} later.`);
    }
    return { kind: "hours", hours: n, rules, durationMs };
  }
  if (n < 1) throw badExpression(expr, "the number of days must be at least 1.");
  if (n > MAX_DAYS) throw badExpression(expr, `rotations must be at most ${MAX_DAYS} days apart.`);
  return { kind: "days", days: n, rules, durationMs };
}

function compileCronSchedule(expr: string, inner: string, rules: RotationRules, durationMs: number | undefined): RotationSchedule {
  const cron = parseCron(expr, inner);
  const times = cron.timesOfDay;
  const first = times[0] as number;
  const last = times[times.length - 1] as number;

  // Never matching at all (e.g. 30 February) is refused: the schedule would never rotate.
  // Guess: AWS may accept it; a rotation schedule that never fires is surely a mistake.
  const firstDay = nextMatchingDay(cron, daysFromCivil(MIN_YEAR, 1, 1));
  if (firstDay === undefined) throw badExpression(expr, "the expression never matches a date.");

  // Minimum interval. Within a day the gaps are those between the times of day. Across days the
  // gap is last -> first of the next day, which only matters when two consecutive calendar days
  // can both match (otherwise the gap is more than 24 h).
  for (let i = 1; i < times.length; i++) {
    const a = times[i - 1] as number;
    const b = times[i] as number;
    if (b - a < MIN_INTERVAL) throw tooFrequent(expr, a, b);
  }
  const wrapGap = DAY - last + first;
  const needCrossDay = wrapGap < MIN_INTERVAL || (durationMs !== undefined && wrapGap < durationMs);
  const crossDayGap = needCrossDay && hasConsecutiveMatchingDays(cron, firstDay) ? wrapGap : Infinity;
  if (crossDayGap < MIN_INTERVAL) throw tooFrequent(expr, last, first);

  const subDaily = times.length > 1;
  if (durationMs !== undefined) {
    let minGap = crossDayGap;
    for (let i = 1; i < times.length; i++) minGap = Math.min(minGap, (times[i] as number) - (times[i - 1] as number));
    if (durationMs > minGap) {
      throw invalid(
        `The rotation window (Duration ${rules.Duration}) must not extend into the next rotation window, which can start ${hoursText(minGap)} later.`,
      );
    }
    // AWS: "The window must not extend into ... the next UTC day." Checked for every cron
    // schedule (for sub-daily ones too: their start times are fixed, so it is checkable).
    if (last + durationMs > DAY) {
      throw invalid(`The rotation window (Duration ${rules.Duration}) starting at ${hhmm(last)} UTC must not extend into the next UTC day.`);
    }
  }
  return { kind: "cron", subDaily, cron, rules, durationMs };
}

function tooFrequent(expr: string, a: number, b: number): ServiceError {
  const gap = b >= a ? b - a : DAY - a + b;
  return badExpression(
    expr,
    `rotations at ${hhmm(a)} and ${hhmm(b)} UTC would be ${hoursText(gap)} apart; rotations must be at least 4 hours apart.`,
  );
}

// ---------------------------------------------------------------------------------------------
// AWS cron parsing
//
// cron(Minutes Hours Day-of-month Month Day-of-week Year), as documented for EventBridge and
// Secrets Manager:
//   Minutes 0-59 , - * /          Hours 0-23 , - * /          Day-of-month 1-31 , - * ? / L W
//   Month 1-12 or JAN-DEC , - * / Day-of-week 1-7 or SUN-SAT , - * ? L #   Year 1970-2199 , - * /
// Exactly one of Day-of-month and Day-of-week is `?`.
// Guesses where the docs are silent:
// - Names are case-insensitive (MON = mon); `rate`/`cron` must be lower case.
// - Fields are separated by any run of whitespace.
// - A range whose start is after its end wraps around (FRI-MON, 22-2, NOV-FEB, 28-3), as Quartz
//   does; except in the year field, where it is refused.
// - `L`, `LW` and `nW` may appear in a Day-of-month list and `nL`, `n#k` in a Day-of-week list
//   (the union is meant). `L-n` offsets (Quartz) are refused: AWS does not document them.
// - Standalone `L` in Day-of-week is the last day of the week, Saturday (Quartz). `nL` is the last
//   weekday n of the month; `n#k` takes k from 1 to 5; n may also be a name (FRIL, MON#1).
// - `nW` with n beyond the month's length (31W in April) matches nothing that month, like `31`.
// - An increment must be from 1 to the size of the field (0/60 in Minutes is refused).
// - Any minute is accepted (AWS may require rotation windows to start on the hour).

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly step: boolean;
  readonly wrap: boolean;
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const MINUTES: FieldSpec = { name: "Minutes", min: 0, max: 59, step: true, wrap: true };
const HOURS: FieldSpec = { name: "Hours", min: 0, max: 23, step: true, wrap: true };
const DOM: FieldSpec = { name: "Day-of-month", min: 1, max: 31, step: true, wrap: true };
const MONTH: FieldSpec = { name: "Month", min: 1, max: 12, names: MONTH_NAMES, step: true, wrap: true };
/** AWS numbering: 1 = SUN ... 7 = SAT. */
const DOW: FieldSpec = { name: "Day-of-week", min: 1, max: 7, names: DAY_NAMES, step: false, wrap: true };
const YEAR: FieldSpec = { name: "Year", min: MIN_YEAR, max: MAX_YEAR, step: true, wrap: false };

function parseCron(expr: string, inner: string): CompiledCron {
  // Upper-cased: names and the L, W letters are case-insensitive.
  const fields = inner.trim().toUpperCase().split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 6) {
    throw badExpression(expr, `expected 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), found ${fields.length}.`);
  }
  const [minF, hourF, domF, monthF, dowF, yearF] = fields as [string, string, string, string, string, string];
  const fail = (detail: string): ServiceError => badExpression(expr, detail);

  if ((domF === "?") === (dowF === "?")) {
    throw fail("exactly one of the Day-of-month and Day-of-week fields must be ?.");
  }
  const minutes = parseSetField(minF, MINUTES, fail);
  const hours = parseSetField(hourF, HOURS, fail);
  const months = parseSetField(monthF, MONTH, fail);
  const yearSet = parseSetField(yearF, YEAR, fail);
  const dayOfMonth = domF === "?" ? undefined : parseDayOfMonth(domF, fail);
  const dayOfWeek = dowF === "?" ? undefined : parseDayOfWeek(dowF, fail);

  const timesOfDay: number[] = [];
  for (let h = 0; h <= 23; h++) {
    if (!hours[h]) continue;
    for (let m = 0; m <= 59; m++) if (minutes[m]) timesOfDay.push(h * HOUR + m * 60_000);
  }
  const years: boolean[] = [];
  for (let y = MIN_YEAR; y <= MAX_YEAR; y++) years.push(yearSet[y] === true);
  return { timesOfDay, months, years, dayOfMonth, dayOfWeek };
}

/** A plain field (values, names, ranges, increments, `*`, lists) as a membership array indexed by value. */
function parseSetField(field: string, spec: FieldSpec, fail: (d: string) => ServiceError): boolean[] {
  const set: boolean[] = [];
  for (const item of splitList(field, spec, fail)) for (const v of expandItem(item, spec, fail)) set[v] = true;
  return set;
}

function splitList(field: string, spec: FieldSpec, fail: (d: string) => ServiceError): string[] {
  const items = field.split(",");
  if (items.some((i) => i === "")) throw fail(`the ${spec.name} field ${field} has an empty list element.`);
  return items;
}

function parseValue(token: string, spec: FieldSpec, fail: (d: string) => ServiceError): number {
  let v: number;
  if (/^[0-9]+$/.test(token)) v = Number(token);
  else {
    const i = spec.names?.indexOf(token) ?? -1;
    if (i < 0) throw fail(`${token} is not a valid value in the ${spec.name} field.`);
    v = spec.min + i;
  }
  if (v < spec.min || v > spec.max) throw fail(`${token} is out of range in the ${spec.name} field (${rangeText(spec)}).`);
  return v;
}

function rangeText(spec: FieldSpec): string {
  const names = spec.names;
  return names ? `${spec.min}-${spec.max} or ${names[0]}-${names[names.length - 1]}` : `${spec.min}-${spec.max}`;
}

/** `*`, `*\/s`, `a`, `a/s`, `a-b`, `a-b/s`, with wrap-around ranges where allowed. */
function expandItem(item: string, spec: FieldSpec, fail: (d: string) => ServiceError): number[] {
  const slash = item.split("/");
  if (slash.length > 2) throw fail(`${item} is not valid in the ${spec.name} field.`);
  const [base = "", stepText] = slash;
  let step = 1;
  const size = spec.max - spec.min + 1;
  if (stepText !== undefined) {
    if (!spec.step) throw fail(`increments (/) are not allowed in the ${spec.name} field.`);
    if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1 || Number(stepText) > size) {
      throw fail(`the increment in ${item} must be from 1 to ${size} in the ${spec.name} field.`);
    }
    step = Number(stepText);
  }
  let from: number;
  let to: number;
  if (base === "*") {
    from = spec.min;
    to = spec.max;
  } else {
    const dash = base.split("-");
    if (dash.length > 2 || dash.some((d) => d === "")) throw fail(`${item} is not valid in the ${spec.name} field.`);
    from = parseValue(dash[0] as string, spec, fail);
    to = dash.length === 2 ? parseValue(dash[1] as string, spec, fail) : stepText !== undefined ? spec.max : from;
    if (from > to && !spec.wrap) throw fail(`the range ${base} in the ${spec.name} field must not end before it starts.`);
  }
  const count = ((to - from + size) % size) + 1;
  const out: number[] = [];
  for (let i = 0; i < count; i += step) out.push(spec.min + ((from - spec.min + i) % size));
  return out;
}

function parseDayOfMonth(field: string, fail: (d: string) => ServiceError): DayOfMonthSpec {
  const days: boolean[] = [];
  let last = false;
  let lastWeekday = false;
  const nearestWeekday: number[] = [];
  for (const item of splitList(field, DOM, fail)) {
    if (item === "L") last = true;
    else if (item === "LW") lastWeekday = true;
    else if (/^[0-9]+W$/.test(item)) nearestWeekday.push(parseValue(item.slice(0, -1), DOM, fail));
    else if (/[LW]/.test(item)) throw fail(`${item} is not valid in the Day-of-month field (L, LW and nW are allowed alone, as in L or 15W).`);
    else for (const v of expandItem(item, DOM, fail)) days[v] = true;
  }
  return { days, last, lastWeekday, nearestWeekday };
}

function parseDayOfWeek(field: string, fail: (d: string) => ServiceError): DayOfWeekSpec {
  // Values are parsed in AWS numbering (1 = SUN ... 7 = SAT) and stored as 0 = SUN ... 6 = SAT.
  const weekdays: boolean[] = [];
  const lastOfMonth: number[] = [];
  const nth: { weekday: number; n: number }[] = [];
  for (const item of splitList(field, DOW, fail)) {
    const hash = /^([0-9]+|[A-Z]+)#([0-9]+)$/.exec(item);
    const lastM = /^([0-9]+|SUN|MON|TUE|WED|THU|FRI|SAT)L$/.exec(item);
    if (item === "L") weekdays[6] = true;
    else if (hash) {
      const weekday = parseValue(hash[1] as string, DOW, fail) - 1;
      const n = Number(hash[2]);
      if (n < 1 || n > 5) throw fail(`${item}: the occurrence after # must be from 1 to 5 in the Day-of-week field.`);
      nth.push({ weekday, n });
    } else if (lastM) {
      lastOfMonth.push(parseValue(lastM[1] as string, DOW, fail) - 1);
    } else if (/[#]/.test(item)) throw fail(`${item} is not valid in the Day-of-week field (use n#k, such as 2#1 for the first Monday).`);
    else for (const v of expandItem(item, DOW, fail)) weekdays[v - 1] = true;
  }
  return { weekdays, lastOfMonth, nth };
}

// ---------------------------------------------------------------------------------------------
// Calendar (UTC, proleptic Gregorian; day numbers count days since 1970-01-01)

function daysFromCivil(y: number, m: number, d: number): number {
  return Date.UTC(y, m - 1, d) / DAY; // Date.UTC normalizes month 13 to January of y + 1
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function dayMatches(c: CompiledCron, y: number, m: number, d: number, weekday: number): boolean {
  const dim = daysInMonth(y, m);
  const dom = c.dayOfMonth;
  if (dom) {
    if (dom.days[d]) return true;
    if (dom.last && d === dim) return true;
    const wdOf = (day: number): number => (((weekday + day - d) % 7) + 7) % 7;
    if (dom.lastWeekday) {
      const wl = wdOf(dim);
      if (d === (wl === 6 ? dim - 1 : wl === 0 ? dim - 2 : dim)) return true;
    }
    for (const n of dom.nearestWeekday) {
      if (n > dim) continue;
      const wn = wdOf(n);
      const target = wn === 6 ? (n === 1 ? 3 : n - 1) : wn === 0 ? (n === dim ? n - 2 : n + 1) : n;
      if (d === target) return true;
    }
    return false;
  }
  const dow = c.dayOfWeek;
  if (!dow) return false;
  if (dow.weekdays[weekday]) return true;
  if (d + 7 > dim && dow.lastOfMonth.includes(weekday)) return true;
  const occurrence = Math.ceil(d / 7);
  return dow.nth.some((x) => x.weekday === weekday && x.n === occurrence);
}

/** The first day number >= `day` on which the cron expression matches, or undefined (past 2199). */
function nextMatchingDay(c: CompiledCron, day: number): number | undefined {
  for (;;) {
    const date = new Date(day * DAY);
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    if (y > MAX_YEAR) return undefined;
    if (!c.years[y - MIN_YEAR]) {
      // Also before 1970 (negative index): skip ahead a year at a time.
      day = daysFromCivil(y + 1, 1, 1);
      continue;
    }
    if (!c.months[m]) {
      day = daysFromCivil(y, m + 1, 1);
      continue;
    }
    if (dayMatches(c, y, m, date.getUTCDate(), date.getUTCDay())) return day;
    day++;
  }
}

function hasConsecutiveMatchingDays(c: CompiledCron, firstDay: number): boolean {
  let prev = firstDay;
  for (;;) {
    const next = nextMatchingDay(c, prev + 1);
    if (next === undefined) return false;
    if (next === prev + 1) return true;
    prev = next;
  }
}

function nextCronStart(c: CompiledCron, from: number): number | undefined {
  let day = Math.floor(from / DAY);
  for (;;) {
    const d = nextMatchingDay(c, day);
    if (d === undefined) return undefined;
    for (const t of c.timesOfDay) {
      const at = d * DAY + t;
      if (at > from) return at;
    }
    day = d + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Windows

/**
 * The first rotation window that starts strictly after `from` (see the alignment rules at the
 * top of this file). For rate()/AutomaticallyAfterDays, `from` is the last rotation (or manual
 * change, or when rotation was configured); for cron() it is any instant. NextRotationDate =
 * window.start. Undefined only for a cron() whose year field allows no match after `from`
 * (the cron year field ends at 2199).
 */
export function nextWindow(s: RotationSchedule, from: number): RotationWindow | undefined {
  if (!Number.isFinite(from)) throw new RangeError(`nextWindow: from must be a finite time, got ${from}`);
  switch (s.kind) {
    case "days": {
      const start = (Math.floor(from / DAY) + s.days) * DAY;
      return { start, end: start + (s.durationMs ?? DAY) };
    }
    case "hours": {
      const start = from + s.hours * HOUR;
      return { start, end: start + (s.durationMs ?? HOUR) };
    }
    case "cron": {
      const start = nextCronStart(s.cron, from);
      if (start === undefined) return undefined;
      const midnight = (Math.floor(start / DAY) + 1) * DAY;
      if (s.durationMs !== undefined) return { start, end: start + s.durationMs };
      // Guess: the 1-hour default of an hours schedule is cut at 00:00 UTC rather than refused
      // (e.g. cron(30 3/4 * * ? *): the 23:30 window closes at 00:00), since AWS says windows do
      // not extend into the next UTC day and a default cannot be corrected by the user.
      return { start, end: s.subDaily ? Math.min(start + HOUR, midnight) : midnight };
    }
  }
}

/** True when `now` falls after `w.end`: a due rotation that did not happen in its window is overdue. */
export function isOverdue(w: RotationWindow, now: number): boolean {
  return now > w.end;
}
