// Regenerates oracle_cases.json: inputs and what npm `yaml` 2.8.1 `stringify` writes for them.
// cd /work/oracle && source env.sh && node /path/to/gen_cases.cjs > /path/to/oracle_cases.json
const y = require(require.resolve('yaml', { paths: [process.cwd()] }));
const long = 'This is a rather long description of a component that certainly goes past the eighty column limit of the yaml library';
const words = (n) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
const strings = [
  'yes', 'no', 'on', 'off', 'true', 'True', 'TRUE', 'false', 'null', 'Null', '~', '', '8080', '0x1F', '0o17', '017', '1e3', '1.', '-.5', '.5', '+1', '.inf', '-.Inf', '.NaN', '1_000',
  '-', '?', '- a', '? a', ': x', 'a: b', 'a:b', 'a #b', 'a#b', '#x', '@x', '`x', '!x', '&x', '*x', '|x', '>x', "'x", '"x', '%x', '[x', ']x', '{x', '}x', ',x', 'x,y', 'x[y]',
  'x:', 'x ', ' y', '\ty', 'x\t', '---x', '...x', '---', 'a\n---b', 'a\n...', '%YAML',
  'a\nb', 'a\n\nb\n', 'a\n', 'a\n\n', '\na', '\n\na', ' a\nb', 'a  \n b', 'a\n b', 'a\n  ', '\n', '\n\n', ' ',
  "it's", 'say "hi"', `both ' and "`, "it's\nmultiline", 'x\u0007y', 'nul\u0000', 'tab\there', 'cr\rlf', 'del\u007f', 'nbsp\u00a0x', 'ls\u2028x', 'esc\u001b',
  'café', '日本語', 'emoji 😀 text', 'ß',
  long, long + ' ' + long, words(40), 'x'.repeat(100), 'a '.repeat(50), long + '\nsecond line', long + '\n\n' + long, '  indented ' + long,
  'http://example.com/a/very/long/url/that/does/not/have/any/spaces/in/it/at/all/and/goes/on/forever/and/ever',
  'key: value ' + long, '"quoted" ' + long, "it's " + long, long + ' #comment', 'line1\nline2 ' + long + '\n  more indented ' + long + '\nback',
  'x\u0007 ' + long, long + '\u0007', 'a\n\n\nb ' + long,
  'ends with newlines ' + long + '\n\n\n', 'trailing spaces ' + long + '   ', 'mixed\n \n' + long,
  '${{ values.name }}', '{{ x }}', '- [ ] todo', 'C:\\path\\to', 'a\\nb', 'emoji😀'.repeat(20),
];
const keyStrings = ['yes', 'true', '8080', 'a b', 'a: b', '-', '', '#k', 'k:', 'multi\nline', 'backstage.io/source-template', '---', 'x'.repeat(1100)];
const cases = [];
for (const s of strings) {
  cases.push({ v: s }, { v: [s] }, { v: { deep: { k: s } } }, { v: { items: [{ k: s }] } });
}
for (const k of keyStrings) cases.push({ [k]: 1 }, { m: { [k]: 'v' } });
cases.push(
  { n: [0, -0, 1, -1, 1.5, 0.1, 1e-7, 1.5e-7, 1e21, 1e20, 123456789012345680000, 2 ** 53, -(2 ** 53) - 2, 3.0, 0.000001, 1e300] },
  { a: null, b: [null], c: { d: null } },
  { e: [], f: {}, g: [[]], h: [{}], i: [[1, [2, [3]]]], j: [{ a: 1, b: [1, 2] }, { c: { d: [] } }] },
  { t: true, f: false },
  JSON.parse('{"b":1,"10":2,"2":3,"01":4,"-1":5,"4294967295":6,"4294967294":7}'),
  {
    apiVersion: 'backstage.io/v1alpha1', kind: 'Component',
    metadata: { name: 'demo', description: long, annotations: { 'github.com/project-slug': 'acme/demo', 'backstage.io/techdocs-ref': 'dir:.' }, tags: ['go', 'yes', '8080'] },
    spec: { type: 'service', lifecycle: 'experimental', owner: 'group:default/team-a', providesApis: [] },
  },
);
console.log(JSON.stringify(cases.map((v) => ({ input: v, yaml: y.stringify(v) })), null, 1));
