import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULTS, loadConfig } from "../src/config.js";

test("defaults when nothing is set", () => {
  assert.deepEqual(loadConfig({}), DEFAULTS);
});

test("reads PORT, LOG_LEVEL and SHUTDOWN_TIMEOUT_MS", () => {
  assert.deepEqual(loadConfig({ PORT: "9090", LOG_LEVEL: "DEBUG", SHUTDOWN_TIMEOUT_MS: "500" }), {
    port: 9090,
    logLevel: "debug",
    shutdownTimeoutMs: 500,
  });
});

test("rejects a bad PORT and a bad LOG_LEVEL, naming the variable", () => {
  assert.throws(() => loadConfig({ PORT: "http" }), /PORT must be an integer/);
  assert.throws(() => loadConfig({ PORT: "70000" }), /PORT must be an integer/);
  assert.throws(() => loadConfig({ LOG_LEVEL: "loud" }), /LOG_LEVEL must be one of/);
});
