#!/bin/sh
# acme:inventory, an external golden action in POSIX sh with jq: lists the workspace's files
# (sorted) into input.file and returns their count and paths.
# Protocol (`golden actions --protocol`): one JSON document on stdin, log lines on stderr,
# one {"output": {...}} object on stdout, exit 0 on success.
set -eu
request=$(cat)
file=$(printf '%s' "$request" | jq -r '.input.file')
case "$file" in
  /* | *..*) echo "input.file must stay inside the workspace: $file" >&2; exit 2 ;;
esac
echo "listing the files of the workspace into $file" >&2
# the working directory is the workspace
files=$(find . -type f ! -path "./$file" | sed 's|^\./||' | LC_ALL=C sort | jq -R . | jq -s .)
mkdir -p "$(dirname "$file")"
printf '%s\n' "$files" > "$file"
jq -n --argjson files "$files" '{output: {fileCount: ($files | length), files: $files}}'
