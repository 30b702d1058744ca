"""Fast inserts for big imports: PostgreSQL COPY with pre-allocated ids, bulk_create elsewhere (SQLite).

Measured on the 2-core development machine with 100,000 volunteers: Django's bulk_create spends most of its time
building one huge INSERT and having psycopg re-parse its placeholders (~600 rows/s end to end); COPY writes the
same rows in a few seconds. Rows arrive as dicts of attribute names, so both paths insert exactly the same values.
"""

import gc
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from .. import services as volunteer_services


def use_copy() -> bool:
    return connection.vendor == "postgresql"


def _columns(model, skip: tuple[str, ...] = ()) -> list:
    return [f for f in model._meta.concrete_fields if f.attname not in skip]


def allocate_ids(model, count: int) -> list[int]:
    """Reserve `count` primary keys from the table's sequence (PostgreSQL), so COPY rows can reference each other."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


_BINARY_TYPES = {"bigint": "int8", "integer": "int4", "boolean": "bool", "timestamp with time zone": "timestamptz"}
BINARY = True  # binary COPY: the server skips parsing text for every value


def _binary_type(field) -> str:
    db_type = field.db_type(connection).split("(")[0]
    return _BINARY_TYPES.get(db_type, db_type)


def copy_rows(model, rows: Iterable[dict], *, with_pk: bool) -> None:
    """COPY dict rows (attname -> value) into the model's table. Every column without a value must be in the dict."""
    fields = _columns(model, () if with_pk else (model._meta.pk.attname,))
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    if BINARY:
        sql += " (FORMAT BINARY)"
    names = [f.attname for f in fields]
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        if BINARY:
            copy.set_types([_binary_type(f) for f in fields])
        for row in rows:
            copy.write_row([row[name] for name in names])


def create_rows(model, rows: list[dict]) -> list:
    """The portable path: model instances through bulk_create (ids come back on SQLite >= 3.35 and PostgreSQL)."""
    objects = [model(**row) for row in rows]
    model.objects.bulk_create(objects)
    return objects


def check_constraints_immediately() -> None:
    """Foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at COMMIT, one by one, after all the work. Checked
    as each batch is copied instead, the work is the same but spread over the import (and its progress bar)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def check_constraints_deferred() -> None:
    """Back to Django's default, for whatever else the surrounding transaction does (all its keys are deferrable,
    initially deferred)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def gc_paused():
    """The collector rescans every live object as 100,000 rows pile up; nothing here makes reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Initials:
    """volunteer_services.name_initials, fast and with the same result.

    pypinyin reads a name word by word: a run of characters found in its phrase dictionary takes the phrase's
    reading, any other character its default reading. So a name without any such run gets its initials from a
    per-character cache of default readings; any other name (or one with letters, dots, rare characters) goes
    through pypinyin as a whole, exactly as the service does.
    """

    def __init__(self):
        self._chars: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        size = len(name)
        if any(name[i:j] in PHRASES_DICT for i in range(size) for j in range(i + 2, size + 1)):
            return volunteer_services.name_initials(name)
        letters = []
        chars = self._chars
        for char in name:
            letter = chars.get(char)
            if letter is None:
                letter = chars[char] = self._char(char)
            if not letter:  # "" marks a character that needs the whole-name path
                return volunteer_services.name_initials(name)
            letters.append(letter)
        return "".join(letters).lower()[:50]

    @staticmethod
    def _char(char: str) -> str:
        if ord(char) not in PINYIN_DICT:
            return ""
        letter = "".join(lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore"))
        return letter if len(letter) == 1 and letter.isascii() else ""
