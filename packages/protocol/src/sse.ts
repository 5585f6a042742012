/** One server-sent event. `id` is the stream's last event id after this event (per the SSE spec). */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * An incremental `text/event-stream` parser (the WHATWG rules that matter here): lines end with
 * LF, CRLF or CR; `:` lines are comments; `data` lines join with LF; a blank line dispatches;
 * an event without data is not dispatched; the event type defaults to `message`.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private lastId: string | undefined;
  private pendingCr = false;

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      if (m[0] === "\r" && m.index === this.buffer.length - 1) this.pendingCr = true;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) this.onEvent({ event: this.event || "message", data: this.data.join("\n"), ...(this.lastId !== undefined ? { id: this.lastId } : {}) });
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
  }
}
