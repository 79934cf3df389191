// Regenerates schemas.json from the oracle's Backstage packages (scaffolder-backend 4.3.0 and
// scaffolder-backend-module-github): the input/output JSON Schemas exactly as Backstage publishes them
// (debug:log and debug:wait included).
// cd /work/oracle && source env.sh && node /path/to/schemas.gen.cjs > /path/to/schemas.json
const req = (m) => require(require.resolve(m, { paths: [process.cwd()] }));
const backend = req('@backstage/plugin-scaffolder-backend');
const gh = req('@backstage/plugin-scaffolder-backend-module-github');
const { ConfigReader } = req('@backstage/config');
const { ScmIntegrations, DefaultGithubCredentialsProvider } = req('@backstage/integration');
const config = new ConfigReader({});
const integrations = ScmIntegrations.fromConfig(config);
const common = { reader: {}, integrations };
const list = [
  backend.createFetchPlainAction(common), backend.createFetchPlainFileAction(common),
  backend.createFetchTemplateAction(common), backend.createFetchTemplateFileAction(common),
  backend.createCatalogWriteAction(), backend.createFilesystemDeleteAction(), backend.createFilesystemRenameAction(),
  backend.createFilesystemReadDirAction(), backend.createDebugLogAction(), backend.createWaitAction(), backend.createCatalogRegisterAction({ catalog: {}, catalogClient: {}, integrations }),
];
// workspace:template and workspace:template:file are built in but not exported by name in 4.3.0
const backendDir = require('path').dirname(require.resolve('@backstage/plugin-scaffolder-backend', { paths: [process.cwd()] }));
const internal = (f) => require(require('path').join(backendDir, 'scaffolder/actions/builtin/fetch', `${f}.cjs.js`));
list.push(internal('workspaceTemplate').createWorkspaceTemplateAction({ integrations }));
list.push(internal('workspaceTemplateFile').createWorkspaceTemplateFileAction({ integrations }));
const githubCredentialsProvider = DefaultGithubCredentialsProvider.fromIntegrations(integrations);
for (const [name, f] of Object.entries(gh)) {
  if (/^create.*Action$/.test(name)) { try { list.push(f({ integrations, config, githubCredentialsProvider })); } catch {} }
}
const ids = ['fetch:plain', 'fetch:plain:file', 'fetch:template', 'fetch:template:file', 'workspace:template', 'workspace:template:file', 'fs:delete', 'fs:rename', 'fs:readdir',
  'catalog:write', 'catalog:register', 'publish:github', 'publish:github:pull-request', 'github:repo:create', 'github:repo:push', 'debug:log', 'debug:wait'];
const out = { _source: 'zod-to-json-schema output of @backstage/plugin-scaffolder-backend 4.3.0 and @backstage/plugin-scaffolder-backend-module-github (the oracle), regenerated, not hand-written' };
for (const id of ids) { const a = list.find((x) => x.id === id); out[id] = { input: a.schema?.input, output: a.schema?.output }; }
console.log(JSON.stringify(out, null, 1));
