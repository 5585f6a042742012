import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ServiceError } from "@keyshift/protocol";
import {
  DIGITS,
  LOWERCASE,
  NO_CHARACTERS_MESSAGE,
  PUNCTUATION,
  TOO_SHORT_MESSAGE,
  UPPERCASE,
  generatePassword,
  type PasswordOptions,
} from "./random-password.js";

const ALL_DEFAULT = LOWERCASE + UPPERCASE + DIGITS + PUNCTUATION;

function has(p: string, set: string): boolean {
  return [...p].some((c) => set.includes(c));
}

function only(p: string, set: string): boolean {
  return [...p].every((c) => set.includes(c));
}

function rejects(opts: PasswordOptions, code: string, message?: string | RegExp): void {
  assert.throws(
    () => generatePassword(opts),
    (e: unknown) => {
      assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
      assert.equal(e.code, code);
      assert.equal(e.status, 400);
      if (typeof message === "string") assert.equal(e.message, message);
      else if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe("character sets", () => {
  test("punctuation is exactly the documented set", () => {
    assert.equal(PUNCTUATION, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
    assert.equal(PUNCTUATION.length, 32);
    assert.equal(new Set(PUNCTUATION).size, 32);
    assert.equal(ALL_DEFAULT.length, 94);
  });
});

describe("defaults", () => {
  test("32 characters, one of each of the four types, no space", () => {
    for (let i = 0; i < 200; i++) {
      const p = generatePassword({});
      assert.equal(p.length, 32);
      assert.ok(only(p, ALL_DEFAULT), p);
      for (const set of [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION]) assert.ok(has(p, set), `${p} lacks one of ${set}`);
    }
  });
  test("null members behave like absent ones", () => {
    const p = generatePassword({ PasswordLength: null, ExcludeCharacters: null, RequireEachIncludedType: null } as unknown as PasswordOptions);
    assert.equal(p.length, 32);
  });
  test("two passwords differ", () => {
    assert.notEqual(generatePassword({}), generatePassword({}));
  });
});

describe("PasswordLength", () => {
  const table: { opts: PasswordOptions; ok: number[]; tooShort: number[] }[] = [
    // Four required types by default.
    { opts: {}, ok: [4, 5, 31, 32, 33, 100, 1000, 4095, 4096], tooShort: [1, 2, 3] },
    // Five with the space.
    { opts: { IncludeSpace: true }, ok: [5, 6, 4096], tooShort: [1, 2, 3, 4] },
    // Nothing required: any length from 1 (moto rejects < 4 here; see random-password.ts).
    { opts: { RequireEachIncludedType: false }, ok: [1, 2, 3, 4, 4096], tooShort: [] },
    { opts: { RequireEachIncludedType: false, IncludeSpace: true }, ok: [1, 2, 3, 4, 4096], tooShort: [] },
    // A single type: one character is enough.
    { opts: { ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true }, ok: [1, 2, 4096], tooShort: [] },
    { opts: { ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true }, ok: [1, 4096], tooShort: [] },
    // Two types.
    { opts: { ExcludeUppercase: true, ExcludePunctuation: true }, ok: [2, 3], tooShort: [1] },
    // Three types, because ExcludeCharacters removes all of the punctuation.
    { opts: { ExcludeCharacters: PUNCTUATION }, ok: [3, 4, 4096], tooShort: [1, 2] },
  ];
  for (const { opts, ok, tooShort } of table) {
    const name = JSON.stringify(opts);
    test(`${name}: lengths ${ok.join(",")} succeed`, () => {
      for (const n of ok) assert.equal(generatePassword({ ...opts, PasswordLength: n }).length, n);
    });
    if (tooShort.length > 0) {
      test(`${name}: lengths ${tooShort.join(",")} are too short`, () => {
        for (const n of tooShort) rejects({ ...opts, PasswordLength: n }, "InvalidParameterException", TOO_SHORT_MESSAGE);
      });
    }
  }
  test("out of the model range 1..4096, or not an integer → the wire's ValidationException/SerializationException", () => {
    rejects({ PasswordLength: 0 }, "ValidationException", /greater than or equal to 1/);
    rejects({ PasswordLength: -5 }, "ValidationException", /greater than or equal to 1/);
    rejects({ PasswordLength: 4097 }, "ValidationException", /less than or equal to 4096/);
    rejects({ PasswordLength: 1.5 }, "SerializationException");
    rejects({ ExcludeCharacters: "a".repeat(4097) }, "ValidationException", /less than or equal to 4096/);
  });
  test("length equal to the number of required types holds exactly one of each type", () => {
    for (let i = 0; i < 200; i++) {
      const p = generatePassword({ PasswordLength: 5, IncludeSpace: true });
      const counts = [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION, " "].map((set) => [...p].filter((c) => set.includes(c)).length);
      assert.deepEqual(counts, [1, 1, 1, 1, 1], JSON.stringify(p));
    }
  });
});

describe("exclusions", () => {
  const table: { opts: PasswordOptions; allowed: string; required: string[] }[] = [
    { opts: { ExcludeNumbers: true }, allowed: LOWERCASE + UPPERCASE + PUNCTUATION, required: [LOWERCASE, UPPERCASE, PUNCTUATION] },
    { opts: { ExcludePunctuation: true }, allowed: LOWERCASE + UPPERCASE + DIGITS, required: [LOWERCASE, UPPERCASE, DIGITS] },
    { opts: { ExcludeUppercase: true }, allowed: LOWERCASE + DIGITS + PUNCTUATION, required: [LOWERCASE, DIGITS, PUNCTUATION] },
    { opts: { ExcludeLowercase: true }, allowed: UPPERCASE + DIGITS + PUNCTUATION, required: [UPPERCASE, DIGITS, PUNCTUATION] },
    { opts: { ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true }, allowed: DIGITS, required: [DIGITS] },
    { opts: { ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true }, allowed: PUNCTUATION, required: [PUNCTUATION] },
    // The full punctuation set through ExcludeCharacters: punctuation is no longer a required type.
    { opts: { ExcludeCharacters: PUNCTUATION }, allowed: LOWERCASE + UPPERCASE + DIGITS, required: [LOWERCASE, UPPERCASE, DIGITS] },
    { opts: { ExcludeCharacters: DIGITS + "aeiouAEIOU" }, allowed: ALL_DEFAULT.replace(/[0-9aeiouAEIOU]/g, ""), required: [LOWERCASE, UPPERCASE, PUNCTUATION] },
    // A type reduced to one character still has to appear.
    { opts: { ExcludeCharacters: DIGITS.slice(1) }, allowed: LOWERCASE + UPPERCASE + "0" + PUNCTUATION, required: [LOWERCASE, UPPERCASE, "0", PUNCTUATION] },
    // The usual "no quoting trouble" recipe.
    { opts: { ExcludeCharacters: "/@\"'\\" }, allowed: ALL_DEFAULT.replace(/[/@"'\\]/g, ""), required: [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION] },
    // Characters outside every set (and repeated ones) in ExcludeCharacters are ignored.
    { opts: { ExcludeCharacters: "ééé€😀\t" }, allowed: ALL_DEFAULT, required: [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION] },
    // A space in ExcludeCharacters beats IncludeSpace.
    { opts: { IncludeSpace: true, ExcludeCharacters: " " }, allowed: ALL_DEFAULT, required: [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION] },
  ];
  for (const { opts, allowed, required } of table) {
    test(JSON.stringify(opts), () => {
      for (let i = 0; i < 200; i++) {
        const p = generatePassword({ ...opts, PasswordLength: 24 });
        assert.equal(p.length, 24);
        assert.ok(only(p, allowed), `${JSON.stringify(p)} has a character outside ${allowed}`);
        for (const set of required) assert.ok(has(p, set), `${JSON.stringify(p)} lacks one of ${set}`);
      }
    });
  }
  test("random ExcludeCharacters subsets never appear, at 4096 characters", () => {
    for (let i = 0; i < 20; i++) {
      const excluded = [...ALL_DEFAULT].filter(() => Math.random() < 0.5).join("");
      const p = generatePassword({ PasswordLength: 4096, ExcludeCharacters: excluded });
      assert.ok(![...p].some((c) => excluded.includes(c)));
    }
  });
});

describe("IncludeSpace", () => {
  test("the space is required by default", () => {
    for (let i = 0; i < 200; i++) assert.ok(generatePassword({ PasswordLength: 8, IncludeSpace: true }).includes(" "));
  });
  test("only spaces when every other type is excluded", () => {
    const p = generatePassword({ PasswordLength: 7, IncludeSpace: true, ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true });
    assert.equal(p, "       ");
  });
  test("without RequireEachIncludedType the space is optional", () => {
    let without = 0;
    for (let i = 0; i < 200; i++) if (!generatePassword({ PasswordLength: 8, IncludeSpace: true, RequireEachIncludedType: false }).includes(" ")) without++;
    assert.ok(without > 100, `${without}`); // P(no space in 8 of 95) ≈ 0.92
  });
});

describe("RequireEachIncludedType: false", () => {
  test("passwords can lack a type, and still use only allowed characters", () => {
    let lacking = 0;
    for (let i = 0; i < 500; i++) {
      const p = generatePassword({ PasswordLength: 4, RequireEachIncludedType: false });
      assert.ok(only(p, ALL_DEFAULT));
      if (![LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION].every((s) => has(p, s))) lacking++;
    }
    assert.ok(lacking > 400, `${lacking}`); // P(all four types in 4 characters) ≈ 0.066
  });
});

describe("impossible combinations", () => {
  const none: PasswordOptions[] = [
    { ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true },
    { ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true, RequireEachIncludedType: false },
    { ExcludeCharacters: ALL_DEFAULT },
    { ExcludeCharacters: ALL_DEFAULT + " ", IncludeSpace: true },
    { ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludeCharacters: PUNCTUATION },
    { ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true, ExcludeCharacters: DIGITS, PasswordLength: 1 },
  ];
  for (const opts of none) {
    test(`nothing left: ${JSON.stringify(opts)}`, () => rejects(opts, "InvalidParameterException", NO_CHARACTERS_MESSAGE));
  }
  test("'nothing left' is checked before 'too short'", () => {
    rejects({ PasswordLength: 1, ExcludeCharacters: ALL_DEFAULT }, "InvalidParameterException", NO_CHARACTERS_MESSAGE);
  });
});

describe("statistics", () => {
  test("every allowed character appears over many draws (defaults and IncludeSpace)", () => {
    for (const [opts, alphabet] of [
      [{}, ALL_DEFAULT],
      [{ IncludeSpace: true }, ALL_DEFAULT + " "],
      [{ ExcludeCharacters: "xyz" }, ALL_DEFAULT.replace(/[xyz]/g, "")],
    ] as [PasswordOptions, string][]) {
      const seen = new Set<string>();
      for (let i = 0; i < 300; i++) for (const c of generatePassword({ ...opts, PasswordLength: 64 })) seen.add(c);
      assert.deepEqual([...seen].sort().join(""), [...alphabet].sort().join(""));
    }
  });

  test("without required types, characters are uniform (chi-square)", () => {
    const counts = new Map<string, number>();
    const draws = 300;
    for (let i = 0; i < draws; i++) for (const c of generatePassword({ PasswordLength: 320, RequireEachIncludedType: false })) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (draws * 320) / ALL_DEFAULT.length;
    let chi2 = 0;
    for (const c of ALL_DEFAULT) chi2 += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
    // 93 degrees of freedom: mean 93, sd ≈ 13.6. 200 is about 8 sd away.
    assert.ok(chi2 < 200, `chi2=${chi2}`);
  });

  test("required characters are not at fixed positions (length = number of types)", () => {
    // Each password holds exactly one character of each type; each type must turn up at every position, about evenly.
    const n = 4000;
    const pos = [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION].map(() => [0, 0, 0, 0]);
    for (let i = 0; i < n; i++) {
      const p = generatePassword({ PasswordLength: 4 });
      [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION].forEach((set, t) => pos[t]![[...p].findIndex((c) => set.includes(c))]!++);
    }
    for (const row of pos) for (const k of row) assert.ok(k > n / 4 - 300 && k < n / 4 + 300, JSON.stringify(pos)); // sd ≈ 27
  });

  test("a rare required type (the space) lands at every position, about evenly", () => {
    // lowercase + space, length 8: moto would always put the space last.
    const n = 4000;
    const hits = new Array<number>(8).fill(0);
    for (let i = 0; i < n; i++) {
      const p = generatePassword({ PasswordLength: 8, IncludeSpace: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true });
      [...p].forEach((c, j) => {
        if (c === " ") hits[j]!++;
      });
    }
    // E[spaces per password] = 1 + 7/27, so ≈ 630 per position; sd ≈ 24.
    const mean = hits.reduce((a, b) => a + b, 0) / 8;
    for (const h of hits) assert.ok(Math.abs(h - mean) < 0.3 * mean, JSON.stringify(hits));
  });

  test("the first and last characters are not biased towards a type", () => {
    // Defaults, length 32: a position holds one of the 4 required characters with probability 4/32, else a
    // uniform pool character. So P(digit at 0) = 1/32 + (28/32)(10/94), and likewise for punctuation.
    const n = 6000;
    let firstDigit = 0;
    let lastPunct = 0;
    for (let i = 0; i < n; i++) {
      const p = generatePassword({});
      if (DIGITS.includes(p[0]!)) firstDigit++;
      if (PUNCTUATION.includes(p[31]!)) lastPunct++;
    }
    const expDigit = n * (1 / 32 + (28 / 32) * (10 / 94)); // ≈ 746, sd ≈ 26
    const expPunct = n * (1 / 32 + (28 / 32) * (32 / 94)); // ≈ 1975, sd ≈ 36
    assert.ok(Math.abs(firstDigit - expDigit) < 0.15 * expDigit, `${firstDigit} vs ${expDigit}`);
    assert.ok(Math.abs(lastPunct - expPunct) < 0.1 * expPunct, `${lastPunct} vs ${expPunct}`);
  });
});
