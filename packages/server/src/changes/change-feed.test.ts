import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, ReplicateSecretToRegionsCommand, RotateSecretCommand, TagResourceCommand, UpdateSecretVersionStageCommand } from "@aws-sdk/client-secrets-manager";
import { callApi } from "../cli/api-client.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, type TestServer } from "../testing/harness.js";
import { subscribeChanges, type SseEvent } from "../testing/sse-client.js";
import { smClient } from "../testing/sm-client.js";
import { ChangeFeed, type ChangeEvent } from "./change-feed.js";

const change = (e: SseEvent) => JSON.parse(e.data) as ChangeEvent;

test("ChangeFeed: numbered in order, kept for catch-up, reset when too old or unknown, per account", () => {
  const f = new ChangeFeed(() => 1000, 3);
  const got: number[] = [];
  const off = f.subscribe("a", (e) => got.push(e.Seq));
  for (let i = 0; i < 5; i++) f.publish({ Type: "SecretChanged", Account: i === 2 ? "b" : "a", Region: "r", ARN: `x${i}`, Name: `n${i}` });
  assert.deepEqual(got, [1, 2, 4, 5]);
  assert.equal(f.current, 5);
  assert.deepEqual((f.since("a", 3) as ChangeEvent[]).map((e) => e.Seq), [4, 5]);
  assert.deepEqual(f.since("a", 5), []);
  assert.equal(f.since("a", 1), "reset", "events 2.. no longer all kept");
  assert.equal(f.since("a", 9), "reset", "a sequence this process never issued");
  off();
  f.publish({ Type: "SecretChanged", Account: "a", Region: "r", ARN: "y", Name: "y" });
  assert.deepEqual(got, [1, 2, 4, 5]);
  assert.equal(f.subscribers, 0);
});

test("ChangeFeed with a relay: published events go to the relay, numbers come back from it (holes allowed), a gap resets catch-up", () => {
  const f = new ChangeFeed(() => 2000, 10);
  const sent: Omit<ChangeEvent, "Seq">[] = [];
  const ev = (Seq: number, Account = "a"): ChangeEvent => ({ Seq, Time: 1, Type: "SecretChanged", Account, Region: "r", ARN: `x${Seq}`, Name: `n${Seq}` });
  f.relayThrough({ send: (e) => sent.push(e) }, [ev(40), ev(41)]);
  assert.equal(f.current, 41);
  const got: number[] = [];
  f.subscribe("a", (e) => got.push(e.Seq));
  f.publish({ Type: "SecretCreated", Account: "a", Region: "r", ARN: "z", Name: "z" });
  assert.deepEqual(got, [], "nothing is delivered before the relay numbers it");
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.Time, 2);
  f.accept({ ...sent[0]!, Seq: 45 });
  f.accept(ev(45));
  f.accept(ev(47));
  assert.deepEqual(got, [45, 47], "in order, once each, across holes");
  assert.deepEqual((f.since("a", 41) as ChangeEvent[]).map((e) => e.Seq), [45, 47]);
  assert.deepEqual((f.since("a", 39) as ChangeEvent[]).map((e) => e.Seq), [40, 41, 45, 47]);
  f.accept(ev(60), true);
  assert.equal(f.since("a", 47), "reset", "events between 47 and 60 were lost");
  assert.deepEqual(f.since("a", 60), []);
});

describe("GET /v1/changes", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s.close());

  test("creation, new versions, label moves, metadata, rotation and deletion are published, without values", async () => {
    const c = smClient(s.endpoint);
    const feed = await subscribeChanges(s.endpoint);
    assert.equal(feed.status, 200);
    const hello = await feed.next((e) => e.event === "hello");
    assert.equal((JSON.parse(hello.data) as { Account: string }).Account, TEST_ACCOUNT);
    const marker = `VALUE-MARKER-${randomUUID()}`;
    const created = await c.send(new CreateSecretCommand({ Name: "feed/one", SecretString: `${marker}-1` }));
    const e1 = change(await feed.next((e) => e.event === "change" && change(e).Name === "feed/one"));
    assert.equal(e1.Type, "SecretCreated");
    assert.equal(e1.ARN, created.ARN);
    assert.equal(e1.Region, TEST_REGION);
    assert.deepEqual(e1.VersionIdsToStages, { [created.VersionId!]: ["AWSCURRENT"] });
    const v2 = (await c.send(new PutSecretValueCommand({ SecretId: "feed/one", SecretString: `${marker}-2` }))).VersionId!;
    const e2 = change(await feed.next((e) => e.event === "change" && change(e).Seq > e1.Seq));
    assert.equal(e2.Type, "SecretChanged");
    assert.deepEqual(e2.VersionIdsToStages, { [created.VersionId!]: ["AWSPREVIOUS"], [v2]: ["AWSCURRENT"] });
    await c.send(new UpdateSecretVersionStageCommand({ SecretId: "feed/one", VersionStage: "AWSCURRENT", MoveToVersionId: created.VersionId!, RemoveFromVersionId: v2 }));
    const e3 = change(await feed.next((e) => e.event === "change" && change(e).Seq > e2.Seq));
    assert.deepEqual(e3.VersionIdsToStages![created.VersionId!], ["AWSCURRENT"]);
    await c.send(new TagResourceCommand({ SecretId: "feed/one", Tags: [{ Key: "k", Value: "v" }] }));
    const e4 = change(await feed.next((e) => e.event === "change" && change(e).Seq > e3.Seq));
    assert.equal(e4.Type, "SecretChanged");
    await c.send(new RotateSecretCommand({ SecretId: "feed/one", RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password` }));
    const rotated = await feed.next((e) => e.event === "change" && change(e).Seq > e4.Seq && Object.values(change(e).VersionIdsToStages ?? {}).length >= 2 && !JSON.stringify(change(e).VersionIdsToStages).includes("AWSPENDING") && change(e).VersionIdsToStages![v2] === undefined);
    assert.ok(rotated);
    await c.send(new DeleteSecretCommand({ SecretId: "feed/one", ForceDeleteWithoutRecovery: true }));
    const gone = change(await feed.next((e) => e.event === "change" && change(e).Type === "SecretDeleted"));
    assert.equal(gone.ARN, created.ARN);
    assert.equal(gone.VersionIdsToStages, undefined);
    assert.ok(!feed.raw().includes(marker), "no value ever appears in the feed");
    feed.close();
  });

  test("a replica's readers hear of its primary's new versions", async () => {
    const c = smClient(s.endpoint);
    await c.send(new CreateSecretCommand({ Name: "feed/replicated", SecretString: "x" }));
    await c.send(new ReplicateSecretToRegionsCommand({ SecretId: "feed/replicated", AddReplicaRegions: [{ Region: "eu-west-1" }] }));
    const feed = await subscribeChanges(s.endpoint);
    await feed.next((e) => e.event === "hello");
    await c.send(new PutSecretValueCommand({ SecretId: "feed/replicated", SecretString: "y" }));
    const replica = change(await feed.next((e) => e.event === "change" && change(e).Region === "eu-west-1"));
    assert.equal(replica.Name, "feed/replicated");
    assert.ok(Object.values(replica.VersionIdsToStages!).some((st) => st.includes("AWSCURRENT")));
    feed.close();
  });

  test("Last-Event-ID resumes after the missed events; an unknown one gets reset", async () => {
    const c = smClient(s.endpoint);
    const first = await subscribeChanges(s.endpoint);
    await c.send(new CreateSecretCommand({ Name: "feed/resume-1", SecretString: "x" }));
    const seen = await first.next((e) => e.event === "change" && change(e).Name === "feed/resume-1");
    first.close();
    await c.send(new CreateSecretCommand({ Name: "feed/resume-2", SecretString: "x" }));
    await c.send(new CreateSecretCommand({ Name: "feed/resume-3", SecretString: "x" }));
    const again = await subscribeChanges(s.endpoint, { lastEventId: seen.id! });
    const missed = await again.next((e) => e.event === "change" && change(e).Name === "feed/resume-3");
    assert.ok(again.events.some((e) => e.event === "change" && change(e).Name === "feed/resume-2"));
    assert.ok(!again.events.some((e) => e.event === "change" && change(e).Name === "feed/resume-1"), "nothing already seen is sent again");
    assert.ok(Number(missed.id) > Number(seen.id));
    again.close();
    const unknown = await subscribeChanges(s.endpoint, { lastEventId: "999999999" });
    await unknown.next((e) => e.event === "reset");
    unknown.close();
  });

  test("unauthenticated subscriptions are refused; a subscriber's departure is noticed", async () => {
    const res = await fetch(`${s.endpoint}/v1/changes`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { __type: string }).__type, "MissingAuthenticationTokenException");
    const feed = await subscribeChanges(s.endpoint);
    await feed.next((e) => e.event === "hello");
    const before = s.app.deps.feed.subscribers;
    feed.close();
    for (let i = 0; i < 50 && s.app.deps.feed.subscribers >= before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.app.deps.feed.subscribers, before - 1);
  });

  test("consumers report what they hold; GET /v1/consumers filters by secret and tells who is live", async () => {
    const c = smClient(s.endpoint);
    const a = await c.send(new CreateSecretCommand({ Name: "feed/held", SecretString: "x" }));
    const b = await c.send(new CreateSecretCommand({ Name: "feed/other", SecretString: "x" }));
    const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };
    const api = { endpointUrl: s.endpoint, region: TEST_REGION };
    await callApi(api, "PUT", "/v1/consumers/agent-1", { Name: "billing-api", Kind: "agent", Holdings: [{ ARN: a.ARN, VersionId: a.VersionId, VersionStages: ["AWSCURRENT"] }, { ARN: b.ARN, VersionId: b.VersionId }] }, env);
    await callApi(api, "PUT", "/v1/consumers/sdk-1", { Kind: "sdk", Holdings: [{ ARN: b.ARN, VersionId: b.VersionId }] }, env);
    const held = (await callApi(api, "GET", "/v1/consumers?SecretId=feed/held", undefined, env)) as { Consumers: { ConsumerId: string; Live: boolean; Holdings: { VersionId: string }[]; PrincipalArn: string }[] };
    assert.deepEqual(held.Consumers.map((x) => x.ConsumerId), ["agent-1"]);
    assert.deepEqual(held.Consumers[0]!.Holdings.map((h) => h.VersionId), [a.VersionId]);
    assert.equal(held.Consumers[0]!.Live, true);
    assert.equal(held.Consumers[0]!.PrincipalArn, `arn:aws:iam::${TEST_ACCOUNT}:user/admin`);
    const other = (await callApi(api, "GET", "/v1/consumers?SecretId=feed/other", undefined, env)) as { Consumers: { ConsumerId: string }[] };
    assert.deepEqual(other.Consumers.map((x) => x.ConsumerId).sort(), ["agent-1", "sdk-1"]);
    await assert.rejects(callApi(api, "PUT", "/v1/consumers/bad id", { Kind: "agent", Holdings: [] }, env), /ValidationException/);
    await assert.rejects(callApi(api, "PUT", "/v1/consumers/x", { Kind: "robot", Holdings: [] }, env), /Kind must be agent or sdk/);
  });
});
