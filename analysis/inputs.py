"""Reading the project's input files: one error class and the checks every text file shares.

Each loader (codebook, published.csv, facts.csv, the YAML registries) decodes its bytes with
`decode` and parses YAML with `load_yaml`, so a malformed file always ends in one `BadInput`
message that names the file, the place (line, column or key), the rule and what to do. The build
(arena/steps.py) turns `BadInput` into its own input error; nothing here imports the build.
"""
from __future__ import annotations

from typing import Any

import yaml

__all__ = ["BadInput", "decode", "load_yaml", "mapping", "read_csv"]


class BadInput(ValueError):
    """An input file the project cannot use; the message says where, which rule, and what to do."""


_UTF16_BOMS = {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)"}
_SAVE = "save it as UTF-8 text (without a byte-order mark)"


def _position(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def decode(data: bytes, name: str, bom_ok: bool = False) -> str:
    """The text of a UTF-8 file, or BadInput naming the encoding it seems to have.

    A NUL byte is never part of text: pandas and YAML would silently cut the value there."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        raise BadInput(f"{name}: the file is UTF-32 encoded; rule: input files are UTF-8 — {_SAVE}")
    if data[:2] in _UTF16_BOMS:
        raise BadInput(f"{name}: the file is {_UTF16_BOMS[data[:2]]} encoded; rule: input files are "
                       f"UTF-8 — {_SAVE}")
    head = data[:4096]
    control = sum(b < 32 and b not in b"\t\n\r\x0c" for b in head)
    if control >= 4 and control * 10 >= len(head):
        # Every other byte NUL: UTF-16 without a byte-order mark; otherwise not text at all.
        odd, even = head[1::2].count(b"\x00"), head[0::2].count(b"\x00")
        if max(odd, even) * 10 >= len(head) * 4:
            raise BadInput(f"{name}: the file looks UTF-16 encoded (every other byte is zero); rule: "
                           f"input files are UTF-8 — {_SAVE}")
        raise BadInput(f"{name}: a binary file, not text; rule: input files are UTF-8 text — put the "
                       "right file here")
    if data.startswith(b"\xef\xbb\xbf") and not bom_ok:
        raise BadInput(f"{name}, line 1: the file starts with a UTF-8 byte-order mark (BOM); rule: "
                       f"{_SAVE}")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise BadInput(f"{name}, {_position(data, nul)}: a NUL byte (0x00); rule: text holds no NUL "
                       "bytes — remove it (the file may be damaged)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = data[err.start:err.start + 1]
        printable = sum(32 <= b < 127 or b in b"\r\n\t" for b in head) >= 0.7 * len(head)
        if printable:
            hint = (f" (byte 0x{bad[0]:02x} is {bad.decode('latin-1')!r} in Latin-1/Windows-1252: "
                    "the file looks Latin-1 encoded)")
        else:
            hint = " (most bytes are not text: is this a binary file?)"
        raise BadInput(f"{name}, {_position(data, err.start)}: not valid UTF-8{hint}; rule: input files "
                       f"are UTF-8 — {_SAVE}") from None
    return text.removeprefix("\ufeff")


class _UniqueKeys(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (C parser when there is one), refusing a key given twice in one mapping:
    PyYAML would keep the last and drop the first without a word."""

    def __init__(self, stream, name: str) -> None:
        super().__init__(stream)
        self.name = name

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise BadInput(f"{self.name}, line {key_node.start_mark.line + 1}: key {key!r} is "
                                   "given twice in the same mapping; rule: each key once — remove or "
                                   "rename one of them")
                seen.add(key)
            except TypeError:   # an unhashable key: the constructor itself reports it
                pass
        return super().construct_mapping(node, deep)


def load_yaml(data: bytes | str, name: str, allow_empty: bool = False) -> Any:
    """YAML from a file's bytes (the C parser when PyYAML has it), errors located."""
    text = decode(data, name) if isinstance(data, bytes) else data
    if not text.strip():
        if allow_empty:
            return None
        raise BadInput(f"{name}: the file is empty; rule: it holds a YAML mapping — restore it "
                       "(e.g. `git checkout` the file)")
    try:
        return yaml.load(text, Loader=lambda stream: _UniqueKeys(stream, name))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and mark is not None and start.line != mark.line:
            problem += f", {context} that starts on line {start.line + 1}"
        raise BadInput(f"{name}{where}: YAML syntax error ({problem}); rule: the file must be valid "
                       "YAML — fix the line (check indentation, quotes and colons)") from None


def mapping(value: Any, name: str, what: str = "the top level") -> dict:
    """`value` if it is a mapping, else BadInput saying what was found."""
    if not isinstance(value, dict):
        found = "nothing" if value is None else f"a {type(value).__name__}"
        raise BadInput(f"{name}, {what}: expected a mapping (key: value), found {found}; rule: "
                       "see the file's other entries for the shape")
    return value


def _check_header(header: list[str], name: str, columns: list[str], exact: bool) -> None:
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise BadInput(f"{name}, line 1: column {repeated[0]!r} occurs {header.count(repeated[0])} times; "
                       "rule: each column once")
    missing = [c for c in columns if c not in header]
    if missing:
        raise BadInput(f"{name}, line 1: missing column(s) {', '.join(missing)}; rule: the header has "
                       f"{', '.join(columns)}")
    extra = [c for c in header if c not in columns]
    if exact and extra:
        raise BadInput(f"{name}, line 1: unknown column(s) {', '.join(extra)}; rule: the header has exactly "
                       f"{', '.join(columns)} — remove or rename the column")


def read_csv(data: bytes | str, name: str, columns: list[str], exact: bool = False):
    """A CSV file with a header as a frame of text (`""` for an empty cell), and the file line of
    each row. Bad quoting, rows with too many or too few fields, missing (with `exact`: also extra)
    or repeated columns end in BadInput with the line."""
    import csv
    import io

    import pandas as pd

    text = decode(data, name) if isinstance(data, bytes) else data
    if not text.strip():
        raise BadInput(f"{name}: the file is empty; rule: a header line ({','.join(columns[:3])},…) and "
                       "one row per entry — restore it (e.g. `git checkout` the file)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, lines = [], []
    try:
        header = next(reader)
        _check_header(header, name, columns, exact)
        for rec in reader:
            if not rec:
                continue   # a blank line
            if len(rec) != len(header):
                raise BadInput(f"{name}, line {reader.line_num}: {len(rec)} fields instead of {len(header)}; "
                               "rule: one field per column — put a value that contains a comma in double "
                               "quotes, and check the row is complete")
            records.append(rec)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise BadInput(f"{name}, line {reader.line_num}: CSV syntax error ({exc}); rule: a field with "
                       'commas, quotes or line breaks is wrapped in double quotes, and a quote inside '
                       'it is doubled ("")') from None
    return pd.DataFrame(records, columns=header, dtype=str), lines
