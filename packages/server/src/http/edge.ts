import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ServiceError } from "@keyshift/protocol";

/** A request as the edge received it, body fully read. */
export interface EdgeRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: IncomingHttpHeaders;
  body: Buffer;
  remoteAddress: string;
  secure: boolean;
}

export interface EdgeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** A long-lived answer (server-sent events): takes over the response after the head is written; `body` is ignored. */
  stream?: (res: ServerResponse) => void;
}

export type EdgeHandler = (req: EdgeRequest) => EdgeResponse | Promise<EdgeResponse>;

export interface EdgeOptions {
  maxBodyBytes: number;
  requestTimeoutMs: number;
  handler: EdgeHandler;
  /** Renders an error raised at the edge itself (body too large) in the wire format. */
  errorResponse: (e: ServiceError) => EdgeResponse;
  onError: (e: unknown) => void;
}

function write(res: ServerResponse, r: EdgeResponse): void {
  r.headers["Content-Length"] = String(Buffer.byteLength(r.body, "utf8"));
  res.writeHead(r.status, r.headers);
  res.end(r.body, "utf8");
}

/*
 * Answers are written together at the end of the event-loop turn (setImmediate runs right after
 * the poll phase that delivered the requests), not one by one as each is ready. Under load, one
 * turn handles many connections' requests; writing their answers back to back keeps the
 * peers' wake-ups and our syscalls together instead of interleaving them with request work.
 * The added latency is the rest of the current turn.
 */
let pending: [ServerResponse, EdgeResponse][] = [];
function flush(): void {
  const batch = pending;
  pending = [];
  for (const [res, r] of batch) write(res, r);
}
function send(res: ServerResponse, r: EdgeResponse): void {
  if (r.stream) {
    res.writeHead(r.status, r.headers);
    r.stream(res);
    return;
  }
  if (pending.push([res, r]) === 1) setImmediate(flush);
}

/**
 * The HTTP listener: reads bodies up to `maxBodyBytes` (a larger Content-Length is refused with
 * 413 before a byte of it is read; a body that grows past the limit is cut off), hands complete
 * requests to the handler and writes its answer. Nothing here knows the AWS protocol.
 */
export function createEdgeServer(opts: EdgeOptions): Server {
  const server = createServer({ requestTimeout: opts.requestTimeoutMs, headersTimeout: Math.min(opts.requestTimeoutMs, 30_000), keepAliveTimeout: 65_000 });
  const tooLarge = () => opts.errorResponse(new ServiceError("RequestEntityTooLargeException", `Request body is larger than the limit of ${opts.maxBodyBytes} bytes.`));
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > opts.maxBodyBytes) {
      res.setHeader("Connection", "close");
      write(res, tooLarge());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on("data", (c: Buffer) => {
      if (aborted) return;
      size += c.length;
      if (size > opts.maxBodyBytes) {
        aborted = true;
        res.setHeader("Connection", "close");
        // Answer at once (not with the batch): the rest of the body is never read, the
        // connection closes once the answer is out.
        res.once("finish", () => req.destroy());
        write(res, tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (aborted) return;
      const edgeReq: EdgeRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        remoteAddress: req.socket.remoteAddress ?? "",
        secure: "encrypted" in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted),
      };
      let out: EdgeResponse | Promise<EdgeResponse>;
      try {
        out = opts.handler(edgeReq);
      } catch (e) {
        opts.onError(e);
        out = opts.errorResponse(new ServiceError("InternalServiceError", "An error occurred on the server side."));
      }
      if (out instanceof Promise) {
        out.then(
          (r) => send(res, r),
          (e) => {
            opts.onError(e);
            send(res, opts.errorResponse(new ServiceError("InternalServiceError", "An error occurred on the server side.")));
          },
        );
      } else send(res, out);
    });
    req.on("error", () => {
      aborted = true;
    });
  });
  server.on("clientError", (err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy(err);
  });
  return server;
}
