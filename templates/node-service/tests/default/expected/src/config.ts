// Configuration from the environment, checked once at start-up.

export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];

export interface Config {
  /** TCP port to listen on (0 picks a free one). */
  port: number;
  /** The lowest level that is logged. */
  logLevel: Level;
  /** How long shutdown waits for requests in flight, in milliseconds. */
  shutdownTimeoutMs: number;
}

export const DEFAULTS: Config = {
  port: 8080,
  logLevel: "info",
  shutdownTimeoutMs: 15_000,
};

/** Reads PORT, LOG_LEVEL and SHUTDOWN_TIMEOUT_MS; throws an Error naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: integer(env, "PORT", DEFAULTS.port, 0, 65535),
    logLevel: level(env.LOG_LEVEL),
    shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", DEFAULTS.shutdownTimeoutMs, 0, 600_000),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function level(raw: string | undefined): Level {
  if (raw === undefined || raw === "") {
    return DEFAULTS.logLevel;
  }
  const wanted = raw.toLowerCase();
  const found = LEVELS.find((l) => l === wanted);
  if (found === undefined) {
    throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(", ")}, got "${raw}"`);
  }
  return found;
}
