import { readFileSync } from "node:fs";
import type { Logger } from "../log.js";
import { CommandRunner } from "./command-runner.js";
import { writeFileAtomic } from "./atomic-write.js";
import { prepareOutput, renderOutput, type PreparedOutput } from "./render-output.js";
import { fetchKey, type SecretSource } from "./secret-ref.js";
import type { OutputConfig } from "../config/output-config.js";

interface Slot {
  p: PreparedOutput;
  keys: Set<string>;
  /** The content on disk as far as we know (undefined: not read yet). */
  written?: Buffer | null;
  runner?: CommandRunner;
  rendering?: Promise<boolean>;
  again?: boolean;
}

/**
 * Keeps the rendered files of the configuration up to date: `renderAll()` renders every output
 * (the first time and on a timer), `secretChanged(key)` re-renders the outputs that read that
 * cache key. A file is rewritten (atomically, 0600) only when its content differs from what is on
 * disk, and only then is its command run. A failed render keeps the old file and is logged
 * (naming the output and the secret, never a value).
 */
export class OutputManager {
  private readonly slots: Slot[];

  constructor(
    outputs: readonly OutputConfig[],
    private readonly source: SecretSource,
    private readonly logger: Logger,
    runCommands: boolean,
  ) {
    this.slots = outputs.map((c) => {
      const p = prepareOutput(c);
      const slot: Slot = { p, keys: new Set(p.refs.map((r) => fetchKey(r))) };
      if (runCommands && c.command) slot.runner = new CommandRunner({ label: c.label, command: c.command, debounceMs: c.commandDebounceMs, timeoutSeconds: c.commandTimeoutSeconds, destination: c.destination, logger });
      return slot;
    });
  }

  get count(): number {
    return this.slots.length;
  }

  /** Renders every output; resolves with the number that failed. */
  async renderAll(): Promise<number> {
    const ok = await Promise.all(this.slots.map((s) => this.render(s)));
    return ok.filter((x) => !x).length;
  }

  /** A cache entry's value changed: re-render the outputs that read it. */
  secretChanged(key: string): void {
    for (const s of this.slots) if (s.keys.has(key)) void this.render(s);
  }

  private render(s: Slot): Promise<boolean> {
    if (s.rendering) {
      s.again = true;
      return s.rendering;
    }
    s.rendering = this.renderOnce(s).finally(() => {
      s.rendering = undefined;
      if (s.again) {
        s.again = false;
        void this.render(s);
      }
    });
    return s.rendering;
  }

  private async renderOnce(s: Slot): Promise<boolean> {
    const c = s.p.config;
    const t0 = Date.now();
    let data: Buffer;
    try {
      data = await renderOutput(s.p, this.source);
    } catch (e) {
      this.logger.error("render failed; the file is left as it was", { output: c.label, destination: c.destination, error: (e as Error).message });
      return false;
    }
    if (s.written === undefined) {
      try {
        s.written = readFileSync(c.destination);
      } catch {
        s.written = null;
      }
    }
    if (s.written !== null && s.written.equals(data)) return true;
    try {
      writeFileAtomic(c.destination, data);
    } catch (e) {
      this.logger.error("cannot write the rendered file", { output: c.label, destination: c.destination, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      return false;
    }
    s.written = data;
    this.logger.info("rendered", { output: c.label, destination: c.destination, bytes: data.length, ms: Date.now() - t0 });
    s.runner?.changed();
    return true;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.runner?.close()));
  }
}
