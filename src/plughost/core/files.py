"""Files that several processes may create at once (the secret key, the node id)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def create_once(path: Path, text: str) -> str:
    """Create ``path`` holding ``text`` unless it exists; return what it holds.

    A private temp file is written, then linked into place, so the file appears whole or
    not at all: a process that loses the race reads the winner's text, never an empty or
    half-written file (opening with ``"x"`` and writing after would let it read one).
    The temp file is private (mode 0600), and so is ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        os.link(temp, path)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    finally:
        os.unlink(temp)
    return text
