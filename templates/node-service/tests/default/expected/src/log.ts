// Structured logs: one JSON object per line on standard output.

import type { Writable } from "node:stream";
import { LEVELS, type Level } from "./config.js";

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

/** A logger that writes `{"time", "level", "msg", "service", ...fields}` lines to `out`. */
export function createLogger(service: string, minLevel: Level, out: Writable = process.stdout): Logger {
  const min = LEVELS.indexOf(minLevel);
  const write = (level: Level, msg: string, fields: Fields = {}): void => {
    if (LEVELS.indexOf(level) < min) {
      return;
    }
    const line = { time: new Date().toISOString(), level, msg, service, ...fields };
    out.write(JSON.stringify(line) + "\n");
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}
