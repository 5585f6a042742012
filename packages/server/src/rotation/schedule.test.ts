import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CronExpressionParser } from "cron-parser";
import { ServiceError } from "@keyshift/protocol";
import { compileSchedule, isOverdue, nextWindow } from "./schedule.js";
import type { RotationRules, RotationSchedule } from "./schedule.js";

const t = (iso: string): number => {
  const ms = Date.parse(iso.endsWith("Z") ? iso : `${iso}Z`);
  assert.ok(Number.isFinite(ms), `bad test date ${iso}`);
  return ms;
};
const iso = (ms: number): string => new Date(ms).toISOString().replace(":00.000Z", "").replace(/\.000Z$/, "");
const cron = (e: string, Duration?: string): RotationRules => ({ ScheduleExpression: e, ...(Duration ? { Duration } : {}) });

/** The first `n` windows, each searched from the previous window's start (as after an on-time rotation). */
function windows(rules: RotationRules, from: string, n: number): string[] {
  const s = compileSchedule(rules);
  const out: string[] = [];
  let f = t(from);
  for (let i = 0; i < n; i++) {
    const w = nextWindow(s, f);
    if (!w) {
      out.push("none");
      break;
    }
    out.push(`${iso(w.start)}..${iso(w.end)}`);
    f = w.start;
  }
  return out;
}

function assertInvalid(rules: RotationRules, message: string): void {
  assert.throws(
    () => compileSchedule(rules),
    (e: unknown) => {
      assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
      assert.equal(e.code, "InvalidParameterException");
      assert.equal(e.message, message);
      return true;
    },
  );
}

describe("compileSchedule accepts valid rules", () => {
  const valid: [RotationRules, RotationSchedule["kind"]][] = [
    [{ AutomaticallyAfterDays: 1 }, "days"],
    [{ AutomaticallyAfterDays: 1000 }, "days"],
    [{ AutomaticallyAfterDays: 30, Duration: "3h" }, "days"],
    [{ AutomaticallyAfterDays: 30, Duration: "24h" }, "days"],
    [{ AutomaticallyAfterDays: 30, Duration: "03h" }, "days"],
    [cron("rate(4 hours)"), "hours"],
    [cron("rate(12 hours)", "12h"), "hours"],
    [cron("rate(24000 hours)"), "hours"],
    [cron("rate(1 day)"), "days"],
    [cron("rate(1 days)"), "days"],
    [cron("rate(10 days)", "2h"), "days"],
    [cron("rate(1000 days)"), "days"],
    [cron("rate( 10   days )"), "days"],
    [cron("cron(0 16 ? * 2 *)"), "cron"],
    [cron("cron(0 8 1 * ? *)"), "cron"],
    [cron("cron(0 8 ? * MON-FRI *)"), "cron"],
    [cron("cron(0 8 ? * mon-fri *)"), "cron"],
    [cron("cron(0 0/4 * * ? *)", "4h"), "cron"],
    [cron("cron(0 */6 * * ? *)"), "cron"],
    [cron("cron(0 2-22/10 * * ? *)"), "cron"],
    // 00:30, 05:30, ..., 20:30, then 00:30 the next day: exactly 4 h apart.
    [cron("cron(30 0/5 * * ? *)"), "cron"],
    [cron("cron(0 8 L * ? *)"), "cron"],
    [cron("cron(0 8 LW * ? *)"), "cron"],
    [cron("cron(0 8 15W * ? *)"), "cron"],
    [cron("cron(0 8 1,15,L * ? *)"), "cron"],
    [cron("cron(0 8 ? * L *)"), "cron"],
    [cron("cron(0 8 ? * 6L *)"), "cron"],
    [cron("cron(0 8 ? * FRIL *)"), "cron"],
    [cron("cron(0 8 ? * 2#1 *)"), "cron"],
    [cron("cron(0 8 ? * MON#1,6L *)"), "cron"],
    [cron("cron(0 8 ? * FRI-MON *)"), "cron"],
    [cron("cron(0 10 1,15 JAN,JUL ? 2025-2030)"), "cron"],
    [cron("cron(0 10 1 1 ? 2199)"), "cron"],
    [cron("cron(0 10 1 1 ? 2024/2)"), "cron"],
    [cron("cron(0 0,12 * * ? *)", "12h"), "cron"],
    [cron("cron(0 20 * * ? *)", "4h"), "cron"],
    // 23:00 and 01:00 on days that are never consecutive: at least 46 h apart.
    [cron("cron(0 1,23 ? * MON,WED *)"), "cron"],
    [cron("cron(0 1,23 1,15 * ? *)"), "cron"],
    [cron("cron(0 1,23 ? * 6L,2#1 *)"), "cron"],
    // 28 Feb and 1 Mar are not consecutive in a leap year.
    [cron("cron(0 1,23 28,1 2,3 ? 2024)"), "cron"],
    [{ AutomaticallyAfterDays: 7, Duration: undefined, ScheduleExpression: undefined }, "days"],
    // 256 characters, the longest ScheduleExpression allowed.
    [cron(`cron(00 8 1 1 ? ${Array.from({ length: 48 }, (_, i) => 2030 + i).join(",")})`), "cron"],
  ];
  for (const [rules, kind] of valid) {
    it(`${JSON.stringify(rules)} -> ${kind}`, () => {
      assert.equal(compileSchedule(rules).kind, kind);
    });
  }

  it("keeps the rules it was given and freezes the schedule deeply", () => {
    const s = compileSchedule(cron("cron(0 8 ? * 2#1 *)", "3h"));
    assert.deepEqual(s.rules, { ScheduleExpression: "cron(0 8 ? * 2#1 *)", Duration: "3h" });
    assert.equal(s.durationMs, 3 * 3_600_000);
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.rules));
    assert.equal(s.kind, "cron");
    if (s.kind !== "cron") return;
    assert.ok(Object.isFrozen(s.cron.timesOfDay) && Object.isFrozen(s.cron.dayOfWeek?.nth));
    assert.throws(() => {
      (s.cron.timesOfDay as number[]).push(1);
    }, TypeError);
  });

  it("does not keep a reference to the caller's rules", () => {
    const rules: RotationRules = { AutomaticallyAfterDays: 2 };
    const s = compileSchedule(rules);
    rules.AutomaticallyAfterDays = 9;
    assert.equal(s.kind === "days" && s.days, 2);
    assert.equal(nextWindow(s, t("2024-01-01T05:00"))?.start, t("2024-01-03"));
  });
});

describe("compileSchedule rejects invalid rules with AWS-style messages", () => {
  const both = "You cannot specify both rotation frequency and schedule expression together.";
  const neither = "RotationRules must contain either AutomaticallyAfterDays or ScheduleExpression.";
  const days = "RotationRules.AutomaticallyAfterDays must be within 1-1000.";
  const durFormat = (d: string) => `Invalid Duration ${d}: the rotation window length must be a whole number of hours such as 3h.`;
  const durRange = (d: string) => `Invalid Duration ${d}: the rotation window must be from 1h to 24h long.`;
  const bad = (e: string, detail: string) => `Invalid ScheduleExpression ${e}: ${detail}`;
  const fourHours = (e: string, a: string, b: string, gap: string) =>
    bad(e, `rotations at ${a} and ${b} UTC would be ${gap} apart; rotations must be at least 4 hours apart.`);
  const oneQuestionMark = "exactly one of the Day-of-month and Day-of-week fields must be ?.";
  const sixFields = (n: number) => `expected 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), found ${n}.`;
  const shape = "expected rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year).";
  const rateShape = "expected rate(value unit) with a whole number value, such as rate(10 days) or rate(12 hours).";
  const domSpecial = (i: string) => `${i} is not valid in the Day-of-month field (L, LW and nW are allowed alone, as in L or 15W).`;

  const invalid: [RotationRules, string][] = [
    // Which rules
    [{ AutomaticallyAfterDays: 30, ScheduleExpression: "rate(10 days)" }, both],
    [{ AutomaticallyAfterDays: 30, ScheduleExpression: "cron(0 8 1 * ? *)", Duration: "2h" }, both],
    [{}, neither],
    [{ Duration: "3h" }, neither],
    // AutomaticallyAfterDays
    [{ AutomaticallyAfterDays: 0 }, days],
    [{ AutomaticallyAfterDays: -1 }, days],
    [{ AutomaticallyAfterDays: 1001 }, days],
    [{ AutomaticallyAfterDays: 1.5 }, days],
    [{ AutomaticallyAfterDays: Number.NaN }, days],
    [{ AutomaticallyAfterDays: "7" as unknown as number }, days],
    // Duration
    [{ AutomaticallyAfterDays: 1, Duration: "0h" }, durRange("0h")],
    [{ AutomaticallyAfterDays: 1, Duration: "00h" }, durRange("00h")],
    [{ AutomaticallyAfterDays: 1, Duration: "25h" }, durRange("25h")],
    [{ AutomaticallyAfterDays: 1, Duration: "99h" }, durRange("99h")],
    [{ AutomaticallyAfterDays: 1, Duration: "100h" }, durFormat("100h")],
    [{ AutomaticallyAfterDays: 1, Duration: "3" }, durFormat("3")],
    [{ AutomaticallyAfterDays: 1, Duration: "h3" }, durFormat("h3")],
    [{ AutomaticallyAfterDays: 1, Duration: "1h2" }, durFormat("1h2")],
    [{ AutomaticallyAfterDays: 1, Duration: "3H" }, durFormat("3H")],
    [{ AutomaticallyAfterDays: 1, Duration: "hh" }, durFormat("hh")],
    [{ AutomaticallyAfterDays: 1, Duration: "" }, durFormat("")],
    [{ AutomaticallyAfterDays: 1, Duration: "180m" }, durFormat("180m")],
    [cron("rate(10 days)", "25h"), durRange("25h")],
    // Expression shape
    [cron(""), "ScheduleExpression must be between 1 and 256 characters long."],
    // 257 characters (the 256-character one above with one more 0).
    [cron(`cron(000 8 1 1 ? ${Array.from({ length: 48 }, (_, i) => 2030 + i).join(",")})`), "ScheduleExpression must be between 1 and 256 characters long."],
    [cron("every 10 days"), bad("every 10 days", shape)],
    [cron("CRON(0 8 * * ? *)"), bad("CRON(0 8 * * ? *)", shape)],
    [cron("cron (0 8 * * ? *)"), bad("cron (0 8 * * ? *)", shape)],
    [cron(" rate(10 days)"), bad(" rate(10 days)", shape)],
    [cron("at(2024-01-01T00:00:00)"), bad("at(2024-01-01T00:00:00)", shape)],
    // rate()
    [cron("rate(10)"), bad("rate(10)", rateShape)],
    [cron("rate(ten days)"), bad("rate(ten days)", rateShape)],
    [cron("rate(-1 days)"), bad("rate(-1 days)", rateShape)],
    [cron("rate(1.5 days)"), bad("rate(1.5 days)", rateShape)],
    [cron("rate(10 days 2 hours)"), bad("rate(10 days 2 hours)", rateShape)],
    [cron("rate(30 minutes)"), bad("rate(30 minutes)", "the unit must be hours or days, not minutes.")],
    [cron("rate(2 weeks)"), bad("rate(2 weeks)", "the unit must be hours or days, not weeks.")],
    [cron("rate(10 Days)"), bad("rate(10 Days)", "the unit must be hours or days, not Days.")],
    [cron("rate(2 day)"), bad("rate(2 day)", "use days for a value other than 1.")],
    [cron("rate(5 hour)"), bad("rate(5 hour)", "use hours for a value other than 1.")],
    [cron("rate(1 hour)"), bad("rate(1 hour)", "rotations must be at least 4 hours apart.")],
    [cron("rate(3 hours)"), bad("rate(3 hours)", "rotations must be at least 4 hours apart.")],
    [cron("rate(0 hours)"), bad("rate(0 hours)", "rotations must be at least 4 hours apart.")],
    [cron("rate(0 days)"), bad("rate(0 days)", "the number of days must be at least 1.")],
    [cron("rate(1001 days)"), bad("rate(1001 days)", "rotations must be at most 1000 days apart.")],
    [cron("rate(24001 hours)"), bad("rate(24001 hours)", "rotations must be at most 1000 days (24000 hours) apart.")],
    [
      cron("rate(4 hours)", "5h"),
      "The rotation window (Duration 5h) must not extend into the next rotation window, which starts 4 hours later.",
    ],
    // cron() fields
    [cron("cron(0 8 * * *)"), bad("cron(0 8 * * *)", sixFields(5))],
    [cron("cron(0 0 8 * * ? *)"), bad("cron(0 0 8 * * ? *)", sixFields(7))],
    [cron("cron()"), bad("cron()", sixFields(0))],
    [cron("cron(0 8 * * * *)"), bad("cron(0 8 * * * *)", oneQuestionMark)],
    [cron("cron(0 8 ? * ? *)"), bad("cron(0 8 ? * ? *)", oneQuestionMark)],
    [cron("cron(0 8 1 * MON *)"), bad("cron(0 8 1 * MON *)", oneQuestionMark)],
    [cron("cron(? 8 1 * ? *)"), bad("cron(? 8 1 * ? *)", "? is not a valid value in the Minutes field.")],
    [cron("cron(60 8 * * ? *)"), bad("cron(60 8 * * ? *)", "60 is out of range in the Minutes field (0-59).")],
    [cron("cron(0 24 * * ? *)"), bad("cron(0 24 * * ? *)", "24 is out of range in the Hours field (0-23).")],
    [cron("cron(0 8 32 * ? *)"), bad("cron(0 8 32 * ? *)", "32 is out of range in the Day-of-month field (1-31).")],
    [cron("cron(0 8 0 * ? *)"), bad("cron(0 8 0 * ? *)", "0 is out of range in the Day-of-month field (1-31).")],
    [cron("cron(0 8 1 13 ? *)"), bad("cron(0 8 1 13 ? *)", "13 is out of range in the Month field (1-12 or JAN-DEC).")],
    [cron("cron(0 8 1 JANUARY ? *)"), bad("cron(0 8 1 JANUARY ? *)", "JANUARY is not a valid value in the Month field.")],
    [cron("cron(0 8 1 MON ? *)"), bad("cron(0 8 1 MON ? *)", "MON is not a valid value in the Month field.")],
    [cron("cron(0 8 ? * 0 *)"), bad("cron(0 8 ? * 0 *)", "0 is out of range in the Day-of-week field (1-7 or SUN-SAT).")],
    [cron("cron(0 8 ? * 8 *)"), bad("cron(0 8 ? * 8 *)", "8 is out of range in the Day-of-week field (1-7 or SUN-SAT).")],
    [cron("cron(0 8 ? * 1-8 *)"), bad("cron(0 8 ? * 1-8 *)", "8 is out of range in the Day-of-week field (1-7 or SUN-SAT).")],
    [cron("cron(0 8 ? * fun *)"), bad("cron(0 8 ? * fun *)", "FUN is not a valid value in the Day-of-week field.")],
    [cron("cron(0 8 ? * JAN *)"), bad("cron(0 8 ? * JAN *)", "JAN is not a valid value in the Day-of-week field.")],
    [cron("cron(0 8 1 * ? 1969)"), bad("cron(0 8 1 * ? 1969)", "1969 is out of range in the Year field (1970-2199).")],
    [cron("cron(0 8 1 * ? 2200)"), bad("cron(0 8 1 * ? 2200)", "2200 is out of range in the Year field (1970-2199).")],
    [cron("cron(0 8 1 * ? 24)"), bad("cron(0 8 1 * ? 24)", "24 is out of range in the Year field (1970-2199).")],
    [
      cron("cron(0 8 1 * ? 2030-2025)"),
      bad("cron(0 8 1 * ? 2030-2025)", "the range 2030-2025 in the Year field must not end before it starts."),
    ],
    [cron("cron(0 8-10-12 * * ? *)"), bad("cron(0 8-10-12 * * ? *)", "8-10-12 is not valid in the Hours field.")],
    [cron("cron(0 8- * * ? *)"), bad("cron(0 8- * * ? *)", "8- is not valid in the Hours field.")],
    [cron("cron(0 0/4/2 * * ? *)"), bad("cron(0 0/4/2 * * ? *)", "0/4/2 is not valid in the Hours field.")],
    [cron("cron(0 1,,13 * * ? *)"), bad("cron(0 1,,13 * * ? *)", "the Hours field 1,,13 has an empty list element.")],
    [cron("cron(0 8 ? * MON/2 *)"), bad("cron(0 8 ? * MON/2 *)", "increments (/) are not allowed in the Day-of-week field.")],
    [cron("cron(0 0/0 * * ? *)"), bad("cron(0 0/0 * * ? *)", "the increment in 0/0 must be from 1 to 24 in the Hours field.")],
    [cron("cron(0/61 8 * * ? *)"), bad("cron(0/61 8 * * ? *)", "the increment in 0/61 must be from 1 to 60 in the Minutes field.")],
    [cron("cron(0 8 1/x * ? *)"), bad("cron(0 8 1/x * ? *)", "the increment in 1/X must be from 1 to 31 in the Day-of-month field.")],
    [cron("cron(0 8 ? * 2#6 *)"), bad("cron(0 8 ? * 2#6 *)", "2#6: the occurrence after # must be from 1 to 5 in the Day-of-week field.")],
    [cron("cron(0 8 ? * 2#0 *)"), bad("cron(0 8 ? * 2#0 *)", "2#0: the occurrence after # must be from 1 to 5 in the Day-of-week field.")],
    [cron("cron(0 8 ? * 8#1 *)"), bad("cron(0 8 ? * 8#1 *)", "8 is out of range in the Day-of-week field (1-7 or SUN-SAT).")],
    [cron("cron(0 8 ? * 0L *)"), bad("cron(0 8 ? * 0L *)", "0 is out of range in the Day-of-week field (1-7 or SUN-SAT).")],
    [
      cron("cron(0 8 ? * #1 *)"),
      bad("cron(0 8 ? * #1 *)", "#1 is not valid in the Day-of-week field (use n#k, such as 2#1 for the first Monday)."),
    ],
    [
      cron("cron(0 8 ? * 2#1-3 *)"),
      bad("cron(0 8 ? * 2#1-3 *)", "2#1-3 is not valid in the Day-of-week field (use n#k, such as 2#1 for the first Monday)."),
    ],
    [cron("cron(0 8 L-3 * ? *)"), bad("cron(0 8 L-3 * ? *)", domSpecial("L-3"))],
    [cron("cron(0 8 1-L * ? *)"), bad("cron(0 8 1-L * ? *)", domSpecial("1-L"))],
    [cron("cron(0 8 15W-20 * ? *)"), bad("cron(0 8 15W-20 * ? *)", domSpecial("15W-20"))],
    [cron("cron(0 8 W * ? *)"), bad("cron(0 8 W * ? *)", domSpecial("W"))],
    [cron("cron(0 8 32W * ? *)"), bad("cron(0 8 32W * ? *)", "32 is out of range in the Day-of-month field (1-31).")],
    [cron("cron(0 8 1#1 * ? *)"), bad("cron(0 8 1#1 * ? *)", "1#1 is not a valid value in the Day-of-month field.")],
    [cron("cron(0 8 1 L ? *)"), bad("cron(0 8 1 L ? *)", "L is not a valid value in the Month field.")],
    [cron("cron(0 H * * ? *)"), bad("cron(0 H * * ? *)", "H is not a valid value in the Hours field.")],
    // Never matching
    [cron("cron(0 0 30 2 ? *)"), bad("cron(0 0 30 2 ? *)", "the expression never matches a date.")],
    [cron("cron(0 0 31 4,6,9,11 ? *)"), bad("cron(0 0 31 4,6,9,11 ? *)", "the expression never matches a date.")],
    [cron("cron(0 0 29 2 ? 2097-2103)"), bad("cron(0 0 29 2 ? 2097-2103)", "the expression never matches a date.")],
    // At least 4 hours between rotations
    [cron("cron(* 8 * * ? *)"), fourHours("cron(* 8 * * ? *)", "08:00", "08:01", "1 minute")],
    [cron("cron(0/30 8 * * ? *)"), fourHours("cron(0/30 8 * * ? *)", "08:00", "08:30", "30 minutes")],
    [cron("cron(0 8-9 * * ? *)"), fourHours("cron(0 8-9 * * ? *)", "08:00", "09:00", "1 hour")],
    [cron("cron(0 * * * ? *)"), fourHours("cron(0 * * * ? *)", "00:00", "01:00", "1 hour")],
    [cron("cron(0 8,10 * * ? *)"), fourHours("cron(0 8,10 * * ? *)", "08:00", "10:00", "2 hours")],
    [cron("cron(0 0/3 * * ? *)"), fourHours("cron(0 0/3 * * ? *)", "00:00", "03:00", "3 hours")],
    [cron("cron(0 22-2 * * ? *)"), fourHours("cron(0 22-2 * * ? *)", "00:00", "01:00", "1 hour")],
    // 0/7 matches 0, 7, 14, 21: 21:00 to 00:00 the next day is 3 h.
    [cron("cron(0 0/7 * * ? *)"), fourHours("cron(0 0/7 * * ? *)", "21:00", "00:00", "3 hours")],
    // 23:00 then 01:00 the next day, only when two matching days are consecutive.
    [cron("cron(0 1,23 * * ? *)"), fourHours("cron(0 1,23 * * ? *)", "23:00", "01:00", "2 hours")],
    [cron("cron(0 1,23 1,L * ? *)"), fourHours("cron(0 1,23 1,L * ? *)", "23:00", "01:00", "2 hours")],
    [cron("cron(0 1,23 ? * MON,TUE *)"), fourHours("cron(0 1,23 ? * MON,TUE *)", "23:00", "01:00", "2 hours")],
    [cron("cron(0 1,23 ? * 1,7 *)"), fourHours("cron(0 1,23 ? * 1,7 *)", "23:00", "01:00", "2 hours")],
    // Last Saturday of August 2024 is the 31st; 1 September 2024 is the first Sunday.
    [cron("cron(0 1,23 ? * 7L,1#1 *)"), fourHours("cron(0 1,23 ? * 7L,1#1 *)", "23:00", "01:00", "2 hours")],
    [cron("cron(0 1,23 28,1 2,3 ? 2025)"), fourHours("cron(0 1,23 28,1 2,3 ? 2025)", "23:00", "01:00", "2 hours")],
    // Windows
    [
      cron("cron(0 20 * * ? *)", "5h"),
      "The rotation window (Duration 5h) starting at 20:00 UTC must not extend into the next UTC day.",
    ],
    [
      cron("cron(30 23 L * ? *)", "1h"),
      "The rotation window (Duration 1h) starting at 23:30 UTC must not extend into the next UTC day.",
    ],
    [
      cron("cron(0 8,20 * * ? *)", "5h"),
      "The rotation window (Duration 5h) starting at 20:00 UTC must not extend into the next UTC day.",
    ],
    [
      cron("cron(0 0/6 * * ? *)", "7h"),
      "The rotation window (Duration 7h) must not extend into the next rotation window, which can start 6 hours later.",
    ],
    [
      cron("cron(0 0,12 * * ? *)", "13h"),
      "The rotation window (Duration 13h) must not extend into the next rotation window, which can start 12 hours later.",
    ],
    // Monday 21:00 is 4 hours before Tuesday 01:00.
    [
      cron("cron(0 1,21 ? * MON,TUE *)", "5h"),
      "The rotation window (Duration 5h) must not extend into the next rotation window, which can start 4 hours later.",
    ],
  ];
  for (const [rules, message] of invalid) {
    it(`${JSON.stringify(rules)}`, () => assertInvalid(rules, message));
  }

  it("treats null members as absent", () => {
    const rules = { AutomaticallyAfterDays: 3, ScheduleExpression: null, Duration: null } as unknown as RotationRules;
    assert.equal(compileSchedule(rules).kind, "days");
    assertInvalid({ ScheduleExpression: null, AutomaticallyAfterDays: null } as unknown as RotationRules, neither);
  });
});

describe("nextWindow: AutomaticallyAfterDays (midnight UTC of from's day + N, until the end of that day)", () => {
  const cases: [RotationRules, string, string][] = [
    [{ AutomaticallyAfterDays: 30 }, "2024-01-15T13:45", "2024-02-14T00:00..2024-02-15T00:00"],
    [{ AutomaticallyAfterDays: 1 }, "2024-05-01T00:00", "2024-05-02T00:00..2024-05-03T00:00"],
    [{ AutomaticallyAfterDays: 1 }, "2023-12-31T23:59:59.999", "2024-01-01T00:00..2024-01-02T00:00"],
    [{ AutomaticallyAfterDays: 1 }, "2024-02-28T10:00", "2024-02-29T00:00..2024-03-01T00:00"],
    [{ AutomaticallyAfterDays: 1 }, "2023-02-28T10:00", "2023-03-01T00:00..2023-03-02T00:00"],
    [{ AutomaticallyAfterDays: 1 }, "2024-02-29T23:00", "2024-03-01T00:00..2024-03-02T00:00"],
    [{ AutomaticallyAfterDays: 2 }, "2024-04-30T12:00", "2024-05-02T00:00..2024-05-03T00:00"],
    [{ AutomaticallyAfterDays: 365 }, "2024-01-01T08:00", "2024-12-31T00:00..2025-01-01T00:00"],
    [{ AutomaticallyAfterDays: 365 }, "2023-03-01T08:00", "2024-02-29T00:00..2024-03-01T00:00"],
    [{ AutomaticallyAfterDays: 1000 }, "2024-01-01T00:00", "2026-09-27T00:00..2026-09-28T00:00"],
    [{ AutomaticallyAfterDays: 7, Duration: "3h" }, "2024-03-30T12:00", "2024-04-06T00:00..2024-04-06T03:00"],
    [{ AutomaticallyAfterDays: 7, Duration: "24h" }, "2024-12-28T12:00", "2025-01-04T00:00..2025-01-05T00:00"],
  ];
  for (const [rules, from, expected] of cases) {
    it(`${JSON.stringify(rules)} from ${from}`, () => assert.deepEqual(windows(rules, from, 1), [expected]));
  }

  it("repeats every N days from the previous rotation", () => {
    assert.deepEqual(windows({ AutomaticallyAfterDays: 15 }, "2024-12-20T17:00", 3), [
      "2025-01-04T00:00..2025-01-05T00:00",
      "2025-01-19T00:00..2025-01-20T00:00",
      "2025-02-03T00:00..2025-02-04T00:00",
    ]);
  });

  it("uses the time of the last rotation, not of the window", () => {
    const s = compileSchedule({ AutomaticallyAfterDays: 10 });
    // Rotated late in its window: the next window still counts from that rotation's day.
    assert.equal(nextWindow(s, t("2024-06-10T23:59"))?.start, t("2024-06-20"));
    assert.equal(nextWindow(s, t("2024-06-11T00:00"))?.start, t("2024-06-21"));
  });
});

describe("nextWindow: rate()", () => {
  const cases: [RotationRules, string, string[]][] = [
    [cron("rate(10 days)"), "2024-12-25T18:00", ["2025-01-04T00:00..2025-01-05T00:00", "2025-01-14T00:00..2025-01-15T00:00"]],
    [cron("rate(1 day)"), "2024-02-28T18:00", ["2024-02-29T00:00..2024-03-01T00:00", "2024-03-01T00:00..2024-03-02T00:00"]],
    [cron("rate(1 days)", "24h"), "2023-12-31T00:00", ["2024-01-01T00:00..2024-01-02T00:00"]],
    [cron("rate(3 days)", "6h"), "2024-06-01T07:00", ["2024-06-04T00:00..2024-06-04T06:00", "2024-06-07T00:00..2024-06-07T06:00"]],
    // Hours: not aligned; 1-hour window by default; may cross 00:00 UTC.
    [cron("rate(4 hours)"), "2024-01-01T22:30", ["2024-01-02T02:30..2024-01-02T03:30", "2024-01-02T06:30..2024-01-02T07:30"]],
    [cron("rate(6 hours)"), "2024-12-31T20:00", ["2025-01-01T02:00..2025-01-01T03:00"]],
    [cron("rate(4 hours)"), "2024-01-01T23:30", ["2024-01-02T03:30..2024-01-02T04:30"]],
    [cron("rate(12 hours)", "3h"), "2024-02-28T20:15", ["2024-02-29T08:15..2024-02-29T11:15", "2024-02-29T20:15..2024-02-29T23:15"]],
    [cron("rate(12 hours)", "12h"), "2024-02-28T20:00", ["2024-02-29T08:00..2024-02-29T20:00"]],
    [cron("rate(4 hours)"), "2024-01-01T21:00", ["2024-01-02T01:00..2024-01-02T02:00"]],
    [cron("rate(48 hours)"), "2024-02-28T05:00:30", ["2024-03-01T05:00:30..2024-03-01T06:00:30"]],
  ];
  for (const [rules, from, expected] of cases) {
    it(`${rules.ScheduleExpression} ${rules.Duration ?? ""} from ${from}`, () => assert.deepEqual(windows(rules, from, expected.length), expected));
  }

  it("rate(N days) and AutomaticallyAfterDays N are the same schedule", () => {
    const a = compileSchedule({ AutomaticallyAfterDays: 9 });
    const b = compileSchedule(cron("rate(9 days)"));
    for (const from of ["2024-01-01T00:00", "2024-02-25T23:59", "2023-12-30T12:00"]) {
      assert.deepEqual(nextWindow(a, t(from)), nextWindow(b, t(from)));
    }
  });
});

describe("nextWindow: cron()", () => {
  const cases: [string, RotationRules, string, string[]][] = [
    // AWS day-of-week numbers: 1 = SUN ... 7 = SAT. 2024-07-03 is a Wednesday.
    ["2 is Monday", cron("cron(0 16 ? * 2 *)"), "2024-07-03T00:00", ["2024-07-08T16:00..2024-07-09T00:00", "2024-07-15T16:00..2024-07-16T00:00"]],
    ["MON is Monday", cron("cron(0 16 ? * MON *)"), "2024-07-03T00:00", ["2024-07-08T16:00..2024-07-09T00:00"]],
    ["1 is Sunday", cron("cron(0 10 ? * 1 *)"), "2024-07-03T00:00", ["2024-07-07T10:00..2024-07-08T00:00"]],
    ["7 is Saturday", cron("cron(0 10 ? * 7 *)"), "2024-07-03T00:00", ["2024-07-06T10:00..2024-07-07T00:00"]],
    ["L alone is Saturday", cron("cron(0 10 ? * L *)"), "2024-07-03T00:00", ["2024-07-06T10:00..2024-07-07T00:00"]],
    [
      "range 2-6 is MON-FRI",
      cron("cron(0 8 ? * 2-6 *)"),
      "2024-07-05T09:00",
      ["2024-07-08T08:00..2024-07-09T00:00", "2024-07-09T08:00..2024-07-10T00:00", "2024-07-10T08:00..2024-07-11T00:00", "2024-07-11T08:00..2024-07-12T00:00", "2024-07-12T08:00..2024-07-13T00:00", "2024-07-15T08:00..2024-07-16T00:00"],
    ],
    [
      "list 1,7 is the weekend",
      cron("cron(0 8 ? * 1,7 *)"),
      "2024-07-03T00:00",
      ["2024-07-06T08:00..2024-07-07T00:00", "2024-07-07T08:00..2024-07-08T00:00", "2024-07-13T08:00..2024-07-14T00:00"],
    ],
    [
      "wrapping range FRI-MON",
      cron("cron(0 8 ? * FRI-MON *)"),
      "2024-07-03T00:00",
      ["2024-07-05T08:00..2024-07-06T00:00", "2024-07-06T08:00..2024-07-07T00:00", "2024-07-07T08:00..2024-07-08T00:00", "2024-07-08T08:00..2024-07-09T00:00", "2024-07-12T08:00..2024-07-13T00:00"],
    ],
    ["lower-case names", cron("cron(0 8 ? * sat *)"), "2024-07-03T00:00", ["2024-07-06T08:00..2024-07-07T00:00"]],
    // Day of month with ? in day-of-week
    ["1st of the month", cron("cron(0 8 1 * ? *)"), "2024-12-01T08:00", ["2025-01-01T08:00..2025-01-02T00:00", "2025-02-01T08:00..2025-02-02T00:00"]],
    [
      "L: last day of month, leap February",
      cron("cron(0 20 L * ? *)"),
      "2024-01-15T00:00",
      ["2024-01-31T20:00..2024-02-01T00:00", "2024-02-29T20:00..2024-03-01T00:00", "2024-03-31T20:00..2024-04-01T00:00", "2024-04-30T20:00..2024-05-01T00:00"],
    ],
    ["L strictly after from, across the year", cron("cron(0 20 L * ? *)"), "2023-12-31T20:00", ["2024-01-31T20:00..2024-02-01T00:00"]],
    [
      "1,15,L list",
      cron("cron(0 6 1,15,L * ? *)"),
      "2023-02-10T00:00",
      ["2023-02-15T06:00..2023-02-16T00:00", "2023-02-28T06:00..2023-03-01T00:00", "2023-03-01T06:00..2023-03-02T00:00", "2023-03-15T06:00..2023-03-16T00:00"],
    ],
    [
      "LW: last weekday (Mar 31 2024 Sun, Jun 30 Sun, Aug 31 Sat)",
      cron("cron(0 8 LW * ? *)"),
      "2024-03-01T00:00",
      ["2024-03-29T08:00..2024-03-30T00:00", "2024-04-30T08:00..2024-05-01T00:00", "2024-05-31T08:00..2024-06-01T00:00", "2024-06-28T08:00..2024-06-29T00:00", "2024-07-31T08:00..2024-08-01T00:00", "2024-08-30T08:00..2024-08-31T00:00"],
    ],
    [
      "1W: Saturday 1st -> Monday 3rd, Sunday 1st -> Monday 2nd",
      cron("cron(0 8 1W * ? *)"),
      "2024-05-15T00:00",
      ["2024-06-03T08:00..2024-06-04T00:00", "2024-07-01T08:00..2024-07-02T00:00", "2024-08-01T08:00..2024-08-02T00:00", "2024-09-02T08:00..2024-09-03T00:00"],
    ],
    [
      "15W: Saturday -> Friday, Sunday -> Monday",
      cron("cron(0 8 15W * ? *)"),
      "2024-06-01T00:00",
      ["2024-06-14T08:00..2024-06-15T00:00", "2024-07-15T08:00..2024-07-16T00:00", "2024-08-15T08:00..2024-08-16T00:00", "2024-09-16T08:00..2024-09-17T00:00"],
    ],
    [
      "30W: Sunday 30 June (last day) -> Friday 28; none in February",
      cron("cron(0 8 30W * ? *)"),
      "2024-06-01T00:00",
      ["2024-06-28T08:00..2024-06-29T00:00", "2024-07-30T08:00..2024-07-31T00:00"],
    ],
    ["30W skips February", cron("cron(0 8 30W * ? *)"), "2025-01-31T00:00", ["2025-03-31T08:00..2025-04-01T00:00"]],
    ["31W only in 31-day months", cron("cron(0 8 31W * ? *)"), "2024-04-01T00:00", ["2024-05-31T08:00..2024-06-01T00:00"]],
    [
      "2#1: first Monday",
      cron("cron(0 8 ? * 2#1 *)"),
      "2024-06-15T00:00",
      ["2024-07-01T08:00..2024-07-02T00:00", "2024-08-05T08:00..2024-08-06T00:00", "2024-09-02T08:00..2024-09-03T00:00"],
    ],
    [
      "MON#2: second Monday",
      cron("cron(0 8 ? * MON#2 *)"),
      "2024-07-01T00:00",
      ["2024-07-08T08:00..2024-07-09T00:00", "2024-08-12T08:00..2024-08-13T00:00", "2024-09-09T08:00..2024-09-10T00:00"],
    ],
    [
      "6#5: fifth Friday, only in months that have one",
      cron("cron(0 8 ? * 6#5 *)"),
      "2024-04-01T00:00",
      ["2024-05-31T08:00..2024-06-01T00:00", "2024-08-30T08:00..2024-08-31T00:00", "2024-11-29T08:00..2024-11-30T00:00", "2025-01-31T08:00..2025-02-01T00:00"],
    ],
    [
      "6L: last Friday",
      cron("cron(0 8 ? * 6L *)"),
      "2024-07-01T00:00",
      ["2024-07-26T08:00..2024-07-27T00:00", "2024-08-30T08:00..2024-08-31T00:00", "2024-09-27T08:00..2024-09-28T00:00"],
    ],
    ["FRIL: last Friday by name", cron("cron(0 8 ? * FRIL *)"), "2024-07-01T00:00", ["2024-07-26T08:00..2024-07-27T00:00"]],
    [
      "2#1,6L: first Monday and last Friday",
      cron("cron(0 8 ? * 2#1,6L *)"),
      "2024-07-01T09:00",
      ["2024-07-26T08:00..2024-07-27T00:00", "2024-08-05T08:00..2024-08-06T00:00", "2024-08-30T08:00..2024-08-31T00:00", "2024-09-02T08:00..2024-09-03T00:00"],
    ],
    // Hours: several matches a day -> 1-hour windows by default
    [
      "15 0/8: 00:15, 08:15, 16:15 across the year end",
      cron("cron(15 0/8 * * ? *)"),
      "2024-12-31T20:00",
      ["2025-01-01T00:15..2025-01-01T01:15", "2025-01-01T08:15..2025-01-01T09:15", "2025-01-01T16:15..2025-01-01T17:15", "2025-01-02T00:15..2025-01-02T01:15"],
    ],
    [
      "*/6 with a 4h window",
      cron("cron(0 */6 * * ? *)", "4h"),
      "2024-03-10T05:00",
      ["2024-03-10T06:00..2024-03-10T10:00", "2024-03-10T12:00..2024-03-10T16:00"],
    ],
    [
      "2-22/10: 02:00, 12:00, 22:00",
      cron("cron(0 2-22/10 * * ? *)"),
      "2024-01-01T00:00",
      ["2024-01-01T02:00..2024-01-01T03:00", "2024-01-01T12:00..2024-01-01T13:00", "2024-01-01T22:00..2024-01-01T23:00", "2024-01-02T02:00..2024-01-02T03:00"],
    ],
    [
      "default 1h window cut at midnight",
      cron("cron(30 3/4 * * ? *)"),
      "2024-01-01T20:00",
      ["2024-01-01T23:30..2024-01-02T00:00", "2024-01-02T03:30..2024-01-02T04:30"],
    ],
    ["0,12 with a 12h window", cron("cron(0 0,12 * * ? *)", "12h"), "2024-01-01T00:00", ["2024-01-01T12:00..2024-01-02T00:00", "2024-01-02T00:00..2024-01-02T12:00"]],
    ["weekday hours, 23:00 and 03:00", cron("cron(0 3,23 ? * MON-FRI *)"), "2024-07-05T22:00", ["2024-07-05T23:00..2024-07-06T00:00", "2024-07-08T03:00..2024-07-08T04:00"]],
    // Day-of-month increments, months, ranges
    [
      "1/10: 1, 11, 21, 31",
      cron("cron(0 8 1/10 * ? *)"),
      "2024-01-25T00:00",
      ["2024-01-31T08:00..2024-02-01T00:00", "2024-02-01T08:00..2024-02-02T00:00", "2024-02-11T08:00..2024-02-12T00:00", "2024-02-21T08:00..2024-02-22T00:00", "2024-03-01T08:00..2024-03-02T00:00"],
    ],
    ["10-12 day range", cron("cron(0 8 10-12 * ? *)"), "2024-01-11T09:00", ["2024-01-12T08:00..2024-01-13T00:00", "2024-02-10T08:00..2024-02-11T00:00"]],
    [
      "JAN/3: quarterly",
      cron("cron(0 8 1 JAN/3 ? *)"),
      "2024-02-01T00:00",
      ["2024-04-01T08:00..2024-04-02T00:00", "2024-07-01T08:00..2024-07-02T00:00", "2024-10-01T08:00..2024-10-02T00:00", "2025-01-01T08:00..2025-01-02T00:00"],
    ],
    [
      "NOV-FEB wraps around the year",
      cron("cron(0 8 1 NOV-FEB ? *)"),
      "2024-03-01T00:00",
      ["2024-11-01T08:00..2024-11-02T00:00", "2024-12-01T08:00..2024-12-02T00:00", "2025-01-01T08:00..2025-01-02T00:00", "2025-02-01T08:00..2025-02-02T00:00", "2025-11-01T08:00..2025-11-02T00:00"],
    ],
    ["daily with a 4h window", cron("cron(0 20 * * ? *)", "4h"), "2024-02-28T21:00", ["2024-02-29T20:00..2024-03-01T00:00"]],
    ["minutes are kept", cron("cron(45 9 * * ? *)", "2h"), "2024-02-28T21:00", ["2024-02-29T09:45..2024-02-29T11:45"]],
    // Year field
    ["single year", cron("cron(0 8 1 1 ? 2026)"), "2024-06-01T00:00", ["2026-01-01T08:00..2026-01-02T00:00", "none"]],
    ["year list and range", cron("cron(0 8 1 1 ? 2025,2027-2028)"), "2024-06-01T00:00", ["2025-01-01T08:00..2025-01-02T00:00", "2027-01-01T08:00..2027-01-02T00:00", "2028-01-01T08:00..2028-01-02T00:00", "none"]],
    ["year increment", cron("cron(0 8 1 1 ? 2024/2)"), "2024-06-01T00:00", ["2026-01-01T08:00..2026-01-02T00:00", "2028-01-01T08:00..2028-01-02T00:00", "2030-01-01T08:00..2030-01-02T00:00"]],
    ["year in the past", cron("cron(0 8 1 1 ? 2020)"), "2024-06-01T00:00", ["none"]],
    ["29 February", cron("cron(0 12 29 2 ? *)"), "2024-03-01T00:00", ["2028-02-29T12:00..2028-03-01T00:00", "2032-02-29T12:00..2032-03-01T00:00"]],
    ["2100 is not a leap year", cron("cron(0 12 29 2 ? 2100-2104)"), "2024-01-01T00:00", ["2104-02-29T12:00..2104-03-01T00:00", "none"]],
    ["the year field ends at 2199", cron("cron(0 8 31 12 ? *)"), "2199-12-31T07:59", ["2199-12-31T08:00..2200-01-01T00:00", "none"]],
    ["before 1970", cron("cron(0 8 1 1 ? *)"), "1969-06-01T00:00", ["1970-01-01T08:00..1970-01-02T00:00"]],
  ];
  for (const [name, rules, from, expected] of cases) {
    it(`${name}: ${rules.ScheduleExpression} from ${from}`, () => assert.deepEqual(windows(rules, from, expected.length), expected));
  }

  it("starts strictly after from", () => {
    const s = compileSchedule(cron("cron(0 16 ? * 2 *)"));
    assert.equal(nextWindow(s, t("2024-07-08T15:59:59.999"))?.start, t("2024-07-08T16:00"));
    assert.equal(nextWindow(s, t("2024-07-08T16:00"))?.start, t("2024-07-15T16:00"));
  });

  it("rejects a from that is not a finite time", () => {
    const s = compileSchedule({ AutomaticallyAfterDays: 1 });
    assert.throws(() => nextWindow(s, Number.NaN), RangeError);
    assert.throws(() => nextWindow(s, Number.POSITIVE_INFINITY), RangeError);
  });

  /** AWS cron -> cron-parser (seconds first, `?` -> `*`, day-of-week numbers 1-7 -> 0-6, also in ranges, lists, nL and n#k). */
  function toCronParser(aws: string): string {
    const [minute, hour, dom, month, dow, year] = aws.replace(/^cron\(|\)$/g, "").split(" ");
    assert.equal(year, "*", "only expressions without a year restriction can be cross-checked");
    const day = (v: string) => (/^[0-9]$/.test(v) ? String(Number(v) - 1) : v);
    const convertedDow = (dow ?? "")
      .split(",")
      .map((item) => {
        if (item === "?" || item === "*") return "*";
        const hash = /^(\w+)#(\d)$/.exec(item);
        if (hash) return `${day(hash[1] as string)}#${hash[2]}`;
        const last = /^(\d)L$/.exec(item);
        if (last) return `${day(last[1] as string)}L`;
        return item.split("-").map(day).join("-");
      })
      .join(",");
    return `0 ${minute} ${hour} ${dom === "?" ? "*" : dom} ${month} ${convertedDow}`;
  }

  const oracle = [
    "cron(0 16 ? * 2 *)",
    "cron(0 8 ? * 2-6 *)",
    "cron(0 8 ? * 1,7 *)",
    "cron(0 8 ? * 1-3,5 *)",
    "cron(0 4 ? * MON-FRI *)",
    "cron(0 8 ? * 6L *)",
    "cron(0 8 ? * 1L *)",
    "cron(0 8 ? * 2#1 *)",
    "cron(0 8 ? * 7#5 *)",
    "cron(0 8 L * ? *)",
    "cron(15 0/8 * * ? *)",
    "cron(0 2-22/10 * * ? *)",
    "cron(0 8 1/10 * ? *)",
    "cron(0 8 1 JAN/3 ? *)",
    "cron(30 6,18 1-7 * ? *)",
    "cron(0 12 29 2 ? *)",
  ];
  for (const e of oracle) {
    it(`agrees with cron-parser on ${e} (converted to ${toCronParser(e)})`, () => {
      const from = t("2023-11-17T13:37");
      const theirs = CronExpressionParser.parse(toCronParser(e), { currentDate: new Date(from), tz: "UTC" })
        .take(40)
        .map((d) => iso(d.getTime()));
      const s = compileSchedule(cron(e));
      const ours: string[] = [];
      let f = from;
      for (let i = 0; i < 40; i++) {
        const w = nextWindow(s, f);
        assert.ok(w);
        ours.push(iso(w.start));
        f = w.start;
      }
      assert.deepEqual(ours, theirs);
    });
  }
});

describe("UTC only: no daylight saving time, whatever the process time zone", () => {
  const expectations: [RotationRules, string, string[]][] = [
    // US DST starts 2024-03-10, EU DST 2024-03-31, EU DST ends 2024-10-27.
    [cron("cron(0 2 * * ? *)"), "2024-03-09T12:00", ["2024-03-10T02:00..2024-03-11T00:00", "2024-03-11T02:00..2024-03-12T00:00"]],
    [cron("cron(30 1 ? * SUN *)"), "2024-03-30T00:00", ["2024-03-31T01:30..2024-04-01T00:00", "2024-04-07T01:30..2024-04-08T00:00"]],
    [cron("cron(0 1 ? * 1#4 *)"), "2024-10-01T00:00", ["2024-10-27T01:00..2024-10-28T00:00"]],
    [cron("cron(0 0/4 * * ? *)"), "2024-10-26T22:00", ["2024-10-27T00:00..2024-10-27T01:00", "2024-10-27T04:00..2024-10-27T05:00"]],
    [{ AutomaticallyAfterDays: 1 }, "2024-03-09T06:30", ["2024-03-10T00:00..2024-03-11T00:00", "2024-03-11T00:00..2024-03-12T00:00"]],
    [{ AutomaticallyAfterDays: 1 }, "2024-03-30T23:30", ["2024-03-31T00:00..2024-04-01T00:00"]],
    [cron("rate(24 hours)"), "2024-03-30T01:30", ["2024-03-31T01:30..2024-03-31T02:30", "2024-04-01T01:30..2024-04-01T02:30"]],
  ];
  for (const tz of ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]) {
    it(`TZ=${tz}`, () => {
      const saved = process.env.TZ;
      process.env.TZ = tz;
      try {
        if (tz === "America/New_York") assert.equal(new Date(t("2024-07-01")).getTimezoneOffset(), 240, "TZ change not applied");
        for (const [rules, from, expected] of expectations) assert.deepEqual(windows(rules, from, expected.length), expected);
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
    });
  }
});

describe("isOverdue", () => {
  const w = { start: t("2024-07-08T16:00"), end: t("2024-07-09T00:00") };
  const cases: [string, boolean][] = [
    ["2024-07-08T12:00", false],
    ["2024-07-08T16:00", false],
    ["2024-07-08T23:59:59.999", false],
    ["2024-07-09T00:00", false],
    ["2024-07-09T00:00:00.001", true],
    ["2024-08-01T00:00", true],
  ];
  for (const [now, overdue] of cases) {
    it(`${now} -> ${overdue}`, () => assert.equal(isOverdue(w, t(now)), overdue));
  }

  it("a missed AutomaticallyAfterDays window is overdue the next UTC day; a 3h window after 03:00", () => {
    const from = t("2024-02-27T18:00");
    const day = nextWindow(compileSchedule({ AutomaticallyAfterDays: 1 }), from);
    const short = nextWindow(compileSchedule({ AutomaticallyAfterDays: 1, Duration: "3h" }), from);
    assert.ok(day && short);
    assert.equal(isOverdue(day, t("2024-02-28T23:00")), false);
    assert.equal(isOverdue(day, t("2024-02-29T00:00:01")), true);
    assert.equal(isOverdue(short, t("2024-02-28T02:59")), false);
    assert.equal(isOverdue(short, t("2024-02-28T03:01")), true);
  });
});
