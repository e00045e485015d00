"""Git as the control plane: the hooks ``repro install-hooks`` puts in the
folder Git runs hooks from (pre-push pushes the runs the lock pins;
post-checkout and post-merge check out the data it pins), and the merge
driver of repro.lock (``repro lock merge``), a 3-way merge per pipeline.

Nothing here is imported by ``import repro.githooks`` beyond this list of
names: each command imports the module it needs."""

from __future__ import annotations

__all__: list[str] = []
