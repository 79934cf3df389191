// Regenerates formats.json: the `format` checks of npm `jsonschema` (1.5.0), the validator
// Backstage's scaffolder runs on template parameters, as regular expressions (source and flags).
// cd "$ORACLE_DIR" && source env.sh && node /path/to/formats.gen.cjs > /path/to/formats.json
const req = (m) => require(require.resolve(m, { paths: [process.cwd()] }));
const helpers = req('jsonschema/lib/helpers.js');
const out = {};
for (const [name, check] of Object.entries(helpers.FORMAT_REGEXPS)) {
  out[name] = check instanceof RegExp ? { source: check.source, flags: check.flags } : { function: true };
}
console.log(JSON.stringify(out, null, 1));
