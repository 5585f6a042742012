import { spawn, type ChildProcess } from "node:child_process";
import { CLI } from "../testing/harness.js";

/** Starts a Node.js child and resolves with the port its stdout announces (`ready`'s first group). */
export function startChild(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once("exit", (c) => reject(new Error(`child exited ${c}: ${out}`)));
  });
}

/** SIGTERM, resolved once the child has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.once("exit", () => r());
    child.kill("SIGTERM");
  });
}

/** A measured `keyshift server` on a free port; BENCH_PROFILE=DIR writes a CPU profile of each into DIR. */
export function startBenchServer(dataDir: string, configFile: string): Promise<{ child: ChildProcess; port: number }> {
  const prof = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  return startChild([...prof, CLI, "server", "--data-dir", dataDir, "--port", "0"], /listening on http:\/\/127\.0\.0\.1:(\d+)/, { KEYSHIFT_LOG_LEVEL: "warn", KEYSHIFT_CONFIG: configFile });
}
