// golden's bridge to Backstage action modules from npm (embedded in the golden binary, written
// next to the installed packages, run with Node.js once per run).
//
//   node bridge.cjs describe PACKAGE   -> one JSON line: {"actions": [{id, description, input, output}]}
//   node bridge.cjs serve              -> reads one JSON request per line on stdin, answers with
//                                         JSON lines on stdout (`log` lines, then `result` or `error`)
//
// A module is started the way Backstage starts it: its backend module's `init` gets the
// scaffolder extension point (which records the actions), a root config built from golden's
// config, a url reader backed by fetch/fs, and a logger. Any other service is a stand-in that
// fails, naming the service, when an action uses it.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const readline = require('readline');

const HOME = __dirname;
const MARK = '\u0001golden:';
// the protocol owns stdout; whatever a module prints goes to stderr
const writeOut = process.stdout.write.bind(process.stdout);
for (const k of ['log', 'info', 'debug', 'warn', 'error', 'trace']) {
  console[k] = (...a) => process.stderr.write(a.map(String).join(' ') + '\n');
}
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);
const send = (msg) => writeOut(MARK + JSON.stringify(msg) + '\n');

const req = (m) => require(require.resolve(m, { paths: [HOME] }));

let appConfig = {};
try { appConfig = JSON.parse(process.env.GOLDEN_BRIDGE_CONFIG || '{}'); } catch { appConfig = {}; }

function rootConfig() {
  try {
    const { ConfigReader } = req('@backstage/config');
    return new ConfigReader(appConfig);
  } catch {
    return missing('core.rootConfig');
  }
}

// A service golden does not provide: using it fails with its name.
function missing(name) {
  const fail = () => {
    throw new Error(`this action needs the Backstage service \`${name}\`, which golden does not provide`);
  };
  return new Proxy(function () {}, {
    get: (t, k) => (k === 'then' ? undefined : k === Symbol.toPrimitive ? () => `[${name}]` : fail),
    apply: fail,
    construct: fail,
  });
}

function makeLogger(emit) {
  const l = {};
  for (const level of ['info', 'warn', 'error', 'debug']) {
    l[level] = (message, meta) => emit(level, String(message) + (meta && Object.keys(meta).length ? ' ' + JSON.stringify(meta) : ''));
  }
  l.child = () => l;
  return l;
}

const urlReader = {
  async readUrl(url) {
    const buf = await readAny(url);
    return { buffer: async () => buf, stream: () => require('stream').Readable.from(buf), etag: undefined };
  },
  async read(url) { return readAny(url); },
  async readTree() { throw new Error('this action needs `urlReader.readTree`, which golden does not provide'); },
  async search() { throw new Error('this action needs `urlReader.search`, which golden does not provide'); },
};
async function readAny(url) {
  if (url.startsWith('file:')) return fs.readFileSync(new URL(url));
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot read ${url}: HTTP ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
}

const SERVICES = {
  'core.rootConfig': () => rootConfig(),
  'core.logger': () => makeLogger(() => {}),
  'core.rootLogger': () => makeLogger(() => {}),
  'core.urlReader': () => urlReader,
};

/** Starts a package's backend modules; returns {actions: Map(id -> action), failures: [..]}. */
async function load(pkg) {
  const mod = req(pkg);
  const actions = new Map();
  const failures = [];
  const features = [mod.default, ...Object.values(mod)].filter(
    (f) => f && f.$$type === '@backstage/BackendFeature' && typeof f.getRegistrations === 'function');
  for (const f of new Set(features)) {
    for (const r of f.getRegistrations()) {
      if (!r.init) continue;
      const deps = {};
      for (const [name, ref] of Object.entries(r.init.deps || {})) {
        const id = String(ref && ref.id);
        if (/^scaffolder\.(template\.)?actions$/.test(id) || id === 'scaffolder.actions') {
          deps[name] = { addActions: (...as) => as.forEach((a) => actions.set(a.id, a)) };
        } else if (SERVICES[id]) {
          deps[name] = SERVICES[id]();
        } else {
          deps[name] = missing(id);
        }
      }
      try {
        await r.init.func(deps);
      } catch (e) {
        failures.push(e && e.message ? e.message : String(e));
      }
    }
  }
  return { actions, failures };
}

const loaded = new Map();
async function loadCached(pkg) {
  if (!loaded.has(pkg)) loaded.set(pkg, await load(pkg));
  return loaded.get(pkg);
}

function schemaOf(s) {
  if (!s) return null;
  try { return JSON.parse(JSON.stringify(s)); } catch { return null; }
}

async function describe(pkg) {
  try {
    const { actions, failures } = await load(pkg);
    const list = [...actions.values()].map((a) => ({
      id: a.id,
      description: a.description || '',
      input: schemaOf(a.schema && a.schema.input),
      output: schemaOf(a.schema && a.schema.output),
      supportsDryRun: !!a.supportsDryRun,
    }));
    send({ actions: list, failures });
  } catch (e) {
    send({ error: String(e && e.message ? e.message : e) });
  }
}

async function run(request) {
  const emit = (level, message) => send({ type: 'log', level, message });
  const { actions, failures } = await loadCached(request.package);
  const action = actions.get(request.action);
  if (!action) {
    const why = failures.length ? `; starting the module failed: ${failures.join('; ')}` : '';
    throw new Error(`the package ${request.package} provides no action \`${request.action}\`${why}`);
  }
  const output = {};
  const temps = [];
  const controller = new AbortController();
  const ctx = {
    input: request.input,
    workspacePath: request.workspacePath,
    logger: makeLogger(emit),
    logStream: { write: (s) => emit('info', String(s).replace(/\n$/, '')) },
    output: (name, value) => { output[name] = value; },
    createTemporaryDirectory: async () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'golden-action-'));
      temps.push(d);
      return d;
    },
    checkpoint: async (opts) => (typeof opts === 'function' ? opts() : opts.fn()),
    getInitiatorCredentials: async () => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'none' } }),
    secrets: request.secrets || {},
    templateInfo: request.templateInfo,
    user: request.user,
    isDryRun: !!request.isDryRun,
    signal: controller.signal,
    each: request.each,
    step: { id: request.stepId },
    task: { id: 'golden' },
  };
  try {
    await action.handler(ctx);
  } finally {
    for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
  }
  return output;
}

async function serve() {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let request;
    try { request = JSON.parse(line); } catch (e) { send({ type: 'error', message: `bad request: ${e.message}` }); continue; }
    try {
      const output = await run(request);
      send({ type: 'result', output });
    } catch (e) {
      send({ type: 'error', message: String(e && e.message ? e.message : e) });
    }
  }
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'describe') describe(arg);
else if (mode === 'serve') serve();
else { process.stderr.write('usage: bridge.cjs describe PACKAGE | serve\n'); process.exit(2); }
