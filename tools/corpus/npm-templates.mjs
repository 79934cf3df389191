#!/usr/bin/env node
// Collects the public Backstage Software Templates (scaffolder.backstage.io/v1beta3) shipped in
// npm packages, renders each with the Backstage oracle, and runs `golden validate` on those
// Backstage renders: the measurement of issue 14 ("validate errors on templates Backstage
// renders: goal 0").
//
//   node tools/corpus/npm-templates.mjs OUT_DIR [--oracle DIR] [--golden BIN]
//
//   1. `npm pack` every spec of tools/corpus/packages.txt into OUT_DIR/tarballs (kept; packed
//      once), unpacked into OUT_DIR/pkgs;
//   2. finds the templates: template files the packages ship (with their skeletons beside them)
//      and complete templates written out in their README/docs (```yaml blocks), each copied to
//      OUT_DIR/templates/<package>--<n>/;
//   3. renders each with the oracle (`render.mjs`, Backstage's scaffolder 4.3.0) and values made
//      from its parameter schema (defaults, first enum value, a valid sample per type/ui:field);
//      a template the oracle refuses (exit 2: invalid template or values) or fails (exit 1: a
//      step failed, e.g. a missing skeleton) is skipped and counted;
//   4. runs `golden validate --format json` on every template Backstage rendered and counts
//      errors.
// Prints a table (OUT_DIR/results.tsv) and the counts. The corpus stays outside the repository.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const OUT = path.resolve(args[0] || usage());
const ORACLE = path.resolve(opt('--oracle', process.env.ORACLE || '/work/shared/oracle'));
const GOLDEN = path.resolve(opt('--golden', process.env.GOLDEN || path.join(HERE, '../../target/debug/golden')));
function usage() {
  process.stderr.write('usage: node tools/corpus/npm-templates.mjs OUT_DIR [--oracle DIR] [--golden BIN]\n');
  process.exit(2);
}
const require = createRequire(path.join(ORACLE, 'render.mjs'));
const YAML = require('yaml');

// ---------------------------------------------------------------------------- 1. pack, unpack
function pack() {
  const specs = fs.readFileSync(path.join(HERE, 'packages.txt'), 'utf8')
    .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const tarballs = path.join(OUT, 'tarballs');
  fs.mkdirSync(tarballs, { recursive: true });
  const done = new Set(fs.existsSync(path.join(OUT, 'packed.txt'))
    ? fs.readFileSync(path.join(OUT, 'packed.txt'), 'utf8').split('\n') : []);
  for (const spec of specs) {
    if (done.has(spec)) continue;
    const r = spawnSync('npm', ['pack', '--silent', spec], { cwd: tarballs, encoding: 'utf8' });
    if (r.status !== 0) { process.stderr.write(`npm pack ${spec} failed: ${r.stderr.trim().split('\n').pop()}\n`); continue; }
    fs.appendFileSync(path.join(OUT, 'packed.txt'), spec + '\n');
  }
  const pkgs = path.join(OUT, 'pkgs');
  for (const t of fs.readdirSync(tarballs).filter((f) => f.endsWith('.tgz'))) {
    const d = path.join(pkgs, t.replace(/\.tgz$/, ''));
    if (fs.existsSync(d)) continue;
    fs.mkdirSync(d, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(tarballs, t), '-C', d]);
  }
  return pkgs;
}

// ---------------------------------------------------------------------------- 2. find templates
const isTemplate = (doc) => doc && typeof doc === 'object'
  && doc.apiVersion === 'scaffolder.backstage.io/v1beta3' && doc.kind === 'Template'
  && doc.spec && Array.isArray(doc.spec.steps);

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules') walk(p, out); } else out.push(p);
  }
  return out;
}

function templateDocs(text) {
  try { return YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(isTemplate); } catch { return []; }
}

function scan(pkgs) {
  const dest = path.join(OUT, 'templates');
  fs.rmSync(dest, { recursive: true, force: true });
  const found = [];
  for (const pkg of fs.readdirSync(pkgs).sort()) {
    let n = 0;
    for (const file of walk(path.join(pkgs, pkg))) {
      const text = /\.(ya?ml|md|mdx)$/i.test(file) ? fs.readFileSync(file, 'utf8') : '';
      if (!text.includes('scaffolder.backstage.io/v1beta3')) continue;
      if (/\.ya?ml$/i.test(file) && templateDocs(text).length) {
        // a template file with what lies beside it (its skeletons)
        const dir = path.join(dest, `${pkg}--${++n}`);
        fs.cpSync(path.dirname(file), dir, { recursive: true });
        if (path.basename(file) !== 'template.yaml') fs.renameSync(path.join(dir, path.basename(file)), path.join(dir, 'template.yaml'));
        found.push({ id: path.basename(dir), source: path.relative(pkgs, file), kind: 'file' });
      } else if (/\.mdx?$/i.test(file)) {
        for (const m of text.matchAll(/```ya?ml[^\n]*\n([\s\S]*?)```/g)) {
          if (!templateDocs(m[1]).length) continue;
          const dir = path.join(dest, `${pkg}--${++n}`);
          fs.mkdirSync(dir, { recursive: true });
          fs.writeFileSync(path.join(dir, 'template.yaml'), m[1]);
          found.push({ id: path.basename(dir), source: path.relative(pkgs, file), kind: 'docs' });
        }
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------- 3. render
function sample(name, s) {
  if (!s || typeof s !== 'object') return 'example';
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const field = s['ui:field'] || '';
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (field === 'RepoUrlPicker') {
    const host = s['ui:options']?.allowedHosts?.[0] || 'github.com';
    const owner = s['ui:options']?.allowedOwners?.[0] || 'acme';
    return `${host}?owner=${owner}&repo=demo`;
  }
  if (/Owner|Entity|Group|User/.test(field)) return type === 'array' ? ['group:default/team-a'] : 'group:default/team-a';
  switch (type) {
    case 'boolean': return false;
    case 'number': case 'integer': return s.minimum ?? 1;
    case 'array': return s.items?.enum ? [s.items.enum[0]] : [];
    case 'object': return values(s);
    default:
      if (s.format === 'uri' || s.format === 'url') return 'https://example.com';
      if (s.format === 'email') return 'dev@example.com';
      if (/url/i.test(name)) return 'https://example.com';
      return 'demo';
  }
}

function values(schema) {
  const out = {};
  for (const page of [].concat(schema || [])) {
    for (const [k, s] of Object.entries(page?.properties || {})) out[k] = sample(k, s);
  }
  return out;
}

function render(t) {
  const dir = path.join(OUT, 'templates', t.id);
  const doc = templateDocs(fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8'))[0];
  fs.writeFileSync(path.join(dir, '..', `${t.id}.values.json`), JSON.stringify(values(doc.spec.parameters), null, 2));
  const out = path.join(OUT, 'renders', t.id);
  const r = spawnSync(process.execPath, [path.join(ORACLE, 'render.mjs'), dir, path.join(dir, '..', `${t.id}.values.json`), out, '--apply-defaults', '--quiet'],
    { encoding: 'utf8', timeout: 120000 });
  t.oracle = r.status;
  t.oracleError = (r.stderr || '').trim().split('\n').filter(Boolean).pop() || '';
}

// ---------------------------------------------------------------------------- 4. validate
function validate(t) {
  const r = spawnSync(GOLDEN, ['validate', '--format', 'json', path.join(OUT, 'templates', t.id)], { encoding: 'utf8' });
  let diags = [];
  try { diags = JSON.parse(r.stdout).diagnostics || JSON.parse(r.stdout); } catch { diags = []; }
  if (!Array.isArray(diags)) diags = Object.values(diags).flat();
  t.errors = diags.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
  t.warnings = diags.filter((d) => d.severity === 'warning').length;
  t.exit = r.status;
}

const found = scan(pack());
for (const t of found) render(t);
const rendered = found.filter((t) => t.oracle === 0);
for (const t of rendered) validate(t);
const lines = ['id\tsource\tkind\toracle\tgolden_errors\twarnings\tfirst_error'];
for (const t of found) {
  lines.push([t.id, t.source, t.kind, t.oracle, t.errors ? t.errors.length : '', t.warnings ?? '', t.errors?.[0] || (t.oracle ? t.oracleError : '')].join('\t'));
}
fs.writeFileSync(path.join(OUT, 'results.tsv'), lines.join('\n') + '\n');
process.stdout.write(lines.join('\n') + '\n\n');
const withErrors = rendered.filter((t) => t.errors.length);
process.stdout.write(`templates found: ${found.length} (${found.filter((t) => t.kind === 'file').length} template files, ${found.filter((t) => t.kind === 'docs').length} written out in docs) in ${new Set(found.map((t) => t.id.split('--')[0])).size} packages\n`);
process.stdout.write(`Backstage renders: ${rendered.length}; refused or failed: ${found.length - rendered.length}\n`);
process.stdout.write(`golden validate: errors on ${withErrors.length} of the ${rendered.length} (${withErrors.reduce((a, t) => a + t.errors.length, 0)} errors)\n`);
