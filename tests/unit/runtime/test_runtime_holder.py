"""The holder's setting cache: loaded once per settings version, never stale after a clear."""

from __future__ import annotations

import importlib
import threading

import pytest

from plughost.core.registry import empty_registry
from plughost.runtime import recent
from plughost.runtime.holder import RegistryHolder, Snapshot

# The module, not the process's holder that ``plughost.runtime`` names the same way.
holder_module = importlib.import_module("plughost.runtime.holder")


def test_a_cached_value_is_loaded_once() -> None:
    holder = RegistryHolder()
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return 42

    assert holder.cached("rows", load) == 42
    assert holder.cached("rows", load) == 42
    assert len(loads) == 1


def test_a_value_loaded_while_the_cache_was_cleared_is_not_kept() -> None:
    # A reader loads the old value; a write commits and clears the cache meanwhile.
    holder = RegistryHolder()

    def load_then_cleared() -> str:
        holder.clear_settings(7)
        return "old"

    assert holder.cached("rows", load_then_cleared) == "old"
    assert holder.cached("rows", lambda: "new") == "new"
    assert holder.settings_version == 7


def test_a_swap_and_a_clear_forget_cached_rows() -> None:
    holder = RegistryHolder()
    holder.cached("rows", lambda: "before")
    holder.swap(Snapshot(empty_registry(), None, 1, 1))
    assert holder.cached("rows", lambda: "after swap") == "after swap"
    holder.clear_settings(3)
    assert holder.cached("rows", lambda: "after clear") == "after clear"
    holder.forget("rows")
    assert holder.cached("rows", lambda: "after forget") == "after forget"


def test_a_local_write_drops_only_its_entries_when_nothing_else_changed() -> None:
    holder = RegistryHolder()
    holder.clear_settings(4)
    holder.cached("mine", lambda: "old")
    holder.cached("other", lambda: "kept")

    holder.written_here(["mine"], 5)

    assert holder.cached("mine", lambda: "new") == "new"
    assert holder.cached("other", lambda: "reloaded") == "kept"
    assert holder.settings_version == 5


def _watched() -> RegistryHolder:
    holder = RegistryHolder()
    holder.watched = True  # a watcher tells of every change, in order
    return holder


def test_a_local_write_ahead_of_a_change_elsewhere_waits_for_it() -> None:
    holder = _watched()
    holder.clear_settings(4)
    holder.cached("mine", lambda: "old")
    holder.cached("other", lambda: "changed by 5")

    holder.written_here(["mine"], 6)  # 5 was written elsewhere, its notice not handled yet

    assert holder.settings_version == 4
    assert holder.cached("mine", lambda: "new") == "new"  # read back at once
    assert holder.cached("other", lambda: "reloaded") == "changed by 5"
    holder.settings_changed(5, lambda marker: marker == "other")
    assert holder.settings_version == 6  # 5, then 6
    assert holder.cached("other", lambda: "reloaded") == "reloaded"


def test_without_a_watcher_a_local_write_after_changes_elsewhere_drops_everything() -> None:
    holder = RegistryHolder()
    holder.clear_settings(4)
    holder.cached("other", lambda: "stale")

    holder.written_here(["mine"], 7)  # 5 and 6 were written elsewhere: nobody will tell

    assert holder.cached("other", lambda: "reloaded") == "reloaded"
    assert holder.settings_version == 7


def test_a_change_already_accounted_for_is_ignored() -> None:
    holder = RegistryHolder()
    holder.clear_settings(5)
    holder.cached("kept", lambda: "value")

    holder.settings_changed(5, lambda marker: True)  # its own write's notice, after the write
    holder.written_here(["kept"], 3)

    assert holder.cached("kept", lambda: "reloaded") == "value"
    assert holder.settings_version == 5


def test_a_clear_accounts_for_the_changes_waiting_up_to_its_version() -> None:
    holder = _watched()
    holder.clear_settings(4)
    holder.written_here(["six"], 6)
    holder.written_here(["eight"], 8)
    holder.cached("eight", lambda: "old")  # the clear empties the cache anyway

    holder.clear_settings(7)  # the versions were read: 5 to 7 happened, unnamed
    assert holder.settings_version == 8  # 6 went with the clear; 8 applied after it
    assert holder.cached("eight", lambda: "new") == "new"


def test_too_many_waiting_changes_start_the_cache_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(holder_module, "MAX_PENDING_CHANGES", 3)
    holder = _watched()
    holder.clear_settings(1)
    holder.cached("entry", lambda: "old")
    for version in (3, 4, 5):  # 2 never comes
        holder.written_here(["mine"], version)
    assert holder.settings_version == 1

    holder.written_here(["mine"], 6)

    assert holder.settings_version == 6
    assert holder.cached("entry", lambda: "reloaded") == "reloaded"


def test_a_local_write_puts_back_the_entries_it_rebuilt() -> None:
    holder = RegistryHolder()
    holder.clear_settings(4)
    since = holder.cache_state()
    holder.cached("rows", lambda: "before")

    holder.written_here(["rows", "value"], 5, replaced={"rows": "after"}, since=since)

    assert holder.cached("rows", lambda: "reloaded") == "after"
    assert holder.cached("value", lambda: "reloaded") == "reloaded"
    assert holder.settings_version == 5


@pytest.mark.parametrize("meanwhile", ["clear", "swap", "other write"])
def test_a_rebuilt_entry_is_not_put_back_when_the_cache_moved_meanwhile(meanwhile: str) -> None:
    holder = _watched()
    holder.clear_settings(4)
    since = holder.cache_state()
    version = 5
    if meanwhile == "clear":  # another process's change came in: 5 is taken, ours is 6
        holder.clear_settings(5)
        version = 6
    elif meanwhile == "swap":  # a rediscovery swapped in new config rows
        holder.swap(Snapshot(empty_registry(), None, 1, 1))
    else:
        version = 6  # written elsewhere, not yet seen here

    holder.written_here(["rows"], version, replaced={"rows": "after"}, since=since)
    if meanwhile == "other write":
        holder.settings_changed(5, lambda marker: False)  # its notice comes after all

    assert holder.cached("rows", lambda: "reloaded") == "reloaded"
    assert holder.settings_version == version


def test_a_value_loaded_during_a_local_write_is_not_kept() -> None:
    holder = RegistryHolder()
    holder.clear_settings(1)

    def load_then_written() -> str:
        holder.written_here(["mine"], 2)
        return "old"

    assert holder.cached("mine", load_then_written) == "old"
    assert holder.cached("mine", lambda: "new") == "new"


def test_a_swap_with_the_same_configs_keeps_rows_and_forgets_per_snapshot_entries() -> None:
    holder = RegistryHolder()
    holder.cached("rows", lambda: "kept")
    holder.cached("all rows", lambda: "with active flags", per_snapshot=True)

    holder.swap(Snapshot(empty_registry(), None, 1, 1), same_configs=True)

    assert holder.cached("rows", lambda: "reloaded") == "kept"
    assert holder.cached("all rows", lambda: "reloaded", per_snapshot=True) == "reloaded"


def test_a_recent_value_is_loaded_again_once_its_interval_has_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(recent.time, "monotonic", lambda: clock[0])
    loads = iter(["first", "second", "third"])
    value = recent.Recent(lambda: next(loads), seconds=1.0)

    assert value.get() == "first"
    clock[0] += 0.9
    assert value.get() == "first"
    clock[0] += 0.2
    assert value.get() == "second"
    value.forget()
    assert value.get() == "third"


def test_waiting_for_local_writes_returns_at_once_without_any() -> None:
    assert RegistryHolder().wait_for_local_writes(5.0) is False


def test_waiting_for_local_writes_ends_when_the_last_one_has_told_the_cache() -> None:
    holder = RegistryHolder()
    holder.clear_settings(4)
    entered = threading.Event()
    release = threading.Event()

    def write() -> None:
        with holder.local_write():
            entered.set()
            release.wait(5.0)
            holder.written_here(["mine"], 5)

    writer = threading.Thread(target=write)
    writer.start()
    entered.wait(5.0)
    threading.Timer(0.05, release.set).start()

    assert holder.wait_for_local_writes(5.0) is True
    assert holder.settings_version == 5  # the watcher then finds the cache current
    writer.join()
