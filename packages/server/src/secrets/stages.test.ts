import { test } from "node:test";
import assert from "node:assert/strict";
import { isServiceError } from "@keyshift/protocol";
import { applyMoves, attachLabels, moveLabel } from "./stages.js";

const labels = (o: Record<string, string>) => new Map(Object.entries(o));
const after = (l: Map<string, string>, moves: ReturnType<typeof attachLabels>) => Object.fromEntries([...applyMoves(l, moves)].sort());

test("a new AWSCURRENT version pushes AWSPREVIOUS to the old current and off the older one", () => {
  const l = labels({ AWSCURRENT: "v2", AWSPREVIOUS: "v1" });
  assert.deepEqual(after(l, attachLabels(l, "v3", ["AWSCURRENT"])), { AWSCURRENT: "v3", AWSPREVIOUS: "v2" });
});

test("custom labels move alone; AWSPREVIOUS stays", () => {
  const l = labels({ AWSCURRENT: "v1", one: "v2", three: "v2" });
  assert.deepEqual(after(l, attachLabels(l, "v3", ["one", "two"])), { AWSCURRENT: "v1", one: "v3", three: "v2", two: "v3" });
});

test("UpdateSecretVersionStage: AWSCURRENT needs RemoveFromVersionId and drags AWSPREVIOUS", () => {
  const l = labels({ AWSCURRENT: "v1", AWSPENDING: "v2" });
  const has = () => true;
  assert.throws(() => moveLabel(l, "AWSCURRENT", undefined, "v2", has), (e) => isServiceError(e) && e.code === "InvalidParameterException" && e.message.includes("currently attached to version v1"));
  assert.deepEqual(after(l, moveLabel(l, "AWSCURRENT", "v1", "v2", has)), { AWSCURRENT: "v2", AWSPENDING: "v2", AWSPREVIOUS: "v1" });
  assert.throws(() => moveLabel(l, "AWSCURRENT", "v2", "v3", has), /not found in version v2/);
  assert.throws(() => moveLabel(l, "AWSCURRENT", "v1", undefined, has), /AWSCURRENT/);
  assert.deepEqual(after(l, moveLabel(l, "AWSPENDING", "v2", undefined, has)), { AWSCURRENT: "v1" });
  assert.deepEqual(moveLabel(l, "AWSCURRENT", "v1", "v1", has), []);
  assert.throws(() => moveLabel(l, "X", undefined, "nope", (v) => v !== "nope"), /Not a valid version: nope/);
  assert.deepEqual(after(l, moveLabel(l, "NEW", undefined, "v2", has)), { AWSCURRENT: "v1", AWSPENDING: "v2", NEW: "v2" });
});

test("at most 20 labels per secret", () => {
  const l = new Map(Array.from({ length: 20 }, (_, i) => [`L${i}`, "v1"]));
  assert.throws(() => applyMoves(l, [{ stage: "L20", versionId: "v1" }]), (e) => isServiceError(e) && e.code === "LimitExceededException");
  assert.equal(applyMoves(l, [{ stage: "L0", versionId: "v2" }]).size, 20);
});

test("a new AWSCURRENT clears AWSPENDING left on the old current (finished rotation), not elsewhere", () => {
  const done = labels({ AWSCURRENT: "v2", AWSPENDING: "v2", AWSPREVIOUS: "v1" });
  assert.deepEqual(after(done, attachLabels(done, "v3", ["AWSCURRENT"])), { AWSCURRENT: "v3", AWSPREVIOUS: "v2" });
  const inFlight = labels({ AWSCURRENT: "v2", AWSPENDING: "v9" });
  assert.deepEqual(after(inFlight, attachLabels(inFlight, "v3", ["AWSCURRENT"])), { AWSCURRENT: "v3", AWSPENDING: "v9", AWSPREVIOUS: "v2" });
});
