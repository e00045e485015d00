"""The issue-19 campaign: repro attacked, and out of luck, on loopback.

Real processes, real ``kill -9``, real Git repositories, a folder remote
and an S3-compatible server (moto) on loopback; remotes tampered with and
records crafted the way someone who can write to the remote (not to Git)
would. Each row of the table is a kind of attack or accident, run as many
trials; a trial *holds* when every property the row names holds.

    python -m benchmarks.campaign                 # every row (under ~30 min on 2 cores)
    python -m benchmarks.campaign --quick         # fewer trials (under ~5 min)
    python -m benchmarks.campaign --only kill-run --only crafted-records
    python -m benchmarks.campaign --full-size     # the snapshot rows on 20,000 files, 640 MiB
    make stress [ARGS="--quick"]

The table is printed in Markdown, every failed trial with a one-line
reason; the exit code is 1 when any trial did not hold.
"""
