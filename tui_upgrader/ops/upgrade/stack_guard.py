"""The guard around every operation that may stop the stack.

Upgrade, recover, ``backup create --stop``, restore and the start of a stack a
killed backup left stopped all run inside ``stack_guard``:

- one tool at a time per deploy dir (``deploy_lock``): a second upgrade, recovery,
  backup or restore would otherwise stop or swap the tree under this one;
- an interrupted upgrade's journal is refused, in one wording
  (``journal.refuse_interrupted``), by everything but ``recover``, whose job
  is to resolve it;
- the temp files a kill mid-write left beside the journal or state are swept
  (safe only under the lock), and so is a pre-copy snapshot no journal names (a
  killed ``backup create --stop``);
- the operation reports its steps through the ``Context`` it was given
  (``Context.step``), so every one of them emits the same events.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

from tui_upgrader.ops.upgrade._internal.apply import remove_state_temps
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.journal import deploy_lock, read_journal, refuse_interrupted
from tui_upgrader.ops.upgrade.two_pass import discard_snapshot

Action = Literal["upgrade", "recover", "backup", "restore"]


@contextlib.contextmanager
def stack_guard(ctx: Context, action: Action) -> Iterator[Context]:
    """Lock the deploy dir, refuse an interrupted upgrade (not for ``recover``),
    sweep temp files; yields ``ctx``. Raises JournalError before touching anything."""
    with deploy_lock(ctx.deploy_dir):
        if action != "recover":
            refuse_interrupted(ctx.deploy_dir, action)
        remove_state_temps(ctx.deploy_dir)
        if read_journal(ctx.deploy_dir) is None:
            discard_snapshot(ctx.deploy_dir)
        yield ctx
