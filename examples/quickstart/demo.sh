#!/usr/bin/env bash
# Quickstart: snapshot the example data into the content-addressed store,
# change it, see the difference, restore the original, and check the store.
# Runs in a throwaway Git repository so this checkout stays clean.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
git init -q .
cp -r "$here/data" data
step() { printf '\n$ %s\n' "$*"; "$@"; }

step repro init
tree=$(repro snapshot data --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree"])')
step repro snapshot data
echo "6.1,2.8,4.7,1.2,versicolor" >> data/raw/iris_like.csv
rm data/labels.json
step repro snapshot data
changed=$(repro snapshot data --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree"])')
step repro diff "$tree" "$changed"
step repro checkout "$tree" data
step repro diff "$tree" data
step repro fsck
printf '\nThe data is back at tree %s.\n' "$tree"
