#!/usr/bin/env bash
# Quickstart: run the pipeline (5 steps execute; retraining is skipped, the
# first data drop has not drifted), run it again (all cached), then replay
# the first run from its pins and verify every output's bytes; push it to a
# remote (a folder here; s3://… works the same) and replay it again in a
# fresh clone, which fetches what it needs from the remote.
# Then the ML lifecycle: the model goes to production by a committed change
# to models.yaml; a drifted data drop arrives, `repro run --if-changed`
# retrains on it, and the new version is compared, checked and promoted.
# Where a Docker engine runs, the same pipeline then runs in a container of
# an image pinned by digest, and that run replays identical in Docker.
# Runs in a throwaway Git repository so this checkout stays clean.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
remote="$(mktemp -d)"
clone="$(mktemp -d)"
trap 'rm -rf "$work" "$remote" "$clone"' EXIT

cp -r "$here/." "$work/"
# Only what the example ships: not the state of an earlier `repro run` in it.
rm -rf "$work/demo.sh" "$work/repro.lock" "$work/outputs" "$work"/.repro/{cache,runs,steps,tmp}
cd "$work"
git init -q -b main .
git add -A
git -c user.name=demo -c user.email=demo@repro.invalid commit -q -m "quickstart"
step() { printf '\n$ %s\n' "$*"; "$@"; }

step repro run --explain
run_id=$(repro runs list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
step repro run
step repro replay "$run_id" --verify
step repro runs show "$run_id"

step repro remote add --default shared "$remote"
git add -A
git -c user.name=demo -c user.email=demo@repro.invalid commit -q -m "lock and remote"
step repro push
step git clone -q "$work" "$clone/quickstart"
cd "$clone/quickstart"
step repro replay "$run_id" --verify

# The ML lifecycle.
cd "$work"
latest_model() { repro models list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["version"])'; }
step repro models promote my_model "$(latest_model)" --alias production --commit
step cp data/incoming/drop-002.csv data/drops/
step repro run --if-changed
retrain_run=$(repro runs list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
step repro drift show "$retrain_run" check_drift
step repro drift show "$retrain_run" check_drift -o drift.html
step repro runs compare "$run_id" "$retrain_run"
step repro metrics show "$retrain_run"
step repro models list
step repro models promote my_model "$(latest_model)" --alias production --force --commit
step repro models show my_model@production

# See it: the retraining run as one self-contained HTML file (kept after the
# demo), and `repro ui` to browse every run.
report="$(mktemp -d)/quickstart-report.html"
step repro report "$retrain_run" -o "$report"
printf 'open %s in a browser; `repro ui` serves every run on http://127.0.0.1:8765/\n' "$report"

# Docker: an image of the environment the lock was made in (base image,
# these package versions, repro), pinned by digest in pyproject.toml.
if docker info >/dev/null 2>&1 && docker image inspect repro-base:bookworm >/dev/null 2>&1; then
    cd "$work"
    step repro image build --no-push
    git add -A
    git -c user.name=demo -c user.email=demo@repro.invalid commit -q -m "pin the image"
    step repro run --backend docker
    docker_run=$(repro runs list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
    step repro replay "$docker_run" --verify
else
    printf '\n(Docker part skipped: no engine or no base image; as root, bash scripts/services.sh docker sets both up)\n'
fi
