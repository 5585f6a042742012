import { spawn, type ChildProcess } from "node:child_process";
import type { Logger } from "../log.js";

/**
 * Runs an output's command after its file changed: changes within `debounceMs` of each other
 * run it once (after the last); a change while it runs runs it once more afterwards; it is
 * killed after `timeoutSeconds`. `/bin/sh -c`, stdin closed, stdout/stderr the agent's.
 */
export class CommandRunner {
  private timer: NodeJS.Timeout | undefined;
  private child: ChildProcess | undefined;
  private again = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: { label: string; command: string; debounceMs: number; timeoutSeconds: number; destination: string; logger: Logger },
  ) {}

  /** The file changed. */
  changed(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.start(), this.o.debounceMs);
  }

  private start(): void {
    this.timer = undefined;
    if (this.closed) return;
    if (this.child) {
      this.again = true;
      return;
    }
    const t0 = Date.now();
    const child = spawn("/bin/sh", ["-c", this.o.command], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, KEYSHIFT_DESTINATION: this.o.destination } });
    this.child = child;
    const kill = setTimeout(() => child.kill("SIGKILL"), this.o.timeoutSeconds * 1000);
    this.idle = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null, error?: string) => {
        clearTimeout(kill);
        this.child = undefined;
        const fields = { output: this.o.label, ms: Date.now() - t0, code: code ?? undefined, signal: signal ?? undefined, error };
        if (code === 0) this.o.logger.info("command ran", fields);
        else this.o.logger.warn("command failed", fields);
        resolve();
        if (this.again) {
          this.again = false;
          this.start();
        }
      };
      child.once("error", (e) => done(null, null, e.message));
      child.once("exit", (code, signal) => done(code, signal));
    });
  }

  /** Cancels a pending run and waits for a running one to end. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.again = false;
    await this.idle;
  }
}
