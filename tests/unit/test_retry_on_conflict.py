"""retry_on_conflict with the state in hand: the loops that already hold the row (or the row
they mean to write) spend no read on their first round, and each later round starts from what
``reread`` made of the lost one. The writer here is a counter of lost rounds, so what the helper
does between rounds is visible: which state each round got, how many reads it made."""

from __future__ import annotations

import pytest

from shared_code.common.storage.rows import StorageConflict, retry_on_conflict


class Row:
    """A stored version number; a write carrying an older version loses, as an ETag would."""

    def __init__(self, version: int, writers_ahead: int) -> None:
        self.version, self.writers_ahead, self.reads = version, writers_ahead, 0

    def write(self, seen: int) -> int:
        if self.writers_ahead:  # another writer got in between our read and our write
            self.writers_ahead -= 1
            self.version += 1
        if seen != self.version:
            raise StorageConflict("changed")
        self.version += 1
        return self.version

    def read(self, _lost: int) -> int | None:
        self.reads += 1
        return self.version


def test_the_first_round_uses_the_state_in_hand_and_each_retry_the_reread_one() -> None:
    row = Row(version=3, writers_ahead=0)
    assert retry_on_conflict(row.write, first=3, reread=row.read) == 4
    assert row.reads == 0  # no read before the first write

    row = Row(version=3, writers_ahead=2)
    seen: list[int] = []

    def attempt(version: int) -> int:
        seen.append(version)
        return row.write(version)

    assert retry_on_conflict(attempt, first=3, reread=row.read) == 6
    assert seen == [3, 4, 5] and row.reads == 2


def test_reread_answering_none_ends_the_retries_with_none() -> None:
    row = Row(version=1, writers_ahead=5)
    calls: list[int] = []

    def attempt(version: int) -> int:
        calls.append(version)
        return row.write(version)

    assert retry_on_conflict(attempt, first=1, reread=lambda _lost: None) is None
    assert calls == [1]


def test_after_the_last_lost_round_gave_up_answers_without_another_read() -> None:
    row = Row(version=1, writers_ahead=99)
    assert retry_on_conflict(row.write, first=1, reread=row.read, tries=4, gave_up=lambda: -1) == -1
    assert row.reads == 3  # between the four rounds, not after the last
    with pytest.raises(StorageConflict):
        retry_on_conflict(row.write, first=row.version, reread=row.read, tries=2)


def test_retry_if_narrows_the_retries_with_the_state_in_hand_too() -> None:
    row = Row(version=1, writers_ahead=1)
    with pytest.raises(StorageConflict):
        retry_on_conflict(row.write, first=1, reread=row.read, retry_if=lambda err: err.kind == "exists")
    assert row.reads == 0
