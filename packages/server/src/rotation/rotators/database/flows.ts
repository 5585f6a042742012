/**
 * The steps of the database rotators, after the AWS rotation templates
 * (aws-samples/aws-secrets-manager-rotation-lambdas: SecretsManagerRDS{PostgreSQL,MySQL}Rotation
 * {SingleUser,MultiUser}), for any engine behind a DbDriver.
 *
 * Single user: the login changes its own password. AWSCURRENT stops working at setSecret, so
 * restoreCurrent sets it back after a failed rotation.
 * Alternating users: an administrator credential (the secret named by `masterarn`) creates
 * `user_clone` with the grants of `user` and then alternates the two logins, each rotation
 * setting a new password on the login that is not current. AWSCURRENT keeps working throughout.
 */
import { isServiceError } from "@keyshift/protocol";
import { RotationError, type Rotator, type StepRequest } from "../../rotator.js";
import { finishByMovingCurrent, passwordRequest, pendingValue } from "../common.js";
import { Cancelled, type DbDriver, type DbSession, type LoginResult } from "./driver.js";
import { alternateUsername, currentSecret, loginFor, parseDbSecret, pendingSecret, previousSecret, where, type DbSecret } from "./secret.js";

type StepName = "createSecret" | "setSecret" | "testSecret" | "finishSecret" | "restoreCurrent";

/** Runs a step: every failure becomes a RotationError whose message starts with the step's name. */
async function inStep(step: StepName, req: StepRequest, body: () => Promise<void>): Promise<void> {
  try {
    if (req.signal.aborted) throw new Cancelled(req.signal.reason);
    await body();
  } catch (e) {
    if (e instanceof Cancelled) throw new RotationError(`${step}: ${e.message}`);
    if (e instanceof RotationError) throw e.message.startsWith(`${step}:`) ? e : new RotationError(`${step}: ${e.message}`);
    // Secrets Manager errors from the client (their messages hold no secret values).
    if (isServiceError(e)) throw new RotationError(`${step}: ${e.message} (${e.code})`);
    throw e;
  }
}

/** Password request: the common options, plus `includeSpace` ("true" allows spaces). */
function randomPasswordRequest(options: Readonly<Record<string, string>>) {
  return { ...passwordRequest(options), ...(options.includeSpace === "true" ? { IncludeSpace: true } : {}) };
}

/** createSecret: AWSPENDING gets a copy of AWSCURRENT with a new password (and the other login when alternating). */
async function createSecret(driver: DbDriver, req: StepRequest, alternate: boolean): Promise<void> {
  const current = await currentSecret(req, driver);
  if (alternate && current.masterarn === undefined) {
    throw new RotationError(`the AWSCURRENT value has no "masterarn" field (the secret with the credential that creates and alters users)`);
  }
  if ((await pendingValue(req)) !== undefined) return;
  const fields: Record<string, unknown> = { ...current.fields };
  if (alternate) fields.username = alternateUsername(current.username, driver.maxUsernameLength(current.engine));
  fields.password = await req.client.getRandomPassword(randomPasswordRequest(req.options));
  await req.client.putSecretValue({
    SecretId: req.secretArn,
    ClientRequestToken: req.token,
    SecretString: JSON.stringify(fields),
    VersionStages: ["AWSPENDING"],
  });
}

function sameServer(a: DbSecret, b: DbSecret): boolean {
  return a.host === b.host && a.port === b.port;
}

async function login(driver: DbDriver, req: StepRequest, s: DbSecret, what: string): Promise<LoginResult> {
  return driver.login(loginFor(req, s, what), req.signal);
}

/** Whether `s` logs in (the session closed at once). */
async function logsIn(driver: DbDriver, req: StepRequest, s: DbSecret, what: string): Promise<boolean> {
  const r = await login(driver, req, s, what);
  if (r.ok) await r.session.close();
  return r.ok;
}

async function withSession(session: DbSession, body: (s: DbSession) => Promise<void>): Promise<void> {
  try {
    await body(session);
  } finally {
    await session.close();
  }
}

/** testSecret: the pending credential logs in and runs SELECT NOW(). */
async function testSecret(driver: DbDriver, req: StepRequest): Promise<void> {
  const pending = await pendingSecret(req, driver);
  const r = await login(driver, req, pending, "AWSPENDING");
  if (!r.ok) throw new RotationError(`could not log in to ${where(driver, pending)} as ${pending.username} with the pending credential: ${r.reason}`);
  await withSession(r.session, (s) => s.ping());
}

/** Logs in with the first of `candidates` that works; the reasons of the others otherwise. */
async function firstLogin(
  driver: DbDriver,
  req: StepRequest,
  candidates: Array<[string, DbSecret | undefined]>,
): Promise<{ session: DbSession; used: string } | { reasons: string[] }> {
  const reasons: string[] = [];
  for (const [what, s] of candidates) {
    if (!s) continue;
    const r = await login(driver, req, s, what);
    if (r.ok) return { session: r.session, used: what };
    reasons.push(`${what}: ${r.reason}`);
  }
  return { reasons };
}

export function singleUserRotator(driver: DbDriver, name: string, description: string): Rotator {
  return {
    name,
    description,
    createSecret: (req) => inStep("createSecret", req, () => createSecret(driver, req, false)),

    setSecret: (req) =>
      inStep("setSecret", req, async () => {
        const current = await currentSecret(req, driver);
        const pending = await pendingSecret(req, driver);
        if (pending.username !== current.username) {
          throw new RotationError(`the pending user ${pending.username} is not the current user ${current.username} (single user rotation changes one login's password)`);
        }
        if (!sameServer(pending, current)) throw new RotationError(`the pending value points at ${where(driver, pending)}, the current one at ${current.host}:${current.port}`);
        if (await logsIn(driver, req, pending, "AWSPENDING")) return; // set already (a re-run)
        const previous = await previousSecret(req, driver);
        const usable = previous && previous.username === current.username && sameServer(previous, current) ? previous : undefined;
        const r = await firstLogin(driver, req, [["current", current], ["previous", usable]]);
        if ("reasons" in r) {
          throw new RotationError(
            `could not log in to ${where(driver, current)} as ${current.username} with the current or previous credential (${r.reasons.join("; ")})`,
          );
        }
        await withSession(r.session, (s) => s.setOwnPassword(pending.username, pending.password));
      }),

    testSecret: (req) => inStep("testSecret", req, () => testSecret(driver, req)),
    finishSecret: (req) => inStep("finishSecret", req, () => finishByMovingCurrent(req)),

    restoreCurrent: (req) =>
      inStep("restoreCurrent", req, async () => {
        const current = await currentSecret(req, driver);
        if (await logsIn(driver, req, current, "AWSCURRENT")) return;
        const pendingText = await pendingValue(req);
        const candidates: Array<[string, DbSecret | undefined]> = [];
        if (pendingText !== undefined) candidates.push(["pending", parseDbSecret(pendingText, "AWSPENDING", driver)]);
        candidates.push(["previous", await previousSecret(req, driver)]);
        const same = candidates.map(([w, s]): [string, DbSecret | undefined] => [w, s && s.username === current.username && sameServer(s, current) ? s : undefined]);
        const r = await firstLogin(driver, req, same);
        if ("reasons" in r) {
          throw new RotationError(
            `the current credential does not log in to ${where(driver, current)} as ${current.username}, and neither does the pending or previous one (${r.reasons.join("; ") || "none to try"})`,
          );
        }
        await withSession(r.session, (s) => s.setOwnPassword(current.username, current.password));
      }),
  };
}

export function alternatingUsersRotator(driver: DbDriver, name: string, description: string): Rotator {
  return {
    name,
    description,
    createSecret: (req) => inStep("createSecret", req, () => createSecret(driver, req, true)),

    setSecret: (req) =>
      inStep("setSecret", req, async () => {
        const current = await currentSecret(req, driver);
        const pending = await pendingSecret(req, driver);
        const expected = alternateUsername(current.username, driver.maxUsernameLength(current.engine));
        if (pending.username !== expected) {
          throw new RotationError(`the pending user ${pending.username} is neither the current user's clone nor its original (${expected} expected)`);
        }
        if (!sameServer(pending, current)) throw new RotationError(`the pending value points at ${where(driver, pending)}, the current one at ${current.host}:${current.port}`);
        if (await logsIn(driver, req, pending, "AWSPENDING")) return; // set already (a re-run)

        // As the templates do: the current credential must work before the master one is used on its behalf.
        const cur = await login(driver, req, current, "AWSCURRENT");
        if (!cur.ok) throw new RotationError(`could not log in to ${where(driver, current)} as ${current.username} with the current credential: ${cur.reason}`);
        await cur.session.close();

        const masterId = current.masterarn;
        if (masterId === undefined) throw new RotationError(`the AWSCURRENT value has no "masterarn" field`);
        let masterText: string | undefined;
        try {
          masterText = (await req.client.getSecretValue({ SecretId: masterId, VersionStage: "AWSCURRENT" })).SecretString;
        } catch (e) {
          throw new RotationError(`could not read the master secret ${masterId}: ${(e as Error).message}`);
        }
        const master = parseDbSecret(masterText, "master secret", driver);
        // The users live in the current secret's database (the templates log the master in there).
        master.dbname = current.dbname;
        if (!sameServer(master, current)) {
          throw new RotationError(`the master secret points at ${where(driver, master)}, not at the server of this secret (${current.host}:${current.port})`);
        }
        const admin = await login(driver, req, master, "master secret");
        if (!admin.ok) throw new RotationError(`could not log in to ${where(driver, master)} as ${master.username} with the master secret ${masterId}: ${admin.reason}`);
        await withSession(admin.session, (s) => s.upsertAlternateUser(current.username, pending.username, pending.password));
      }),

    testSecret: (req) => inStep("testSecret", req, () => testSecret(driver, req)),
    finishSecret: (req) => inStep("finishSecret", req, () => finishByMovingCurrent(req)),
  };
}
