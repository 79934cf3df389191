// golden's bridge to Backstage action modules from npm (embedded in the golden binary, written
// next to the installed packages, run with Node.js once per run).
//
//   node bridge.cjs describe PACKAGE   -> one JSON line: {"actions": [{id, description, input, output}]}
//   node bridge.cjs serve              -> reads one JSON request per line on stdin, answers with
//                                         JSON lines on stdout (`log` lines, then `result` or `error`)
//
// A module is started the way Backstage starts it: its backend module's `init` gets the
// scaffolder extension point (which records the actions), a root config built from golden's
// config, a logger, and services golden answers over the same channel: the bridge writes
// `{"type": "ask", "id", "service", "args"}` on stdout and golden writes `{"answer": id,
// "result" | "error"}` on stdin:
//   - the url reader (`core.urlReader`): golden's readers, with Backstage's allow-list
//     (integration hosts; others fail with NotAllowedError), tokens, timeouts and retries;
//   - the catalog (`catalog-client`, and `CatalogClient`s made with `core.discovery`, which
//     point at a small HTTP server of the bridge on 127.0.0.1): golden's catalog.
// Any other service is a stand-in that fails, naming the service, when an action uses it.
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

// ------------------------------------------------------------------ asking golden
let nextAsk = 0;
const pending = new Map();
function ask(service, args) {
  const id = ++nextAsk;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ type: 'ask', id, service, args });
  });
}
function settle(msg) {
  const p = pending.get(msg.answer);
  if (!p) return;
  pending.delete(msg.answer);
  if (msg.error) {
    const e = new Error(msg.error.message);
    e.name = msg.error.name || 'Error';
    p.reject(e);
  } else p.resolve(msg.result);
}

// ------------------------------------------------------------------ url reader
function walkFiles(dir, rel = '', out = []) {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) { if (e.name !== '.git') walkFiles(dir, r, out); } else if (e.isFile()) out.push(r);
  }
  return out;
}
const urlReader = {
  async readUrl(url) {
    const { base64 } = await ask('urlReader.readUrl', { url: String(url) });
    const buf = Buffer.from(base64, 'base64');
    return { buffer: async () => buf, stream: () => require('stream').Readable.from(buf), etag: undefined };
  },
  async read(url) { return (await urlReader.readUrl(url)).buffer(); },
  async readTree(url, options = {}) {
    const { dir } = await ask('urlReader.readTree', { url: String(url) });
    const keep = (p) => !options.filter || options.filter(p, { size: fs.statSync(path.join(dir, p)).size });
    return {
      etag: '',
      async files() {
        return walkFiles(dir).filter(keep).map((p) => ({
          path: p,
          content: async () => fs.readFileSync(path.join(dir, p)),
          lastModifiedAt: fs.statSync(path.join(dir, p)).mtime,
        }));
      },
      async dir(o = {}) {
        const target = o.targetDir || fs.mkdtempSync(path.join(os.tmpdir(), 'golden-tree-'));
        for (const p of walkFiles(dir).filter(keep)) {
          fs.mkdirSync(path.dirname(path.join(target, p)), { recursive: true });
          fs.copyFileSync(path.join(dir, p), path.join(target, p));
          fs.chmodSync(path.join(target, p), fs.statSync(path.join(dir, p)).mode);
        }
        return target;
      },
      async archive() { throw unsupported('urlReader.readTree().archive()'); },
    };
  },
  async search() { throw unsupported('urlReader.search'); },
};
function unsupported(what) {
  const e = new Error(`this action needs \`${what}\`, which golden does not provide`);
  e.name = 'NotImplementedError';
  return e;
}

// ------------------------------------------------------------------ catalog
const EXISTS = (() => { try { return req('@backstage/catalog-client').CATALOG_FILTER_EXISTS; } catch { return undefined; } })();
// A getEntities/queryEntities filter (object, or array of objects OR'd) as the catalog's
// `filter` query values (`kind=user,spec.type`), as CatalogClient encodes it.
function filterValues(filter) {
  const out = [];
  for (const set of [].concat(filter || [])) {
    const parts = [];
    for (const [key, value] of Object.entries(set || {})) {
      for (const v of [].concat(value)) {
        if (v === EXISTS || (typeof v === 'symbol')) parts.push(key);
        else if (typeof v === 'string') parts.push(`${key}=${v}`);
      }
    }
    if (parts.length) out.push(parts.join(','));
  }
  return out;
}
const refString = (r) => (typeof r === 'string' ? r : `${r.kind}:${r.namespace || 'default'}/${r.name}`);
const orderList = (o) => [].concat(o || []).filter(Boolean).map((x) => ({ field: x.field, order: x.order || 'asc' }));
const catalogAsk = (op, args) => ask('catalog', { op, ...args });
async function query(request = {}) {
  if (request.cursor) {
    const c = JSON.parse(Buffer.from(request.cursor, 'base64').toString());
    return query({ ...c.request, offset: c.offset, limit: request.limit ?? c.request.limit });
  }
  const { filter, fields, limit, orderFields, fullTextFilter } = request;
  const offset = request.offset || 0;
  const r = await catalogAsk('queryEntities', {
    filter: Array.isArray(filter) && typeof filter[0] === 'string' ? filter : filterValues(filter),
    fields: fields || [], limit, offset, order: orderList(orderFields),
    fullTextTerm: fullTextFilter && fullTextFilter.term,
  });
  const cursor = (at) => Buffer.from(JSON.stringify({ request: { filter, fields, limit, orderFields, fullTextFilter }, offset: at })).toString('base64');
  const pageInfo = {};
  if (limit !== undefined && offset + r.items.length < r.totalItems) pageInfo.nextCursor = cursor(offset + r.items.length);
  if (limit !== undefined && offset > 0) pageInfo.prevCursor = cursor(Math.max(0, offset - limit));
  return { items: r.items, totalItems: r.totalItems, pageInfo };
}
const catalog = {
  async getEntityByRef(ref) { return (await catalogAsk('getEntityByRef', { entityRef: refString(ref) })) ?? undefined; },
  async getEntities(request = {}) {
    const r = await catalogAsk('getEntities', {
      filter: filterValues(request.filter), fields: request.fields || [],
      limit: request.limit, offset: request.offset, order: orderList(request.order),
    });
    return { items: r.items };
  },
  async getEntitiesByRefs(request) {
    const r = await catalogAsk('getEntitiesByRefs', { entityRefs: request.entityRefs.map(refString), fields: request.fields || [] });
    return { items: r.items.map((e) => e ?? undefined) };
  },
  queryEntities: (request) => query(request),
  async addLocation(request) {
    const { type = 'url', target, dryRun } = request;
    return catalogAsk('addLocation', { type, target, dryRun: !!dryRun });
  },
};
const catalogService = new Proxy(catalog, {
  get: (t, k) => (k in t || typeof k === 'symbol' || k === 'then' ? t[k]
    : async () => { throw unsupported(`catalog.${String(k)}`); }),
});

// The catalog's REST API for CatalogClients a module makes with the discovery service: a server
// on 127.0.0.1 started on first use, answering from `catalog` above.
let catalogBase;
function catalogServer() {
  if (catalogBase) return catalogBase;
  catalogBase = new Promise((resolve, reject) => {
    const http = require('http');
    const server = http.createServer(async (rq, rs) => {
      const reply = (status, body) => {
        rs.writeHead(status, { 'content-type': 'application/json' });
        rs.end(body === undefined ? '' : JSON.stringify(body));
      };
      try {
        const u = new URL(rq.url, 'http://127.0.0.1');
        const p = u.pathname.replace(/^\/api\/catalog/, '');
        const q = (k) => u.searchParams.getAll(k).flatMap((v) => (k === 'fields' ? v.split(',') : [v])).filter(Boolean);
        const body = await new Promise((ok) => { let b = ''; rq.on('data', (c) => { b += c; }); rq.on('end', () => ok(b ? JSON.parse(b) : {})); });
        let m;
        if (rq.method === 'GET' && (m = p.match(/^\/entities\/by-name\/([^/]+)\/([^/]+)\/([^/]+)$/))) {
          const e = await catalog.getEntityByRef(`${decodeURIComponent(m[1])}:${decodeURIComponent(m[2])}/${decodeURIComponent(m[3])}`);
          return e ? reply(200, e) : reply(404, { error: { name: 'NotFoundError', message: `No entity named '${m[3]}' found, with kind '${m[1]}' in namespace '${m[2]}'` } });
        }
        if (rq.method === 'GET' && p === '/entities') {
          const order = q('order').map((o) => { const [ord, ...f] = o.split(':'); return { order: ord, field: f.join(':') }; });
          const r = await catalogAsk('getEntities', { filter: q('filter'), fields: q('fields'), limit: num(u, 'limit'), offset: num(u, 'offset'), order });
          return reply(200, r.items);
        }
        if (rq.method === 'GET' && p === '/entities/by-query') {
          const orderFields = q('orderField').map((o) => { const [field, order] = o.split(','); return { field, order }; });
          const term = u.searchParams.get('fullTextFilterTerm');
          return reply(200, await query({
            cursor: u.searchParams.get('cursor') || undefined, filter: q('filter'), fields: q('fields'),
            limit: num(u, 'limit'), offset: num(u, 'offset'), orderFields,
            fullTextFilter: term ? { term } : undefined,
          }));
        }
        if (rq.method === 'POST' && p === '/entities/by-refs') {
          return reply(200, await catalogAsk('getEntitiesByRefs', { entityRefs: body.entityRefs || [], fields: body.fields || q('fields') }));
        }
        if (rq.method === 'POST' && p === '/locations') {
          return reply(201, await catalog.addLocation({ ...body, dryRun: u.searchParams.get('dryRun') === 'true' }));
        }
        const e = unsupported(`the catalog API \`${rq.method} ${p}\``);
        return reply(501, { error: { name: e.name, message: e.message } });
      } catch (e) {
        const status = { NotFoundError: 404, InputError: 400, NotAllowedError: 403, NotImplementedError: 501 }[e.name] || 500;
        return reply(status, { error: { name: e.name || 'Error', message: String(e.message || e) } });
      }
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${server.address().port}/api/catalog`);
    });
  });
  return catalogBase;
}
function num(u, k) { const v = u.searchParams.get(k); return v === null ? undefined : Number(v); }

const discovery = {
  async getBaseUrl(pluginId) {
    if (pluginId === 'catalog') return catalogServer();
    throw unsupported(`the \`${pluginId}\` backend plugin (discovery.getBaseUrl('${pluginId}'))`);
  },
  async getExternalBaseUrl(pluginId) { return discovery.getBaseUrl(pluginId); },
};

// Credentials for requests to the catalog above (which needs no token).
const auth = {
  async getOwnServiceCredentials() { return { $$type: '@backstage/BackstageCredentials', principal: { type: 'service', subject: 'plugin:scaffolder' } }; },
  async getNoneCredentials() { return { $$type: '@backstage/BackstageCredentials', principal: { type: 'none' } }; },
  async getPluginRequestToken() { return { token: '' }; },
  isPrincipal: (c, type) => !!c && !!c.principal && (type === 'unknown' || c.principal.type === type),
  async authenticate() { throw unsupported('auth.authenticate'); },
  async getLimitedUserToken() { throw unsupported('auth.getLimitedUserToken'); },
  async listPublicServiceKeys() { return { keys: [] }; },
};

const SERVICES = {
  'core.auth': () => auth,
  'core.rootConfig': () => rootConfig(),
  'core.logger': () => makeLogger(() => {}),
  'core.rootLogger': () => makeLogger(() => {}),
  'core.urlReader': () => urlReader,
  'core.discovery': () => discovery,
  'catalog-client': () => catalogService,
};

/** Starts a package's backend modules; returns {actions: Map(id -> action), failures: [..]}. */
async function load(pkg) {
  const mod = req(pkg);
  const actions = new Map();
  const failures = [];
  const features = [mod, mod.default, ...Object.values(mod)].filter(
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

// Requests run one at a time; golden's answers to the bridge's questions arrive meanwhile.
function serve() {
  const rl = readline.createInterface({ input: process.stdin });
  const queue = [];
  let busy = false;
  const pump = async () => {
    if (busy) return;
    busy = true;
    while (queue.length) {
      const request = queue.shift();
      try {
        const output = await run(request);
        send({ type: 'result', output });
      } catch (e) {
        // Backstage's own errors (NotAllowedError, NotFoundError, ...) keep their name
        const named = e && e.name && e.name !== 'Error' && /Error$/.test(e.name) ? `${e.name}: ` : '';
        send({ type: 'error', message: named + String(e && e.message ? e.message : e) });
      }
    }
    busy = false;
  };
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let msg;
    try { msg = JSON.parse(line); } catch (e) { send({ type: 'error', message: `bad request: ${e.message}` }); return; }
    if (msg.answer !== undefined) settle(msg);
    else { queue.push(msg); pump(); }
  });
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'describe') describe(arg);
else if (mode === 'serve') serve();
else { process.stderr.write('usage: bridge.cjs describe PACKAGE | serve\n'); process.exit(2); }
