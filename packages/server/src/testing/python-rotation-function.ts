import { spawn } from "node:child_process";
import { dirname } from "node:path";

const PY = dirname(new URL("../../src/rotation/rotators/http/py/lambda_http.py", import.meta.url).pathname);

/**
 * Starts the aws-samples style Python rotation function (rotation_function.py) behind its small
 * HTTP wrapper (lambda_http.py), with boto3 configured by `awsEnv`; resolves with its URL.
 */
export async function startPythonRotationFunction(awsEnv: NodeJS.ProcessEnv): Promise<{ url: string; stop(): void; stderr(): string }> {
  const fn = spawn("python3", [`${PY}/lambda_http.py`, "rotation_function"], {
    cwd: PY,
    env: { ...awsEnv, PYTHONPATH: PY, PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  fn.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      fn.kill();
      reject(new Error(`the function did not start within 30 s: ${stderr}`));
    }, 30_000);
    // Unbuffered Python writes print()'s pieces separately: match on everything read so far.
    let out = "";
    fn.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    fn.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`function exited (${code}): ${stderr}`));
    });
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => void fn.kill(), stderr: () => stderr };
}
