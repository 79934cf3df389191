import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createLogger } from "../src/log.js";
import { createService, SERVICE } from "../src/server.js";

/** A service on a free port with its log lines captured. */
async function startService() {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  out.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n").filter(Boolean)) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  const service = createService(createLogger(SERVICE, "debug", out));
  const { port } = await service.start(0, "127.0.0.1");
  return { service, lines, url: `http://127.0.0.1:${port}` };
}

test("GET /, /healthz and /readyz answer JSON", async () => {
  const { service, url } = await startService();
  try {
    const root = await fetch(`${url}/`);
    assert.equal(root.status, 200);
    assert.deepEqual(await root.json(), { service: SERVICE });
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.headers.get("content-type"), "application/json");
    assert.deepEqual(await health.json(), { status: "ok" });
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ready" });
  } finally {
    await service.shutdown(1000);
  }
});

test("unknown paths are 404 and other methods 405", async () => {
  const { service, url } = await startService();
  try {
    assert.equal((await fetch(`${url}/nope`)).status, 404);
    const post = await fetch(`${url}/healthz`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  } finally {
    await service.shutdown(1000);
  }
});

test("every request is logged as one JSON line", async () => {
  const { service, lines, url } = await startService();
  await (await fetch(`${url}/healthz`)).text();
  await service.shutdown(1000);
  const request = lines.find((l) => l.msg === "request");
  assert.ok(request, "no request line in " + JSON.stringify(lines));
  assert.equal(request.level, "info");
  assert.equal(request.service, SERVICE);
  assert.equal(request.path, "/healthz");
  assert.equal(request.status, 200);
  assert.equal(typeof request.durationMs, "number");
  assert.ok(lines.some((l) => l.msg === "stopped"));
});

test("shutdown reports not ready and stops listening", async () => {
  const { service, url } = await startService();
  assert.equal(service.ready, true);
  await service.shutdown(1000);
  assert.equal(service.ready, false);
  assert.equal(service.server.listening, false);
  await assert.rejects(fetch(`${url}/healthz`));
});

test("the process exits 0 after SIGTERM", async () => {
  const main = fileURLToPath(new URL("../src/main.js", import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.setEncoding("utf8");
  const listening = new Promise<number>((resolve) => {
    child.stdout.on("data", (chunk: string) => {
      output += chunk;
      const match = /"msg":"listening","service":"[^"]*","port":(\d+)/.exec(output);
      if (match) {
        resolve(Number(match[1]));
      }
    });
  });
  const port = await listening;
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  child.kill("SIGTERM");
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 0, output);
  assert.match(output, /"msg":"stopped"/);
});
