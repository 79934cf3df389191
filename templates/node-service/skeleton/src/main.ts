// Entry point: configuration from the environment, then serve until SIGTERM or SIGINT.

import { loadConfig, type Config } from "./config.js";
import { createLogger } from "./log.js";
import { createService, SERVICE } from "./server.js";

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    createLogger(SERVICE, "error").error("invalid configuration", { error: String(err) });
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(SERVICE, config.logLevel);
  const service = createService(log);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info("signal received", { signal });
    service.shutdown(config.shutdownTimeoutMs).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error("shutdown failed", { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await service.start(config.port);
}

main().catch((err: unknown) => {
  createLogger(SERVICE, "error").error("cannot start", { error: String(err) });
  process.exit(1);
});
