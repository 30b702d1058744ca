"""The rows a preview has checked and prepared, saved for the commit so the file is not read and checked twice.

The file lives in the job's private folder; its SHA-256 (the digest) is kept in the database (Job.params), and
the commit loads it only when the digest matches, so a changed or planted file is never unpickled. The saved
rows also carry the SHA-256 of the uploaded spreadsheet and the team: the commit refuses them for anything else.
"""

import hashlib
import pickle  # only files we wrote and whose digest the database vouches for are loaded
from dataclasses import dataclass
from pathlib import Path

from jinguo.core.errors import DomainError

FORMAT = 1


@dataclass
class Saved:
    rows: int
    errors: list
    valid: list  # (row, record, team_id) as _process delivers them


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def save(target: Path, *, source: Path, team_id: int, rows: int, errors: list, valid: list) -> str:
    payload = pickle.dumps(
        {"format": FORMAT, "source": _file_hash(source), "team_id": team_id, "rows": rows, "errors": errors, "valid": valid},
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    target.write_bytes(payload)
    return hashlib.sha256(payload).hexdigest()


def load(path: Path, digest: str, *, source: Path, team_id: int) -> Saved:
    stale = DomainError("changed", "预览结果已失效，请重新上传文件，核对检查结果后再导入。本次未导入任何数据。")
    try:
        payload = path.read_bytes()
    except OSError:
        raise stale from None
    if not digest or hashlib.sha256(payload).hexdigest() != digest:
        raise stale
    data = pickle.loads(payload)  # noqa: S301  (digest checked above)
    if data.get("format") != FORMAT or data["team_id"] != team_id or data["source"] != _file_hash(source):
        raise stale
    return Saved(rows=data["rows"], errors=[tuple(e) for e in data["errors"]], valid=data["valid"])
