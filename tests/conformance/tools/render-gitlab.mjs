#!/usr/bin/env node
// Runs a scaffolder.backstage.io/v1beta3 template with Backstage's real scaffolder
// (@backstage/plugin-scaffolder-backend 4.3.0: NunjucksWorkflowRunner and its built-in actions)
// and the real actions of @backstage/plugin-scaffolder-backend-module-gitlab 0.12.0, against the
// GitLab the app-config names (in this repository: the fake GitLab of tests/it/fake_gitlab.rs on
// 127.0.0.1, see `conformance_gitlab_record` in tests/it/backstage_record_gitlab.rs, which calls
// this script and sanitizes what it writes). It writes the final workspace to <outDir> (without
// the `.git` folder publish:gitlab's git push leaves in it) and a record of every step (rendered
// input, output, status), the template's output and the catalog calls, in the shape of the shared
// oracle's render.mjs.
//
//   node render-gitlab.mjs <templateDir> <values.json> <outDir> --config APP_CONFIG.yaml --record FILE
//
// Run it from (or with NODE_PATH pointing into) a folder where the packages of
// tests/conformance/tools/gitlab-oracle/package.json are installed. catalog:register runs for
// real against a fake catalog that answers with the entities of the published workspace (as
// render.mjs does); actions of other modules (publish:github, ...) are stubs that output nothing,
// so a template must only run GitLab and built-in actions (others may be skipped by `if`).
// Exit codes: 0 ok; 1 a step failed; 2 the template or the values were rejected; 3 usage.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const positional = [];
const opts = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--config') opts.config = args[++i];
  else if (args[i] === '--record') opts.record = args[++i];
  else positional.push(args[i]);
}
if (positional.length !== 3 || !opts.config || !opts.record) {
  process.stderr.write('usage: node render-gitlab.mjs <templateDir> <values.json> <outDir> --config FILE --record FILE\n');
  process.exit(3);
}
const [templateDir, valuesFile, outDir] = positional.map(p => path.resolve(p));

const require = createRequire(path.join(process.cwd(), 'package.json'));
const pkgDir = name => path.dirname(require.resolve(`${name}/package.json`));
const backendInternal = rel => require(path.join(pkgDir('@backstage/plugin-scaffolder-backend'), 'dist', rel));
const yaml = require('yaml');
const fse = require('fs-extra');
const jsonschema = require('jsonschema');
const { ConfigReader } = require('@backstage/config');
const { ScmIntegrations } = require('@backstage/integration');
const scaffolderNode = require('@backstage/plugin-scaffolder-node');
const scaffolderCommon = require('@backstage/plugin-scaffolder-common');
const { resolveParameterSteps } = require('@backstage/plugin-scaffolder-common/alpha');
const backend = require('@backstage/plugin-scaffolder-backend');
const gitlabModule = require('@backstage/plugin-scaffolder-backend-module-gitlab');
const { NunjucksWorkflowRunner } = backendInternal('scaffolder/tasks/NunjucksWorkflowRunner.cjs.js');
const templating = backendInternal('util/templating.cjs.js');

const version = name => JSON.parse(fs.readFileSync(path.join(pkgDir(name), 'package.json'), 'utf8')).version;
const templateFile = path.join(templateDir, 'template.yaml');
const template = yaml.parseAllDocuments(fs.readFileSync(templateFile, 'utf8')).map(d => d.toJSON()).find(d => d?.kind === 'Template');
let values = JSON.parse(fs.readFileSync(valuesFile, 'utf8'));
const config = new ConfigReader(yaml.parse(fs.readFileSync(opts.config, 'utf8')) ?? {}, 'app-config');
const integrations = ScmIntegrations.fromConfig(config);

const record = {
  oracle: {
    engine: 'v4',
    versions: Object.fromEntries(['@backstage/plugin-scaffolder-backend', '@backstage/plugin-scaffolder-node',
      '@backstage/plugin-scaffolder-backend-module-gitlab', 'nunjitsu'].map(n => [n, version(n)])),
    node: process.version,
  },
  template: { file: templateFile },
  parameters: undefined,
  steps: [],
  catalogCalls: [],
  output: undefined,
  error: undefined,
  log: [],
};
const stripAnsi = s => String(s).replace(/\u001b\[[0-9;]*m/g, '');
const say = (level, msg) => process.stderr.write(`[${level}] ${stripAnsi(msg)}\n`);
const makeLogger = () => ({ error: m => say('error', m), warn: m => say('warn', m), info: m => say('info', m), debug: () => {}, child: () => makeLogger() });
const noopMetrics = new Proxy({}, { get: () => () => ({ add() {}, record() {}, addCallback() {}, removeCallback() {} }) });

// Validation as POST /v2/tasks does it (template schema, then each visible page).
if (!(await scaffolderCommon.templateEntityV1beta3Validator.check(template))) {
  process.stderr.write('template.yaml is not a scaffolder.backstage.io/v1beta3 Template\n');
  process.exit(2);
}
const pages = [template.spec.parameters ?? []].flat();
const resolved = resolveParameterSteps(values, pages.map(schema => ({ schema, when: schema.when })));
for (const [i, schema] of pages.entries()) {
  if (!resolved.visible[i]) continue;
  const result = jsonschema.validate(values, schema);
  if (!result.valid) {
    process.stderr.write(`parameter validation failed: ${result.errors.map(String).join('; ')}\n`);
    process.exit(2);
  }
}
values = resolved.values;
record.parameters = values;

// The fake catalog: records calls and answers with the entities of a published workspace.
const published = []; // { repoContentsUrl, dir }
const fakeCatalog = {
  async addLocation(location) {
    record.catalogCalls.push({ method: 'addLocation', args: location });
    let entities = [];
    for (const p of published) {
      const prefix = p.repoContentsUrl.replace(/\/+$/, '') + '/';
      if (!location.target.startsWith(prefix)) continue;
      const file = path.join(p.dir, location.target.slice(prefix.length));
      if (fs.existsSync(file)) entities = yaml.parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJSON()).filter(Boolean);
    }
    return { location: { id: 'oracle-location', ...location }, entities, exists: false };
  },
  async getEntityByRef() { return undefined; },
  async getEntitiesByRefs(req) { return { items: req.entityRefs.map(() => undefined) }; },
};
const reader = {
  async readUrl(url) { throw new Error(`refusing to read ${url}`); },
  async readTree(url) { throw new Error(`refusing to read ${url}`); },
  async search(url) { throw new Error(`refusing to search ${url}`); },
};

const actions = new Map();
const add = a => actions.set(a.id, a);
const common = { reader, integrations };
for (const a of [backend.createFetchPlainAction(common), backend.createFetchPlainFileAction(common),
  backend.createFetchTemplateAction(common), backend.createFetchTemplateFileAction(common),
  backend.createDebugLogAction(), backend.createWaitAction(), backend.createCatalogWriteAction(),
  backend.createFilesystemDeleteAction(), backend.createFilesystemRenameAction(), backend.createFilesystemReadDirAction(),
  backend.createCatalogRegisterAction({ catalog: fakeCatalog, catalogClient: fakeCatalog, integrations }),
  backend.createFetchCatalogEntityAction({ catalog: fakeCatalog, catalogClient: fakeCatalog })]) add(a);
for (const [name, factory] of Object.entries(gitlabModule)) {
  if (!/^create.*Action$|^editGitlabIssueAction$/.test(name) || typeof factory !== 'function') continue;
  const a = factory({ integrations, config });
  if (!a?.id || actions.has(a.id)) continue;
  if (a.id === 'publish:gitlab') {
    // What publish:gitlab pushed is what the fake catalog reads catalog files from.
    add({ ...a, async handler(ctx) {
      const outputs = {};
      await a.handler(Object.assign(Object.create(ctx), { output: (k, v) => { outputs[k] = v; ctx.output(k, v); } }));
      const src = typeof ctx.input.sourcePath === 'string' ? path.join(ctx.workspacePath, ctx.input.sourcePath) : ctx.workspacePath;
      if (outputs.repoContentsUrl) published.push({ repoContentsUrl: outputs.repoContentsUrl, dir: src });
    } });
  } else {
    add(a);
  }
}

const calls = new Map();
let currentStep;
const instrument = action => ({
  ...action,
  async handler(ctx) {
    const entry = { input: JSON.parse(JSON.stringify(ctx.input ?? {})), output: {} };
    if (!calls.has(currentStep)) calls.set(currentStep, []);
    calls.get(currentStep).push(entry);
    const wrapped = Object.create(ctx);
    wrapped.output = (name, value) => { entry.output[name] = value; return ctx.output(name, value); };
    return action.handler(wrapped);
  },
});
const actionRegistry = {
  async get(id) {
    if (actions.has(id)) return instrument(actions.get(id));
    say('warn', `action ${id} is not GitLab's nor built in: a stub that outputs nothing`);
    return instrument(scaffolderNode.createTemplateAction({ id, handler: async () => {} }));
  },
  async list() { return new Map(actions); },
};

const workingDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'golden-oracle-'));
const runner = new NunjucksWorkflowRunner({
  actionRegistry, integrations, workingDirectory, logger: makeLogger(), config, metrics: noopMetrics,
  permissions: undefined, templateCapabilities: templating.collectTemplateCapabilities({ filters: {}, globals: {} }),
});
const steps = (template.spec.steps ?? []).map((s, i) => ({ ...s, id: s.id ?? `step-${i + 1}`, name: s.name ?? s.action }));
const templateRef = `template:${template.metadata?.namespace ?? 'default'}/${template.metadata?.name}`;
fse.removeSync(outDir);
fse.ensureDirSync(outDir);
const task = {
  taskId: 'oracle-task',
  spec: {
    apiVersion: template.apiVersion, steps, output: template.spec.output ?? {}, parameters: values, user: {},
    templateInfo: { entityRef: templateRef, baseUrl: pathToFileURL(templateFile).toString(), entity: { metadata: template.metadata } },
  },
  secrets: {},
  done: false,
  isDryRun: false,
  cancelSignal: new AbortController().signal,
  getWorkspaceName: async () => 'oracle-task',
  getInitiatorCredentials: async () => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: 'user:development/guest' } }),
  async emitLog(message, meta) {
    if (meta?.stepId) currentStep = meta.stepId;
    record.log.push({ ...(meta ?? {}), message: stripAnsi(message) });
  },
  complete: async () => {},
  serializeWorkspace: async ({ path: ws }) => {
    await fse.emptyDir(outDir);
    await fse.copy(ws, outDir, { filter: src => path.relative(ws, src) !== '.git' });
  },
};
let exitCode = 0;
try {
  record.output = (await runner.execute(task)).output;
} catch (e) {
  exitCode = 1;
  record.error = { name: e?.name, message: e?.message };
  process.stderr.write(`task failed: ${e?.stack ?? e}\n`);
} finally {
  fse.removeSync(workingDirectory);
}
const statusOf = new Map();
for (const l of record.log) if (l.stepId && l.status) statusOf.set(l.stepId, l.status);
record.steps = steps.map(s => {
  const c = calls.get(s.id) ?? [];
  const st = statusOf.get(s.id);
  const entry = { id: s.id, name: s.name, action: s.action, status: st === 'failed' ? 'failed' : c.length ? 'executed' : 'skipped' };
  if (c[0]) { entry.input = c[0].input; entry.output = c[0].output; }
  return entry;
});
fs.writeFileSync(path.resolve(opts.record), JSON.stringify(record, null, 2) + '\n');
process.exit(exitCode);
