import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { pino } from "pino";
import { startApp, type App, type AppOptions } from "../app.js";
import { loadConfig } from "../config/load.js";
import { captureLeakOutput, captureStoredAudit, leakConfigOverrides, leakOutputPath, leakScanDir } from "./leak-scan.js";

/** Fixed credentials for tests: the bootstrap key every test server is started with. */
export const TEST_ACCOUNT = "111122223333";
export const TEST_KEY_ID = "KSAKTESTTESTTEST0001";
export const TEST_SECRET = "test-secret-access-key-0123456789abcdefgh";
export const TEST_REGION = "us-east-1";

export function tempDir(prefix = "keyshift-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestServer {
  app: App;
  endpoint: string;
  dataDir: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Environment for an aws CLI / boto3 child process pointed at this server. */
  awsEnv: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** Starts a server in this process on a free port with a fresh data dir and the test key. */
export async function startTestServer(
  o: { clock?: () => number; dataDir?: string; env?: NodeJS.ProcessEnv; rotation?: Record<string, unknown>; config?: Record<string, unknown>; rotationCheckpoint?: AppOptions["rotationCheckpoint"] } = {},
): Promise<TestServer> {
  const dataDir = o.dataDir ?? tempDir();
  // The whole-suite leak scan (leak-scan.ts): every output on, into the scan directory.
  const leak = leakScanDir() ? await leakConfigOverrides(o.config) : undefined;
  const config = loadConfig({
    env: {
      KEYSHIFT_ACCOUNT_ID: TEST_ACCOUNT,
      KEYSHIFT_BOOTSTRAP_ACCESS_KEY_ID: TEST_KEY_ID,
      KEYSHIFT_BOOTSTRAP_SECRET_ACCESS_KEY: TEST_SECRET,
      KEYSHIFT_LOG_LEVEL: "silent",
      ...o.env,
    },
    flags: { dataDir, port: 0, host: "127.0.0.1" },
    // The scheduler is driven by app.scheduleNow() in tests; its timer stays out of the way.
    overrides: { ...leak, rotation: { schedulerIntervalSeconds: 3600, retryBaseSeconds: 60, ...o.rotation }, ...o.config },
  });
  const app = await startApp(config, {
    logger: leak ? pino({ level: "trace" }, pino.destination({ dest: leakOutputPath("log"), sync: false })) : pino({ level: "silent" }),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.rotationCheckpoint ? { rotationCheckpoint: o.rotationCheckpoint } : {}),
  });
  return {
    app,
    endpoint: app.endpoint,
    dataDir,
    credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET },
    awsEnv: awsEnv(app.endpoint),
    close: async () => {
      // Shutdown awaits work (rotations, audit and notification flushes) that may hold no handle
      // of its own: keep this test process alive until it is done.
      const keepAlive = setInterval(() => {}, 1000);
      try {
        if (leak) await captureMetrics(app.endpoint);
        await app.close(1000);
        if (leak) captureStoredAudit(dataDir);
      } finally {
        clearInterval(keepAlive);
      }
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function awsEnv(endpoint: string, key = TEST_KEY_ID, secret = TEST_SECRET): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: key,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_REGION: TEST_REGION,
    AWS_ENDPOINT_URL: endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_PAGER: "",
    PYTHONUNBUFFERED: "1",
  };
}

/**
 * Skips (locally) or fails (CI=true) a test whose external dependency is missing, printing why.
 * Returns true when the test may run.
 */
export function requireDependency(t: TestContext, what: string, available: boolean): boolean {
  if (available) return true;
  if (process.env.CI === "true") throw new Error(`${what} is required in CI but is not available`);
  t.skip(`${what} not available`);
  return false;
}

export function hasCommand(cmd: string, args: string[] = ["--version"]): boolean {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

export function hasPythonModule(mod: string): boolean {
  return spawnSync("python3", ["-c", `import ${mod}`], { stdio: "ignore" }).status === 0;
}

/** The compiled CLI entry point (packages/server/dist/main.js). */
export const CLI = new URL("../main.js", import.meta.url).pathname;

export interface ServerProcess {
  child: ChildProcess;
  endpoint: string;
  output: () => string;
  /** Sends SIGKILL and waits for exit. */
  kill9(): Promise<void>;
  /** Sends SIGTERM and waits for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `keyshift server` as a child process (for crash and signal tests) and waits until it listens. */
export async function spawnServer(dataDir: string, port = 0, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, "server", "--data-dir", dataDir, "--port", String(port)], {
    env: {
      ...process.env,
      KEYSHIFT_ACCOUNT_ID: TEST_ACCOUNT,
      KEYSHIFT_BOOTSTRAP_ACCESS_KEY_ID: TEST_KEY_ID,
      KEYSHIFT_BOOTSTRAP_SECRET_ACCESS_KEY: TEST_SECRET,
      KEYSHIFT_LOG_LEVEL: leakScanDir() ? "trace" : "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      // The leak scan reads what the server printed (trace logs in that mode).
      captureLeakOutput("server-output", out);
      resolve(code);
    }),
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${out}`));
    });
  });
  return {
    child,
    endpoint,
    output: () => out,
    kill9: async () => {
      child.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (an in-process test server keeps answering) and collects its output; killed after `timeoutMs`. */
export function runProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The leak scan keeps a test server's metrics as scraped at its end (every counter it kept). */
async function captureMetrics(endpoint: string): Promise<void> {
  const r = await fetch(`${endpoint}/metrics`).catch(() => undefined);
  if (r?.ok) captureLeakOutput("metrics", await r.text());
}
