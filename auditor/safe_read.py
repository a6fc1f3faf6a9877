"""Read a small trusted-path file (config, rule file) without blocking or exhausting memory.

Config and rule files are named by users but may sit inside an audited repository, so they
are opened like any untrusted input: never blocking on a FIFO or device, and refusing sizes
no configuration could need.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_SMALL_FILE_BYTES = 1024 * 1024


def read_small_file(path: Path | str, max_bytes: int = MAX_SMALL_FILE_BYTES) -> bytes:
    """The file's bytes; OSError for a non-regular file or one over `max_bytes`."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, "not a regular file")
        if st.st_size > max_bytes:
            raise OSError(0, f"larger than {max_bytes // 1024} KiB")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
