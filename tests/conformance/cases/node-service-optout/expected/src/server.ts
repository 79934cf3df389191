// Routes, health checks, request logs and graceful shutdown, on node:http alone.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "./log.js";

export const SERVICE = "lean";

export interface Service {
  /** Starts listening; resolves with the bound address. */
  start(port: number, host?: string): Promise<AddressInfo>;
  /** Reports not ready, stops accepting connections and waits for requests in flight. */
  shutdown(timeoutMs: number): Promise<void>;
  /** Whether /readyz answers 200. */
  readonly ready: boolean;
  readonly server: Server;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function createService(log: Logger): Service {
  let ready = false;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      send(res, 405, { error: "method not allowed" });
      return;
    }
    switch (path) {
      case "/":
        send(res, 200, { service: SERVICE });
        return;
      case "/healthz":
        send(res, 200, { status: "ok" });
        return;
      case "/readyz":
        if (ready) {
          send(res, 200, { status: "ready" });
        } else {
          send(res, 503, { status: "not ready" });
        }
        return;
      default:
        send(res, 404, { error: "not found" });
    }
  };

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      log.info("request", { method: req.method, path: req.url, status: res.statusCode, durationMs });
    });
    try {
      handle(req, res);
    } catch (err) {
      log.error("request failed", { error: String(err) });
      if (!res.headersSent) {
        send(res, 500, { error: "internal error" });
      }
    }
  });

  return {
    server,
    get ready() {
      return ready;
    },
    start(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          ready = true;
          const address = server.address() as AddressInfo;
          log.info("listening", { port: address.port });
          resolve(address);
        });
      });
    },
    shutdown(timeoutMs) {
      ready = false;
      log.info("shutting down", { timeoutMs });
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          log.warn("requests still in flight at the deadline; closing their connections");
          server.closeAllConnections();
        }, timeoutMs);
        server.close(() => {
          clearTimeout(timer);
          log.info("stopped");
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
