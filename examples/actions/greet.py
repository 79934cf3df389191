#!/usr/bin/env python3
"""acme:greet, an external golden action: writes a greeting file into the workspace.

Protocol (`golden actions --protocol`): one JSON document on stdin, log lines on stderr,
one `{"output": {...}}` object on stdout, exit 0 on success.
"""
import json
import os
import sys


def main() -> int:
    request = json.load(sys.stdin)
    params = request["input"]
    name = params["name"]
    target = params.get("file", "GREETING.md")
    workspace = os.path.realpath(request["workspacePath"])
    path = os.path.realpath(os.path.join(workspace, target))
    if not path.startswith(workspace + os.sep):
        print(f"refusing to write outside the workspace: {target}", file=sys.stderr)
        return 2
    greeting = f"Hello, {name}!"
    print(f"writing {target} for step {request['stepId']}", file=sys.stderr)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(greeting + "\n")
    json.dump({"output": {"path": target, "greeting": greeting}}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
