"""Owner-only permissions for the instance folder and what it holds: the patient database, its WAL, the keys."""
import os
from pathlib import Path


def private_folder(path) -> Path:
    """Create the folder 0700; tighten whatever an earlier version (or a umask of 022) left readable in it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    for child in path.iterdir():
        if child.is_file() and not child.is_symlink():
            os.chmod(child, 0o600)
    return path


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file 0600 before SQLite does: its -wal and -shm files copy the database's mode."""
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return
    path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(f"{path}{suffix}"):
            os.chmod(f"{path}{suffix}", 0o600)
