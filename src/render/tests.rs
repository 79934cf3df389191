//! Engine unit tests. Every expected value below was printed by the Backstage oracle
//! (`node render.mjs` of @backstage/plugin-scaffolder-backend 4.3.0 / nunjitsu 0.7.0): the probe
//! templates were rendered there (skeleton text through `fetch:template:file`, workflow values
//! through a step input) and the output copied here. `ERROR` means the oracle's step failed;
//! for workflow values a kept literal means rendering threw and `<dropped>` that the key was
//! removed.

use super::*;
use serde_json::{json, Value as Json};

fn ctx(v: Json) -> Value {
    to_value(&v)
}

/// Renders each (name, template, expected) skeleton probe with `values` = `params`.
fn check_text(options: SkeletonOptions, params: Json, cases: &[(&str, &str, &str)]) {
    let engine = Engine::skeleton(options);
    let root = if options.cookiecutter {
        "cookiecutter"
    } else {
        "values"
    };
    let c = ctx(json!({ root: params }));
    let mut failures = Vec::new();
    for (name, template, expected) in cases {
        let got = match engine.render(template, &c) {
            Ok(s) => s,
            Err(_) => "ERROR".to_string(),
        };
        if got != *expected {
            failures.push(format!("{name}: got {got:?}, oracle {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Renders each (name, input string, expected JSON) workflow probe with `parameters` = `params`.
fn check_values(params: Json, cases: &[(&str, &str, Json)]) {
    let engine = Engine::workflow();
    let c = ctx(json!({ "parameters": params }));
    let mut failures = Vec::new();
    for (name, input, expected) in cases {
        let got = match engine.render_value(input, &c) {
            Ok(Some(v)) => v,
            Ok(None) => json!("<dropped>"),
            Err(_) => Json::String(input.to_string()),
        };
        if got != *expected {
            failures.push(format!("{name}: got {got}, oracle {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn filters_expressions_and_tags() {
    let params: Json = serde_json::from_str("{\"name\": \"My-demo_app two\", \"s\": \"  Hello World  \", \"n\": 42, \"f\": 2.5, \"zero\": 0, \"t\": true, \"fa\": false, \"nul\": null, \"empty\": \"\", \"list\": [\"b\", \"a\", \"C\"], \"nums\": [3, 1, 2], \"objs\": [{\"n\": 1, \"k\": \"x\"}, {\"n\": 0, \"k\": \"y\"}, {\"n\": 2, \"k\": \"x\"}], \"obj\": {\"b\": 2, \"a\": 1, \"C\": 3}, \"uni\": \"straße 👍 é\", \"html\": \"<b>Tom & \\\"Jerry\\\"</b> 'x'\", \"text\": \"line one\\nline two\\n\\nline four\", \"long\": \"The quick brown fox jumps over the lazy dog\"}").unwrap();
    check_text(
        SkeletonOptions::default(),
        params,
        &[
            ("dump_str", "${{ values.name | dump }}", "\"My-demo_app two\""),
            ("dump_obj", "${{ values.obj | dump }}", "{\"b\":2,\"a\":1,\"C\":3}"),
            ("dump_indent", "${{ values.objs | dump(2) }}", "[\n  {\n    \"n\": 1,\n    \"k\": \"x\"\n  },\n  {\n    \"n\": 0,\n    \"k\": \"y\"\n  },\n  {\n    \"n\": 2,\n    \"k\": \"x\"\n  }\n]"),
            ("dump_undef", "[${{ values.missing | dump }}]", "[]"),
            ("dump_uni", "${{ values.uni | dump }}", "\"straße 👍 é\""),
            ("replace_all", "${{ values.name | replace('o', '0') }}", "My-dem0_app tw0"),
            ("replace_count", "${{ 'aaaa' | replace('a', 'b', 2) }}", "bbaa"),
            ("replace_regex", "${{ values.name | replace(r/[aeiou]/g, '*') }}", "My-d*m*_*pp tw*"),
            ("replace_regex_first", "${{ values.name | replace(r/[aeiou]/, '*') }}", "My-d*mo_app two"),
            ("replace_regex_i", "${{ 'ABCabc' | replace(r/b/gi, '$&$&') }}", "ABBCabbc"),
            ("replace_empty", "${{ 'abc' | replace('', '-') }}", "-a-b-c-"),
            ("replace_num", "${{ 1234 | replace('2', 'x') }}", "1x34"),
            ("default_undef", "${{ values.missing | default('d') }}", "d"),
            ("default_null", "[${{ values.nul | default('d') }}]", "[]"),
            ("default_empty", "[${{ values.empty | default('d') }}]", "[]"),
            ("default_bool", "${{ values.empty | default('d', true) }}", "d"),
            ("default_false_bool", "${{ values.fa | d('x', true) }}", "x"),
            ("title", "${{ values.name | title }}", "My-demo_app Two"),
            ("capitalize", "${{ 'hELLO wORLD' | capitalize }}", "Hello world"),
            ("trim", "[${{ values.s | trim }}]", "[Hello World]"),
            ("lower_undef", "[${{ values.missing | lower }}]", "[]"),
            ("upper_uni", "${{ values.uni | upper }}", "STRASSE 👍 É"),
            ("truncate_def", "${{ values.long | truncate(20) }}", "The quick brown fox..."),
            ("truncate_kill", "${{ values.long | truncate(20, true) }}", "The quick brown fox ..."),
            ("truncate_end", "${{ values.long | truncate(10, false, '~') }}", "The quick~"),
            ("truncate_short", "${{ 'short' | truncate(20) }}", "short"),
            ("indent", "${{ values.text | indent(2) }}", "line one\n  line two\n  \n  line four"),
            ("indent_first", "${{ values.text | indent(3, true) }}", "   line one\n   line two\n   \n   line four"),
            ("join", "${{ values.list | join('-') }}", "b-a-C"),
            ("join_attr", "${{ values.objs | join(', ', 'k') }}", "x, y, x"),
            ("join_none", "${{ values.list | join }}", "baC"),
            ("length_str", "${{ values.uni | length }}", "11"),
            ("length_obj", "${{ values.obj | length }}", "3"),
            ("length_list", "${{ values.list | length }}", "3"),
            ("length_undef", "${{ values.missing | length }}", "0"),
            ("first", "${{ values.list | first }}", "b"),
            ("last", "${{ values.list | last }}", "C"),
            ("first_str", "${{ values.name | first }}", "M"),
            ("int", "${{ '42.9' | int }}", "42"),
            ("int_garbage", "[${{ 'abc' | int }}]", "[]"),
            ("int_default", "${{ 'abc' | int(7) }}", "7"),
            ("float", "${{ '3.25abc' | float }}", "3.25"),
            ("float_default", "${{ 'x' | float(1.5) }}", "1.5"),
            ("string", "${{ 42 | string }}${{ true | string }}", "42true"),
            ("list_str", "${{ 'abc' | list | join('|') }}", "a|b|c"),
            ("sort", "${{ values.list | sort | join }}", "abC"),
            ("sort_cs", "${{ values.list | sort(false, true) | join }}", "Cab"),
            ("sort_rev", "${{ values.nums | sort(true) | join }}", "321"),
            ("sort_attr", "${{ values.objs | sort(attribute='n') | join(',', 'n') }}", "0,1,2"),
            ("reverse_str", "${{ 'abc' | reverse }}", "cba"),
            ("reverse_list", "${{ values.nums | reverse | join }}", "213"),
            ("escape", "${{ values.html | escape }}", "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt; &#39;x&#39;"),
            ("e", "${{ values.html | e }}", "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt; &#39;x&#39;"),
            ("forceescape", "${{ values.html | safe | forceescape }}", "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt; &#39;x&#39;"),
            ("safe", "${{ values.html | safe }}", "<b>Tom & \"Jerry\"</b> 'x'"),
            ("striptags", "${{ values.html | striptags }}", "Tom & \"Jerry\" 'x'"),
            ("batch", "${{ values.nums | batch(2) | dump }}", "[[3,1],[2]]"),
            ("batch_fill", "${{ values.nums | batch(2, 'x') | dump }}", "[[3,1],[2,\"x\"]]"),
            ("slice", "${{ [1,2,3,4,5] | slice(2) | dump }}", "[[1,2,3],[4,5]]"),
            ("sum", "${{ values.nums | sum }}", "6"),
            ("sum_attr", "${{ values.objs | sum('n') }}", "3"),
            ("sum_start", "${{ values.nums | sum(start=10) }}", "NaN"),
            ("round", "${{ 2.5 | round }}", "3"),
            ("round_prec", "${{ 3.14159 | round(2) }}", "3.14"),
            ("round_ceil", "${{ 3.11 | round(1, 'ceil') }}", "3.2"),
            ("round_floor", "${{ 3.19 | round(1, 'floor') }}", "3.1"),
            ("round_neg", "${{ -2.5 | round }}", "-2"),
            ("dictsort", "${{ values.obj | dictsort | dump }}", "[[\"a\",1],[\"b\",2],[\"C\",3]]"),
            ("dictsort_cs", "${{ values.obj | dictsort(true) | dump }}", "[[\"C\",3],[\"a\",1],[\"b\",2]]"),
            ("dictsort_value", "${{ values.obj | dictsort(false, 'value') | dump }}", "[[\"a\",1],[\"b\",2],[\"C\",3]]"),
            ("selectattr", "${{ values.objs | selectattr('n') | dump }}", "[{\"n\":1,\"k\":\"x\"},{\"n\":2,\"k\":\"x\"}]"),
            ("selectattr3", "${{ values.objs | selectattr('n', 'equalto', 1) | length }}", "2"),
            ("rejectattr", "${{ values.objs | rejectattr('n') | dump }}", "[{\"n\":0,\"k\":\"y\"}]"),
            ("select_odd", "${{ values.nums | select('odd') | join }}", "31"),
            ("reject_odd", "${{ values.nums | reject('odd') | join }}", "2"),
            ("select_default", "${{ [0, 1, '', 'a'] | select | dump }}", "[1,\"a\"]"),
            ("groupby", "${{ values.objs | groupby('k') | dump }}", "{\"x\":[{\"n\":1,\"k\":\"x\"},{\"n\":2,\"k\":\"x\"}],\"y\":[{\"n\":0,\"k\":\"y\"}]}"),
            ("center", "[${{ 'ab' | center(9) }}]", "[   ab    ]"),
            ("urlencode", "${{ 'a b&c=d/é' | urlencode }}", "a%20b%26c%3Dd%2F%C3%A9"),
            ("urlencode_obj", "${{ {'a': 'x y', 'b': 1} | urlencode }}", "a=x%20y&b=1"),
            ("nl2br", "${{ values.text | nl2br }}", "line one<br />\nline two<br />\n<br />\nline four"),
            ("wordcount", "${{ 'héllo wörld foo_bar 42' | wordcount }}", "6"),
            ("abs", "${{ -3 | abs }}", "3"),
            ("js_add_str", "${{ 7 + '1' }}", "71"),
            ("js_add", "${{ 0.1 + 0.2 }}", "0.30000000000000004"),
            ("js_mul_str", "${{ '=' * 3 }}", "NaN"),
            ("js_div", "${{ 7 / 2 }}", "3.5"),
            ("js_float", "${{ 1.0 }}", "1"),
            ("js_floordiv", "${{ 7 // 2 }}", "3"),
            ("js_mod", "${{ -7 % 3 }}", "-1"),
            ("js_pow", "${{ 2 ** 10 }}", "1024"),
            ("js_concat", "${{ 1 ~ 2 ~ values.missing ~ values.nul }}", "12undefinednull"),
            ("js_strict", "${{ 1 === 1 }} ${{ 1 === '1' }} ${{ 1 == '1' }} ${{ 1 !== '1' }} ${{ values.nul == values.missing }} ${{ values.nul === values.missing }}", "true false true true true false"),
            ("js_cmp", "${{ 'a' < 'b' }} ${{ 2 < 10 }} ${{ '2' < '10' }} ${{ 1 < 2 < 3 }} ${{ 3 > 2 > 1 }}", "true true false true false"),
            ("js_in", "${{ 'a' in 'abc' }} ${{ 'b' in values.list }} ${{ 'a' in values.obj }} ${{ 'z' not in values.obj }}", "true true true true"),
            ("js_and_or", "${{ 0 or 'x' }} ${{ 'a' and 'b' }} ${{ [] or 'x' }} ${{ not [] }}", "x b  false"),
            ("js_ternary_py", "${{ 'y' if values.t else 'n' }} [${{ 'y' if values.fa }}]", "y []"),
            ("js_length", "${{ values.name.length }} ${{ values.list.length }} ${{ values.uni.length }} [${{ values.obj.length }}]", "15 3 11 []"),
            ("js_methods_str", "${{ values.name.toUpperCase() }} ${{ values.s.trim() }} ${{ values.name.split('-') | join('+') }} ${{ values.name.slice(0, 3) }} ${{ values.name.includes('demo') }} ${{ values.name.startsWith('My') }} ${{ values.name.endsWith('two') }} ${{ values.name.indexOf('d') }} ${{ values.name.replace('o', '0') }} ${{ values.name.substring(3, 7) }} ${{ values.name.charAt(1) }} ${{ values.name.lastIndexOf('o') }} ${{ values.name.toLowerCase() }} ${{ values.name.concat('!', 1) }} ${{ values.name.charCodeAt(0) }}", "MY-DEMO_APP TWO Hello World My+demo_app two My- true true true 3 My-dem0_app two demo y 14 my-demo_app two My-demo_app two!1 77"),
            ("js_methods_arr", "${{ values.list.includes('a') }} ${{ values.list.indexOf('C') }} ${{ values.list.join('/') }} ${{ values.list.slice(1) | join }} ${{ values.list.concat(['d']) | join }} ${{ [[1,[2]],3].flat() | dump }} ${{ values.list.at(-1) }} ${{ values.list.lastIndexOf('b') }} ${{ [3,1,10,2].sort() | join }} ${{ [1,2,3].reverse() | join }}", "true 2 b/a/C aC baCd [1,[2],3] C 0 11023 321"),
            ("js_methods_num", "${{ values.f.toFixed(2) }} ${{ values.n.toString() }} ${{ 255 .toString(16) }} ${{ 1234.5678.toPrecision(6) }} ${{ values.f.toExponential(1) }}", "2.50 42 ff 1234.57 2.5e+0"),
            ("js_neg_index", "[${{ values.list[-1] }}] ${{ values.list[0] }} ${{ values.name[0] }}", "[] b M"),
            ("undefined_deep", "[${{ values.missing.a.b.c }}] [${{ values.obj.z.y }}] [${{ values.nul }}]", "[] [] []"),
            ("obj_interp", "${{ values.obj }} ${{ values.list }} ${{ values.nums }} ${{ [1, [2, 3], values.nul] }}", "[object Object] b,a,C 3,1,2 1,2,3,"),
            ("num_fmt", "${{ 100000000000000000000 * 10 }} ${{ 0.000001 }} ${{ 0.0000001 }} ${{ 1/3 }} ${{ -0 }} ${{ 1/0 }} ${{ -1/0 }} ${{ 0/0 }} ${{ 123456789012 * 1000 }}", "1e+21 0.000001 1e-7 0.3333333333333333 0 Infinity -Infinity NaN 123456789012000"),
            ("tests", "${{ values.missing is defined }} ${{ values.missing is undefined }} ${{ 4 is divisibleby(2) }} ${{ 3 is even }} ${{ 3 is odd }} ${{ 1 is eq(1) }} ${{ 1 is equalto('1') }} ${{ values.n is number }} ${{ values.name is string }} ${{ values.obj is mapping }} ${{ values.list is iterable }} ${{ values.nul is null }} ${{ 'abc' is lower }} ${{ 'ABC' is upper }} ${{ 0 is falsy }} ${{ 1 is truthy }} ${{ 3 is gt(2) }} ${{ 3 is ge(3) }} ${{ 2 is lt(3) }} ${{ 2 is le(1) }} ${{ 2 is ne(3) }} ${{ 1 is sameas(1) }} ${{ 2 is greaterthan(1) }} ${{ 2 is lessthan(1) }}", "false true true false true true false true true true true true true true true true true true true false true true true false"),
            ("for_obj", "{% for k, v in values.obj %}${{ k }}=${{ v }};{% endfor %}", "b=2;a=1;C=3;"),
            ("for_loop", "{% for x in values.list %}${{ loop.index }}/${{ loop.index0 }}/${{ loop.revindex }}/${{ loop.revindex0 }}/${{ loop.first }}/${{ loop.last }}/${{ loop.length }} {% endfor %}", "1/0/3/2/true/false/3 2/1/2/1/false/false/3 3/2/1/0/false/true/3 "),
            ("for_else", "{% for x in [] %}x{% else %}empty{% endfor %}", "empty"),
            ("for_str", "{% for c in 'ab' %}[${{ c }}]{% endfor %}", "[a][b]"),
            ("for_obj_single", "{% for x in values.obj %}[${{ x }}]{% endfor %}", ""),
            ("set_scope", "{% set x = 1 %}{% for i in [1,2] %}{% set x = x + i %}{% endfor %}${{ x }}", "4"),
            ("set_if_scope", "{% set y = 1 %}{% if true %}{% set y = 2 %}{% endif %}${{ y }}", "2"),
            ("set_block", "{% set blk %}hello ${{ values.name }}{% endset %}[${{ blk }}]", "[hello My-demo_app two]"),
            ("macro", "{% macro greet(who, punct='!') %}Hi ${{ who }}${{ punct }}{% endmacro %}${{ greet('a') }} ${{ greet('b', punct='?') }}", "Hi a! Hi b?"),
            ("call", "{% macro wrap() %}<${{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}", "<inner>"),
            ("filter_block", "{% filter upper %}shout ${{ values.name }}{% endfilter %}", "SHOUT MY-DEMO_APP TWO"),
            ("switch", "{% switch values.n %}{% case 1 %}one{% case 42 %}{% case 43 %}forty{% default %}other{% endswitch %}", "forty"),
            ("elseif", "{% if values.fa %}a{% elseif values.t %}b{% else %}c{% endif %}", "b"),
            ("ws_control", "a  {%- if values.t -%}  b  {%- endif -%}  c ${{- ' d ' -}} e", "abc d e"),
            ("comments", "a{# comment #}b", "ab"),
            ("raw", "{% raw %}${{ x }}{% endraw %}", "${{ x }}"),
            ("verbatim", "{% verbatim %}{% if %}${{ y }}{% endverbatim %}", "{% if %}${{ y }}"),
            ("raw_trim", "x {% raw -%}  A  {%- endraw %} B {% endraw %}  y", "x   A  {%- endraw %} B y"),
            ("range", "${{ range(3) | join }} ${{ range(1, 7, 2) | join }}", "012 135"),
            ("true_cap", "[${{ True }}] [${{ None }}]", "[] []"),
            ("null_lit", "[${{ null }}] [${{ none }}]", "[] []"),
            ("cookie_jsonify", "${{ values.obj | jsonify }}", "ERROR"),
            ("dict_lit", "${{ {a: 1, 'b c': 2} | dump }}", "{\"a\":1,\"b c\":2}"),
            ("gha", "${{ github.ref }}|${{ matrix.node-version }}|${{ secrets.X }}", "|NaN|"),
            ("pick", "${{ values.objs | pick('[1].k') }} ${{ {'a': {'b': [1, {'c': 'deep'}]}} | pick('a.b[1].c') }} [${{ values.obj | pick('nope.x') }}]", "ERROR"),
            ("parseEntityRef", "${{ 'group:team-a' | parseEntityRef | dump }} ${{ 'techdocs' | parseEntityRef({defaultKind: 'group', defaultNamespace: 'x'}) | dump }} ${{ 'a/b:c' | parseEntityRef({defaultKind: 'k'}) | dump }}", "{\"kind\":\"group\",\"namespace\":\"default\",\"name\":\"team-a\"} {\"kind\":\"group\",\"namespace\":\"x\",\"name\":\"techdocs\"} {\"kind\":\"k\",\"namespace\":\"a\",\"name\":\"b:c\"}"),
            ("parseRepoUrl", "${{ 'github.com?owner=o&repo=r' | parseRepoUrl | dump }} ${{ 'gitlab.com?owner=a%2Fb&repo=r' | parseRepoUrl | dump }} ${{ 'bitbucket.org?workspace=w&project=p&repo=r' | projectSlug }} ${{ 'dev.azure.com?organization=o&project=p&repo=r' | parseRepoUrl | dump }} ${{ 'github.com:8443?owner=/o/&repo=r' | parseRepoUrl | dump }}", "ERROR"),
            ("js_trimstart", "[${{ values.s.trimStart() }}][${{ values.s.trimEnd() }}]", "[Hello World  ][  Hello World]"),
            ("set_scope2", "{% set c = '' %}{% for i in [1,2,3] %}${{ c }}${{ i }}{% set c = ',' %}{% endfor %}|{% for i in [1,2] %}{% set local = i %}{% endfor %}[${{ local }}]", "1,2,3|[]"),
            ("kw_default", "${{ values.empty | default('d', boolean=false) }}|${{ values.missing | default('d', boolean=false) }}", "d|d"),
            ("kw_int", "${{ '0x1A' | int(base=16) }} ${{ 'ff' | int(base=16) }} ${{ 'z' | int(default=5) }}", "26 255 5"),
        ],
    );
}

#[test]
fn filters_expressions_and_tags_as_step_input_values() {
    let params: Json = serde_json::from_str("{\"name\": \"My-demo_app two\", \"s\": \"  Hello World  \", \"n\": 42, \"f\": 2.5, \"zero\": 0, \"t\": true, \"fa\": false, \"nul\": null, \"empty\": \"\", \"list\": [\"b\", \"a\", \"C\"], \"nums\": [3, 1, 2], \"objs\": [{\"n\": 1, \"k\": \"x\"}, {\"n\": 0, \"k\": \"y\"}, {\"n\": 2, \"k\": \"x\"}], \"obj\": {\"b\": 2, \"a\": 1, \"C\": 3}, \"uni\": \"straße 👍 é\", \"html\": \"<b>Tom & \\\"Jerry\\\"</b> 'x'\", \"text\": \"line one\\nline two\\n\\nline four\", \"long\": \"The quick brown fox jumps over the lazy dog\"}").unwrap();
    check_values(
        params,
        &[
            (
                "v_num",
                "${{ parameters.n }}",
                serde_json::from_str("42").unwrap(),
            ),
            (
                "v_str_num",
                "${{ '42' }}",
                serde_json::from_str("\"42\"").unwrap(),
            ),
            (
                "v_bool",
                "${{ parameters.t }}",
                serde_json::from_str("true").unwrap(),
            ),
            (
                "v_list",
                "${{ parameters.list }}",
                serde_json::from_str("[\"b\", \"a\", \"C\"]").unwrap(),
            ),
            (
                "v_obj",
                "${{ parameters.obj }}",
                serde_json::from_str("{\"b\": 2, \"a\": 1, \"C\": 3}").unwrap(),
            ),
            (
                "v_null",
                "${{ parameters.nul }}",
                serde_json::from_str("null").unwrap(),
            ),
            (
                "v_missing",
                "${{ parameters.missing }}",
                serde_json::from_str("\"<dropped>\"").unwrap(),
            ),
            (
                "v_empty",
                "${{ '' }}",
                serde_json::from_str("\"\"").unwrap(),
            ),
            (
                "v_lit_empty",
                "",
                serde_json::from_str("\"<dropped>\"").unwrap(),
            ),
            (
                "v_text",
                "x ${{ parameters.list }} ${{ parameters.obj }}",
                serde_json::from_str("\"x b,a,C [object Object]\"").unwrap(),
            ),
            (
                "v_block_bool",
                "{% if parameters.t %}true{% endif %}",
                serde_json::from_str("true").unwrap(),
            ),
            (
                "v_block_num",
                "{% if parameters.t %}42{% endif %}",
                serde_json::from_str("42").unwrap(),
            ),
            (
                "v_block_empty",
                "{% if parameters.fa %}x{% endif %}",
                serde_json::from_str("\"<dropped>\"").unwrap(),
            ),
            (
                "v_block_str",
                "{% if parameters.t %}${{ parameters.name }}{% endif %}",
                serde_json::from_str("\"My-demo_app two\"").unwrap(),
            ),
            (
                "v_block_for",
                "{% for x in parameters.list %}${{ x }},{% endfor %}",
                serde_json::from_str("\"b,a,C,\"").unwrap(),
            ),
            (
                "v_or",
                "${{ a || b }}",
                serde_json::from_str("\"${{ a || b }}\"").unwrap(),
            ),
            (
                "v_and",
                "${{ parameters.t && parameters.fa }}",
                serde_json::from_str("\"${{ parameters.t && parameters.fa }}\"").unwrap(),
            ),
            (
                "v_not",
                "${{ !parameters.t }}",
                serde_json::from_str("\"${{ !parameters.t }}\"").unwrap(),
            ),
            (
                "v_tern",
                "${{ parameters.t ? 1 : 2 }}",
                serde_json::from_str("\"${{ parameters.t ? 1 : 2 }}\"").unwrap(),
            ),
            (
                "v_replaceAll",
                "${{ parameters.name.replaceAll('a', 'b') }}",
                serde_json::from_str("\"${{ parameters.name.replaceAll('a', 'b') }}\"").unwrap(),
            ),
            (
                "v_padStart",
                "${{ parameters.name.padStart(20) }}",
                serde_json::from_str("\"${{ parameters.name.padStart(20) }}\"").unwrap(),
            ),
            (
                "v_True",
                "${{ True }}",
                serde_json::from_str("\"<dropped>\"").unwrap(),
            ),
            (
                "v_neg_idx",
                "${{ parameters.list[-1] }}",
                serde_json::from_str("\"<dropped>\"").unwrap(),
            ),
            (
                "v_exp",
                "${{ 1e3 }}",
                serde_json::from_str("\"${{ 1e3 }}\"").unwrap(),
            ),
            (
                "v_trim_undef",
                "${{ parameters.missing | trim }}",
                serde_json::from_str("\"${{ parameters.missing | trim }}\"").unwrap(),
            ),
            (
                "v_unknown_filter",
                "${{ parameters.name | nope }}",
                serde_json::from_str("\"${{ parameters.name | nope }}\"").unwrap(),
            ),
            (
                "v_call_undef",
                "${{ hashFiles('x') }}",
                serde_json::from_str("\"${{ hashFiles('x') }}\"").unwrap(),
            ),
            (
                "v_nan",
                "${{ '=' * 3 }}",
                serde_json::from_str("null").unwrap(),
            ),
            (
                "v_float",
                "${{ 1.5 * 2 }}",
                serde_json::from_str("3").unwrap(),
            ),
            (
                "v_dump",
                "${{ parameters.obj | dump }}",
                serde_json::from_str("\"{\\\"b\\\":2,\\\"a\\\":1,\\\"C\\\":3}\"").unwrap(),
            ),
            (
                "v_entity_fail",
                "${{ 'x' | parseEntityRef }}",
                serde_json::from_str("\"${{ 'x' | parseEntityRef }}\"").unwrap(),
            ),
            (
                "v_two",
                "${{ parameters.n }}${{ parameters.n }}",
                serde_json::from_str("\"4242\"").unwrap(),
            ),
            (
                "v_ws",
                " ${{ parameters.n }}",
                serde_json::from_str("\" 42\"").unwrap(),
            ),
            (
                "v_newline_expr",
                "${{\n parameters.n }}",
                serde_json::from_str("42").unwrap(),
            ),
            (
                "v_str_true",
                "${{ 'true' }}",
                serde_json::from_str("\"true\"").unwrap(),
            ),
            (
                "v_set",
                "{% set x = 1 %}",
                serde_json::from_str("\"<dropped>\"").unwrap(),
            ),
            (
                "v_block_obj",
                "{% if parameters.t %}${{ parameters.obj }}{% endif %}",
                serde_json::from_str("{\"b\": 2, \"a\": 1, \"C\": 3}").unwrap(),
            ),
            (
                "v_block_list",
                "{% if parameters.t %}${{ parameters.list }}{% endif %}",
                serde_json::from_str("[\"b\", \"a\", \"C\"]").unwrap(),
            ),
            (
                "v_tpl_literal",
                "${{ `x` }}",
                serde_json::from_str("\"${{ `x` }}\"").unwrap(),
            ),
            (
                "v_typeof",
                "${{ typeof parameters.n }}",
                serde_json::from_str("\"${{ typeof parameters.n }}\"").unwrap(),
            ),
            (
                "v_optchain",
                "${{ parameters.obj?.a }}",
                serde_json::from_str("\"${{ parameters.obj?.a }}\"").unwrap(),
            ),
        ],
    );
}

#[test]
fn cookiecutter_mode() {
    let params: Json = serde_json::from_str("{\"name\": \"demo\", \"list\": [\"a\", \"b\"], \"obj\": {\"k\": \"v\", \"n\": 1}, \"t\": true, \"n\": 3}").unwrap();
    check_text(
        SkeletonOptions { cookiecutter: true, ..Default::default() },
        params,
        &[
            ("cc_basic", "{{ cookiecutter.name }} ${{ cookiecutter.name }} {{ cookiecutter.name | upper }}", "demo $demo DEMO"),
            ("cc_bools", "{{ True }} {{ False }} [{{ None }}] {{ true }}", "true false [] true"),
            ("cc_jsonify", "{{ cookiecutter.obj | jsonify }}", "{\"k\":\"v\",\"n\":1}"),
            ("cc_items", "{% for k, v in cookiecutter.obj.items() %}{{ k }}={{ v }};{% endfor %}", "k=v;n=1;"),
            ("cc_keys", "{{ cookiecutter.obj.keys() | join(',') }} {{ cookiecutter.obj.values() | join(',') }} {{ cookiecutter.obj.get('k') }} {{ cookiecutter.obj.get('z', 'dflt') }} {{ cookiecutter.obj.has_key('k') }}", "k,n v,1 v dflt true"),
            ("cc_list", "{{ cookiecutter.list.count('a') }} {{ cookiecutter.list.index('b') }} {{ cookiecutter.list.find('z') }} {{ cookiecutter.list.pop(0) }}", "1 1 -1 a"),
            ("cc_slice", "{{ cookiecutter.list[0:1] | join }} {{ cookiecutter.name[1:3] }} {{ cookiecutter.name[::-1] }}", "a e,m o,m,e,d"),
            ("cc_raw", "{% raw %}{{ keep }}{% endraw %}", "{{ keep }}"),
            ("cc_values", "[{{ values.name }}]", "[]"),
            ("cc_lower_method", "{{ cookiecutter.name.lower() }}", "ERROR"),
            ("cc_if", "{% if cookiecutter.t == True %}yes{% endif %}", "yes"),
            ("cc_strmeth", "{{ cookiecutter.name.upper() }}", "ERROR"),
        ],
    );
}

#[test]
fn trim_and_lstrip_blocks() {
    let params: Json = serde_json::from_str("{\"name\": \"demo\", \"list\": [\"a\", \"b\"], \"obj\": {\"k\": \"v\", \"n\": 1}, \"t\": true, \"n\": 3}").unwrap();
    check_text(
        SkeletonOptions {
            trim_blocks: true,
            lstrip_blocks: true,
            ..Default::default()
        },
        params,
        &[
            (
                "tl_basic",
                "a\n  {% if values.t %}\n  x\n  {% endif %}\nb\n",
                "a\n  x\nb\n",
            ),
            ("tl_comment", "a\n  {# c #}\nb\n", "a\n  \nb\n"),
            ("tl_var", "a\n  ${{ values.name }}\nb\n", "a\n  demo\nb\n"),
            (
                "tl_for",
                "list:\n{% for i in values.list %}\n  - {{ i }} ${{ i }}\n{% endfor %}\nend\n",
                "list:\n  - {{ i }} a\n  - {{ i }} b\nend\n",
            ),
            (
                "tl_inline",
                "x {% if values.t %}y{% endif %} z\n",
                "x y z\n",
            ),
            (
                "tl_crlf",
                "a\r\n  {% if values.t %}\r\n  x\r\n  {% endif %}\r\nb\r\n",
                "a\r\n  x\r\nb\r\n",
            ),
            (
                "tl_raw",
                "a\n  {% raw %}\n  ${{ r }}\n  {% endraw %}\nb\n",
                "a\n  ${{ r }}\n  \nb\n",
            ),
            (
                "tl_minus",
                "a\n  {%- if values.t -%}\n  x\n  {%+ endif %}\nb\n",
                "ERROR",
            ),
            ("tl_set", "{% set x = 1 %}\n${{ x }}\n", "1\n"),
        ],
    );
}

#[test]
fn syntax_raw_whitespace_and_errors() {
    let params: Json = serde_json::from_str("{\"name\": \"demo\", \"list\": [\"a\", \"b\"], \"obj\": {\"k\": \"v\", \"n\": 1}, \"t\": true, \"n\": 3}").unwrap();
    check_text(
        SkeletonOptions::default(),
        params,
        &[
            ("raw_dash_end", "{% raw %}a{%- endraw %}b{% endraw %}c", "a{%- endraw %}bc"),
            ("raw_ws", "x {% raw %} ${{ y }} {% endraw -%}   z", "ERROR"),
            ("raw_nested", "{% raw %}{% raw %}in{% endraw %}out{% endraw %}", "{% raw %}in{% endraw %}out"),
            ("raw_trim_left", "x   {%- raw %}A{% endraw %}", "xA"),
            ("verbatim2", "{% verbatim %}{% raw %}{% endverbatim %}", "{% raw %}"),
            ("ws_var", "a ${{- values.name -}} b", "ademob"),
            ("ws_both", "  {%- set x = 1 -%}  [${{ x }}]", "[1]"),
            ("comment_ws", "a {#- c -#} b", "ab"),
            ("unexpected_comment_end", "a #} b", "ERROR"),
            ("shell_comment", "echo ${#ARR[@]}", "ERROR"),
            ("gh_escape", "${{ '${{ github.ref }}' }}", "${{ github.ref }}"),
            ("gh_call", "${{ hashFiles('x') }}", "ERROR"),
            ("nested_braces", "${{ {'a': 1}['a'] }}", "1"),
            ("str_escapes", "${{ 'a\\nb\\tc\\\\d\\'e' }}", "a\nb\tc\\d'e"),
            ("macro_kw", "{% macro m(a, b=2, c=3) %}${{ a }}-${{ b }}-${{ c }}{% endmacro %}${{ m(1, c=9) }}", "1-2-9"),
            ("macro_caller_args", "{% macro m() %}${{ caller('x') }}{% endmacro %}{% call(v) m() %}got ${{ v }}{% endcall %}", "got x"),
            ("filter_args", "{% filter replace('a', 'b') %}banana{% endfilter %}", "bbnbnb"),
            ("set_multi", "{% set a, b = 5 %}${{ a }}${{ b }}", "55"),
            ("loop_nested", "{% for i in [1,2] %}{% for j in ['a','b'] %}${{ loop.index }}${{ j }}{% endfor %}${{ loop.index }};{% endfor %}", "1a2b1;1a2b2;"),
            ("if_empty_list", "{% if [] %}yes{% else %}no{% endif %} {% if {} %}yes{% endif %} {% if '0' %}yes{% endif %} {% if 0 %}zero{% endif %}", "yes yes yes "),
            ("block_tag", "{% block x %}inside{% endblock %}", "inside"),
            ("include", "{% include 'x' %}", "ERROR"),
            ("undefined_call", "${{ nope() }}", "ERROR"),
            ("method_on_undef", "${{ values.missing.toUpperCase() }}", "ERROR"),
            ("obj_method", "${{ values.obj.keys() }}", "ERROR"),
            ("unicode_sort", "${{ ['é','e','z','E','Z','a'] | sort | join }}", "aeEzZé"),
            ("unicode_len", "${{ '👍é' | length }} ${{ '👍' | reverse | length }}", "3 2"),
            ("len_num", "[${{ 42 | length }}]", "[]"),
            ("title_unicode", "${{ 'élan vital ßtraße' | title }}", "Élan Vital SStraße"),
            ("ternary_nested", "${{ 'a' if values.n > 2 else 'b' if values.n > 1 else 'c' }}", "ERROR"),
            ("not_precedence", "${{ not values.n + 1 }} ${{ not values.n == 3 }}", "1 false"),
            ("neg_filter", "${{ -3 | abs }} ${{ -values.n | abs }}", "3 3"),
            ("in_undef", "${{ 'a' in values.missing }}", "ERROR"),
            ("concat_obj", "${{ values.obj ~ values.list }}", "[object Object]a,b"),
            ("add_list", "${{ values.list + 1 }} ${{ values.obj + 'x' }}", "a,b1 [object Object]x"),
            ("compare_types", "${{ 'b' > 'a' }} ${{ '10' > 9 }} ${{ null < 1 }} ${{ values.missing < 1 }} ${{ [2] > 1 }}", "true true true false true"),
            ("floor_div_neg", "${{ -7 // 2 }} ${{ 7.5 // 2 }} ${{ 2 ** 0.5 }} ${{ 10 % 3 * 2 }} ${{ 2 * 3 % 4 }} ${{ 8 / 2 / 2 }} ${{ 2 ** 3 ** 2 }}", "-4 3 1.4142135623730951 2 2 2 64"),
            ("int_float_fmt", "${{ 3 * 1.5 }} ${{ 10 / 4 }} ${{ 1e3 }}", "ERROR"),
        ],
    );
}

#[test]
fn template_arrays_mutate_and_globals() {
    let params: Json = serde_json::from_str("{\"items\": [\"a\", \"b\", \"c\"]}").unwrap();
    check_text(
        SkeletonOptions::default(),
        params,
        &[
            ("push_idiom", "{% set acc = [] %}{% for i in values.items %}{% set _ = acc.push(i | upper) %}{% endfor %}${{ acc | join('+') }} ${{ acc.length }}", "A+B+C 3"),
            ("mut_methods", "{% set a = [3, 1, 2] %}${{ a.pop() }} ${{ a.shift() }} ${{ a.unshift(9, 8) }} ${{ a | join }} ${{ a.splice(1, 1) | join }} ${{ a | join }} ${{ a.reverse() | join }} ${{ a.sort() | join }} ${{ a.fill(0) | join }}", "2 3 3 981 8 91 19 19 00"),
            ("joiner", "{% set j = joiner('; ') %}{% for i in values.items %}${{ j() }}${{ i }}{% endfor %}", "a; b; c"),
            ("joiner_default", "{% set j = joiner() %}${{ j() }}x${{ j() }}y", "x,y"),
            ("cycler", "{% set c = cycler('odd', 'even') %}{% for i in values.items %}${{ c.next() }} {% endfor %}[${{ c.current }}]", "odd even odd [odd]"),
            ("range_step0", "${{ range(0, 3, 0) | join }} ${{ range(5, 0, -2) | join }}", "012 531"),
        ],
    );
}

#[test]
fn template_arrays_mutate_and_globals_as_step_input_values() {
    let params: Json = serde_json::from_str("{\"items\": [\"a\", \"b\", \"c\"]}").unwrap();
    check_values(
        params,
        &[(
            "v_push",
            "{% set acc = [] %}{% set _ = acc.push(1) %}${{ acc }}",
            serde_json::from_str("\"1\"").unwrap(),
        )],
    );
}

#[test]
fn single_expression_keeps_json_type() {
    let e = Engine::workflow();
    let c = ctx(json!({"parameters": {"port": 8013, "flags": ["a", "b"], "name": "x"}}));
    assert_eq!(
        e.render_value("${{ parameters.port }}", &c).unwrap(),
        Some(json!(8013))
    );
    assert_eq!(
        e.render_value("${{ parameters.port + 1 }}", &c).unwrap(),
        Some(json!(8014))
    );
    assert_eq!(
        e.render_value("${{ parameters.flags }}", &c).unwrap(),
        Some(json!(["a", "b"]))
    );
    assert_eq!(
        e.render_value("flags: ${{ parameters.flags }}", &c)
            .unwrap(),
        Some(json!("flags: a,b"))
    );
    assert_eq!(e.render_value("${{ parameters.nope }}", &c).unwrap(), None);
    assert_eq!(
        e.render_value("{% if parameters.port %}true{% endif %}", &c)
            .unwrap(),
        Some(json!(true))
    );
}

#[test]
fn backstage_filters() {
    let e = Engine::workflow();
    let c = ctx(json!({"u": "github.com?owner=acme&repo=svc"}));
    assert_eq!(
        e.render("${{ u | parseRepoUrl | dump }}", &c).unwrap(),
        r#"{"host":"github.com","owner":"acme","repo":"svc"}"#
    );
    assert_eq!(e.render("${{ u | projectSlug }}", &c).unwrap(), "acme/svc");
    assert_eq!(
        e.render("${{ ('group:team-a' | parseEntityRef).name }}", &c)
            .unwrap(),
        "team-a"
    );
}

/// Limits (issue 16): slicing something that has no length used to loop for ever, and `range()`
/// stopped silently at 100,000 items. nunjitsu fails both with its limits (`render.mjs` for the
/// skeleton file and the step inputs, `createTemplateRenderer().render` of nunjitsu 0.7.0 for the
/// rest): a render error for skeleton text, the literal string kept for a step input.
#[test]
fn slices_of_non_arrays_and_long_ranges_end_with_nunjitsus_limits() {
    check_text(
        SkeletonOptions::default(),
        json!({}),
        &[
            ("slice_object", "x ${{ {}[1:] }} y", "ERROR"),
            ("slice_number", "${{ 5[1:] }}", "ERROR"),
            ("slice_true", "${{ true[0:] }}", "ERROR"),
            ("slice_false", "${{ false[0:] | length }}", "0"),
            ("slice_object_bounded", "${{ {}[0:3] | length }}", "3"),
            ("range_at_cap", "${{ range(100000) | length }}", "100000"),
            (
                "range_at_cap2",
                "${{ range(0, 100000) | length }}",
                "100000",
            ),
            ("range_over_cap", "${{ range(100001) | length }}", "ERROR"),
            ("range_150000", "${{ range(150000) | length }}", "ERROR"),
            ("range_over_work", "${{ range(1000001) | length }}", "ERROR"),
        ],
    );
    check_values(
        json!({}),
        &[
            ("wf_slice_object", "${{ {}[1:] }}", json!("${{ {}[1:] }}")),
            ("wf_slice_number", "x${{ 5[1:] }}y", json!("x${{ 5[1:] }}y")),
            ("wf_slice_true", "${{ true[0:] }}", json!("${{ true[0:] }}")),
            (
                "wf_range_150000",
                "${{ range(150000) | length }}",
                json!("${{ range(150000) | length }}"),
            ),
        ],
    );
    let engine = Engine::skeleton(SkeletonOptions::default());
    let e = engine.render("${{ {}[1:] }}", &ctx(json!({}))).unwrap_err();
    assert!(
        e.message
            .contains("Template evaluation exceeded the work unit limit of 1000000"),
        "{e}"
    );
    let e = engine
        .render("${{ range(150000) | length }}", &ctx(json!({})))
        .unwrap_err();
    assert!(
        e.message
            .contains("Template value containers cannot exceed 100000 entries"),
        "{e}"
    );
}

/// The direct evaluator (`eval.rs`) gives exactly what the minijinja translation gives, for every
/// expression form it handles, over values of every JSON type (and fails where that fails).
#[test]
fn direct_evaluator_matches_the_minijinja_translation() {
    let values = json!({
        "s": "abc", "e": "", "num": "42", "n": 3, "z": 0, "f": 2.5, "neg": -1, "t": true,
        "fa": false, "nul": null, "list": ["a", 1, null, [2]], "el": [], "obj": {"a": 1, "b": {"c": "d"}},
        "eo": {}, "uni": "straße 👍"
    });
    let operands = [
        "values.s",
        "values.e",
        "values.num",
        "values.n",
        "values.z",
        "values.f",
        "values.neg",
        "values.t",
        "values.fa",
        "values.nul",
        "values.list",
        "values.el",
        "values.obj",
        "values.eo",
        "values.missing",
        "values.uni",
        "values.obj.b",
        "values.obj.b.c",
        "values.obj['a']",
        "values['s']",
        "values.list[1]",
        "values.list[-1]",
        "values.s.length",
        "values.list.length",
        "values.obj.length",
        "values.missing.deeper",
        "values.nul.x",
        "values.s[1]",
        "values.uni[6]",
        "values.list[1:3]",
        "values.s[::-1]",
        "values.list[:-1]",
        "'x'",
        "''",
        "0",
        "1",
        "1.5",
        "true",
        "false",
        "null",
        "none",
        "(values.n, values.s)",
    ];
    let mut templates = Vec::new();
    for a in operands {
        templates.push(format!("<${{{{ {a} }}}}>"));
        templates.push(format!("{{% if {a} %}}T{{% else %}}F{{% endif %}}"));
        templates.push(format!(
            "${{{{ not {a} }}}} ${{{{ -{a} }}}} ${{{{ +{a} }}}} ${{{{ {a} // 2 }}}}"
        ));
        for test in [
            "defined",
            "undefined",
            "null",
            "number",
            "string",
            "truthy",
            "odd",
            "lower",
        ] {
            templates.push(format!("${{{{ {a} is {test} }}}}"));
        }
        templates.push(format!(
            "${{{{ {a} is eq(3) }}}} ${{{{ {a} is divisibleby(2) }}}}"
        ));
        for b in [
            "values.n",
            "values.s",
            "values.num",
            "'3'",
            "null",
            "values.list",
            "values.obj",
            "values.missing",
            "values.t",
        ] {
            for op in ["==", "!=", "===", "!==", "<", "<=", ">", ">="] {
                templates.push(format!("${{{{ {a} {op} {b} }}}}"));
            }
            for op in ["+", "-", "*", "/", "%", "**", "~", "and", "or", "in"] {
                templates.push(format!("${{{{ {a} {op} {b} }}}}"));
            }
            templates.push(format!(
                "${{{{ {a} if {b} else 'no' }}}}|${{{{ {a} if {b} }}}}"
            ));
            templates.push(format!("${{{{ 1 < {a} < {b} }}}}"));
        }
    }
    templates.push("${{ {}[1:] }}".to_string());
    let c = ctx(json!({ "values": values }));
    let engine = Engine::skeleton(SkeletonOptions::default());
    let mut failures = Vec::new();
    let mut direct = 0;
    for t in &templates {
        let nodes = engine.parse_nodes(t).unwrap();
        if super::eval::supported(&nodes) {
            direct += 1;
        }
        let fast = engine.render(t, &c).map_err(|e| e.to_string());
        let general = engine.render_general(t, &c).map_err(|e| e.to_string());
        if fast != general {
            failures.push(format!("{t}: direct {fast:?}, minijinja {general:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        direct > templates.len() * 9 / 10,
        "{direct} of {}",
        templates.len()
    );
}

/// `golden validate` learns from [`Engine::parse`] that a slice of a literal without a length
/// never ends (Backstage fails the render); bounded or harmless slices pass.
#[test]
fn parse_reports_endless_slices_of_literals() {
    let engine = Engine::skeleton(SkeletonOptions::default());
    for bad in [
        "${{ {}[1:] }}",
        "x ${{ 5[1:] }}",
        "{% if true[0:] %}{% endif %}",
        "${{ {a: 1}[0:-1] | length }}",
    ] {
        let e = engine.parse_tree(bad).unwrap_err();
        assert!(
            e.message.contains("work unit limit of 1000000"),
            "{bad}: {e}"
        );
    }
    for fine in [
        "${{ {}[0:3] }}",
        "${{ false[0:] }}",
        "${{ 0[1:] }}",
        "${{ 'abc'[1:] }}",
        "${{ [1, 2][1:] }}",
        "${{ values.x[1:] }}",
        "${{ {}[-1:] }}",
    ] {
        assert!(engine.parse_tree(fine).is_ok(), "{fine}");
    }
    let tree = engine.parse_tree("a ${{ values.x }}").unwrap();
    assert!(matches!(&tree[..], [Node::Text(t), Node::Output(..)] if t == "a "));
}

/// Every name, lookup and filter of the parsed tree says where it is: the offsets inside an
/// expression are relative to its text, whose start each node keeps (so a cached expression
/// reused at another place still points right).
#[test]
fn expression_spans_point_at_names() {
    use super::syntax::{Arg, Expr};
    fn walk(e: &Expr, base: u32, src: &str, out: &mut Vec<String>) {
        let at =
            |o: u32, len: usize| src[(base + o) as usize..(base + o) as usize + len].to_string();
        match e {
            Expr::Sym(n, o) => out.push(at(*o, n.len())),
            Expr::Lookup(t, k, end) => {
                walk(t, base, src, out);
                walk(k, base, src, out);
                out.push(format!(
                    "..{}",
                    &src[..(base + end) as usize].rsplit(' ').next().unwrap()
                ));
            }
            Expr::Filter(n, input, args, o) => {
                walk(input, base, src, out);
                out.push(format!("|{}", at(*o, n.len())));
                args_(args, base, src, out);
            }
            Expr::Call(c, args) => {
                walk(c, base, src, out);
                args_(args, base, src, out);
            }
            Expr::Compare(l, rest) => {
                walk(l, base, src, out);
                for (_, r) in rest {
                    walk(r, base, src, out);
                }
            }
            Expr::Is(l, r) | Expr::And(l, r) => {
                walk(l, base, src, out);
                walk(r, base, src, out);
            }
            _ => {}
        }
    }
    fn args_(args: &[Arg], base: u32, src: &str, out: &mut Vec<String>) {
        for a in args {
            let (Arg::Pos(e) | Arg::Kw(_, e)) = a;
            walk(e, base, src, out);
        }
    }
    fn nodes(ns: &[Node], src: &str, out: &mut Vec<String>) {
        for n in ns {
            match n {
                Node::Output(e, _, b) => walk(e, *b, src, out),
                Node::If {
                    cond,
                    cond_at,
                    body,
                    else_,
                    ..
                } => {
                    walk(cond, *cond_at, src, out);
                    nodes(body, src, out);
                    nodes(else_.as_deref().unwrap_or_default(), src, out);
                }
                Node::For {
                    arr, arr_at, body, ..
                } => {
                    walk(arr, *arr_at, src, out);
                    nodes(body, src, out);
                }
                Node::Set {
                    value: Some(v),
                    value_at,
                    ..
                } => walk(v, *value_at, src, out),
                Node::Switch {
                    expr,
                    expr_at,
                    cases,
                    ..
                } => {
                    walk(expr, *expr_at, src, out);
                    for (c, at, _) in cases {
                        walk(c, *at, src, out);
                    }
                }
                Node::FilterBlock {
                    name,
                    name_at,
                    args,
                    ..
                } => {
                    let at = *name_at as usize;
                    out.push(format!("|{}", &src[at..at + name.len()]));
                    args_(args, *name_at, src, out);
                }
                Node::CallBlock { call, call_at, .. } => walk(call, *call_at, src, out),
                Node::Macro { args, args_at, .. } => args_(args, *args_at, src, out),
                _ => {}
            }
        }
    }
    let src = "${{ a.b }} ${{  a.b }}${{ steps['x'].output === r/y/ | f(k) }}\n\
               {%- if p is divisibleby(q) and e %}{% elif  w %}{% endif %}\
               {% for i in  list %}{% set s =  i.n %}{% endfor %}\
               {% switch sw %}{% case  cv %}{% endswitch %}\
               {% filter  g(fa) %}x{% endfilter %}{% call  mc(ca) %}{% endcall %}\
               {% macro m(d= dv) %}{% endmacro %}";
    let tree = Engine::workflow().parse_tree(src).unwrap();
    let mut out = Vec::new();
    nodes(&tree, src, &mut out);
    assert_eq!(
        out,
        [
            "a",
            "..a.b",
            "a",
            "..a.b",
            "steps",
            "..steps['x']",
            "..steps['x'].output",
            "|f",
            "k",
            "p",
            "divisibleby",
            "q",
            "e",
            "w",
            "list",
            "i",
            "..i.n",
            "sw",
            "cv",
            "|g",
            "fa",
            "mc",
            "ca",
            "dv"
        ]
    );
}

/// The engine's modules depend on each other one way (issue 9): every `super::<sibling>` path in
/// `src/render/*.rs` (tests aside) is an arrow, and the arrows have no cycle. The parent module
/// (`mod.rs`, which wires the environment) is left out.
#[test]
fn render_modules_have_no_cycle() {
    use std::collections::{BTreeMap, BTreeSet};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/render");
    let re = ::regex::Regex::new(r"\bsuper::([a-z_][a-z0-9_]*)").unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if ["mod", "tests", "conformance_check"].contains(&name.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let arrows = graph.entry(name.clone()).or_default();
        for c in re.captures_iter(code) {
            if c[1] != name && dir.join(format!("{}.rs", &c[1])).exists() {
                arrows.insert(c[1].to_string());
            }
        }
    }
    assert!(graph.len() > 10, "{graph:?}");
    // Depth-first search for a back edge.
    fn visit<'a>(
        g: &'a BTreeMap<String, BTreeSet<String>>,
        v: &'a str,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(i) = path.iter().position(|p| *p == v) {
            return Some(format!("{} -> {v}", path[i..].join(" -> ")));
        }
        if !done.insert(v) {
            return None;
        }
        path.push(v);
        for w in g.get(v).into_iter().flatten() {
            if let Some(c) = visit(g, w, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for v in graph.keys() {
        if let Some(cycle) = visit(&graph, v, &mut Vec::new(), &mut done) {
            panic!("module cycle in src/render: {cycle}");
        }
    }
}

/// The direct evaluator remembers each tag expression's value and the last context name for
/// one template: repeats and alternating names still render what minijinja renders.
#[test]
fn repeated_tags_and_alternating_names_render_as_minijinja_does() {
    let c = ctx(json!({ "values": { "a": "A", "b": 2 }, "other": "O" }));
    let engine = Engine::skeleton(SkeletonOptions::default());
    let t = "${{ values.a }}-${{ other }}-${{ values.a }}-${{ values.b }}-\
             {% if values.a %}${{ other }}{% endif %}-${{ values.a }}-${{ other }}";
    let nodes = engine.parse_nodes(t).unwrap();
    assert!(super::eval::supported(&nodes));
    assert_eq!(engine.render(t, &c).unwrap(), "A-O-A-2-O-A-O");
    assert_eq!(engine.render_general(t, &c).unwrap(), "A-O-A-2-O-A-O");
    // A second template with the same expressions and another context.
    let c2 = ctx(json!({ "values": { "a": "B", "b": 3 }, "other": "P" }));
    assert_eq!(engine.render(t, &c2).unwrap(), "B-P-B-3-P-B-P");
}

/// A bound engine remembers expression values from one template to the next: every template
/// still renders exactly as the unbound engine renders it, also past the expression cache's and
/// the memo's size (both are emptied when full, and parsed trees are made anew).
#[test]
fn a_bound_engine_renders_what_the_engine_renders_across_many_templates() {
    let engine = Engine::skeleton(SkeletonOptions::default());
    let c = ctx(json!({ "values": { "a": "x", "n": 3, "list": [1, 2, "z"] } }));
    let bound = engine.bind(&c);
    let mut out = String::from("left over");
    for i in 0..3000 {
        let (m, j) = (i % 5, i % 4);
        let src = format!(
            "${{{{ values.a }}}}{i} ${{{{ values.n + {i} }}}} {{% if values.n > {m} %}}big{{% else %}}${{{{ values.list[{j}] }}}}{{% endif %}} ${{{{ values.list | join('-') }}}}"
        );
        let expected = engine.render(&src, &c).unwrap();
        assert!(expected.contains(&format!("x{i} {}", 3 + i)), "{expected}");
        bound.render_into(&src, &mut out).unwrap();
        assert_eq!(out, expected, "{src}");
        assert_eq!(bound.render(&src).unwrap(), expected, "{src}");
    }
}
