"""File modes of a data directory shared by two accounts: the importer writes, the web server
reads through a group they share.

By default everything Gongkai writes is private to the account that writes it (originals
0600, the database and index as the umask makes them). ``gongkai init --group NAME`` hands
the tree to group NAME (``chgrp``), makes every folder setgid (``2750``: files created in it
later belong to NAME too) and every file group-readable (``0640``), and records ``"group"``
in ``gongkai.json``. From then on the writer runs with :data:`SHARED_UMASK`, so what it
creates — the database and SQLite's ``-wal``/``-shm`` (SQLite gives them the database file's
mode), index files, ``web-secret.key``, backups — is ``0640``, and :class:`OriginalStore`
writes originals ``0640`` instead of ``0600`` in a folder that is setgid.

It lives in ``archive/`` because the originals are written here (also by import workers
that never read ``gongkai.json``): a setgid folder is the sign, on the file system itself,
that the tree is shared.
"""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

from archive.errors import AccessError, InvalidInput

#: What the writer's umask becomes when the data directory is shared: group may read, others
#: nothing.
SHARED_UMASK = 0o027
PRIVATE_FILE_MODE = 0o600
SHARED_FILE_MODE = 0o640
SHARED_DIR_MODE = 0o2750


def is_shared(folder: Path | str) -> bool:
    """Whether ``folder`` is setgid: files created in it are for its group to read."""
    try:
        return bool(os.stat(folder).st_mode & stat.S_ISGID)
    except OSError:
        return False


def file_mode(folder: Path | str) -> int:
    """The mode of a private file Gongkai creates in ``folder`` (before the umask)."""
    return SHARED_FILE_MODE if is_shared(folder) else PRIVATE_FILE_MODE


def account() -> str:
    """This process's account, as ``name (uid N)``: what an access error names."""
    uid = os.geteuid()
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def group_id(name: str) -> int:
    """The id of group ``name`` (a name or a number); :class:`InvalidInput` if unknown."""
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        if name.isdigit():
            return int(name)
        raise InvalidInput(f"no group named {name!r} (create it first: groupadd {name})") from None


def apply_shared_umask() -> None:
    """Make everything this process creates from now on readable by its group, not others."""
    os.umask(SHARED_UMASK)


def share_tree(root: Path | str, gid: int) -> int:
    """Give ``root`` and everything under it to group ``gid``: folders ``2750`` (setgid) and
    files group-readable (``0640``; ``0750`` when the owner may run them). Symbolic links are
    left alone. Returns how many entries were changed; :class:`AccessError` names the first
    one this account may not change."""
    root = Path(root)
    changed = 0
    for folder, dirs, files in os.walk(root):
        for path in [Path(folder), *(Path(folder) / name for name in files)]:
            if path.is_symlink():
                continue
            mode = path.stat().st_mode
            if stat.S_ISDIR(mode):
                wanted = SHARED_DIR_MODE | (mode & 0o700)
            else:
                wanted = (mode & 0o700) | 0o040 | (0o010 if mode & 0o100 else 0)
            try:
                os.chown(path, -1, gid)
                os.chmod(path, wanted)
            except PermissionError:
                raise AccessError(
                    f"cannot give {path} to group {gid}: permission denied (run `gongkai init "
                    "--group` as the owner of the data directory and a member of the group, "
                    "or as root)"
                ) from None
            changed += 1
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]
    return changed
