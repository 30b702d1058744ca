"""Reading our own PDFs back in tests, without a PDF library: reportlab writes each font subset with a ToUnicode
CMap, so the text of every page can be recovered from its content stream (Tf selects the subset, Tj shows bytes).
Enough for what reportlab's canvas writes; not a general PDF parser."""

import base64
import re
import zlib

OBJ_RE = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
STREAM_RE = re.compile(rb"^(<<.*?>>)\s*stream\r?\n", re.S)
TOKEN_RE = re.compile(rb"/([^\s/\[\]()<>]+)\s+[\d.]+\s+Tf|(\((?:\\.|[^\\)])*\))\s*Tj|(T\*|Td|TD|Tm|ET)", re.S)


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """obj number -> (dictionary text, decoded stream or None)."""
    found = {}
    for match in OBJ_RE.finditer(data):
        number, body = int(match.group(1)), match.group(2)
        stream = STREAM_RE.match(body)
        if stream:
            head = stream.group(1)
            length = int(re.search(rb"/Length (\d+)", head).group(1))
            raw = body[stream.end() : stream.end() + length]
            if b"/Subtype /Image" in head:
                raw = None  # not text
            else:
                if b"/ASCII85Decode" in head:
                    raw = base64.a85decode(raw.strip().removesuffix(b"~>"))
                if b"/FlateDecode" in head:
                    raw = zlib.decompress(raw)
            found[number] = (head, raw)
        else:
            found[number] = (body, None)
    return found


def _unescape(literal: bytes) -> bytes:
    out = bytearray()
    i = 1
    while i < len(literal) - 1:
        ch = literal[i]
        if ch == 0x5C:  # backslash
            nxt = literal[i + 1]
            if 0x30 <= nxt <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4]).group(0)
                out.append(int(digits, 8))
                i += 1 + len(digits)
                continue
            out.append({ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)


def _cmap(stream: bytes) -> dict[int, str]:
    mapping = {}
    for code, uni in re.findall(rb"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4,})>", stream):
        value = int(uni, 16)
        if value:
            mapping[int(code, 16)] = chr(value)
    return mapping


def font_maps(data: bytes) -> dict[str, dict[int, str] | None]:
    """Resource name (F2+0) -> byte -> character; None for the standard fonts (plain Latin-1 bytes)."""
    objects = _objects(data)
    maps: dict[str, dict[int, str] | None] = {}
    for head, stream in objects.values():
        if stream is not None:
            continue
        for name, ref in re.findall(rb"/(F\d+(?:\+\d+)?) (\d+) 0 R", head):
            font_head = objects.get(int(ref), (b"", None))[0]
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font_head)
            if to_unicode:
                maps[name.decode()] = _cmap(objects[int(to_unicode.group(1))][1] or b"")
            else:
                maps.setdefault(name.decode(), None)
    return maps


def pages_text(data: bytes) -> list[str]:
    """The text of each page, in drawing order, one line per text object or line move."""
    objects = _objects(data)
    maps = font_maps(data)
    page_contents = []
    for head, stream in objects.values():
        if stream is None and re.search(rb"/Type /Page\b", head):
            contents = re.search(rb"/Contents (\d+) 0 R", head)
            if contents:
                page_contents.append(int(contents.group(1)))
    texts = []
    for number in sorted(page_contents):
        stream = objects[number][1] or b""
        font = None
        parts = []
        for match in TOKEN_RE.finditer(stream):
            if match.group(1):
                font = match.group(1).decode()
            elif match.group(2):
                raw = _unescape(match.group(2))
                table = maps.get(font)
                parts.append("".join(table.get(b, "") for b in raw) if table else raw.decode("latin-1"))
            else:
                parts.append("\n")
        texts.append("".join(parts))
    return texts


def text_of(data: bytes) -> str:
    return "\n".join(pages_text(data))
