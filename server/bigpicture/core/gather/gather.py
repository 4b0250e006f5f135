"""Deciding exactly what a review sends: the files, their text, and what is left out and why.

The pipeline, one small step each (repomix's packager is the model):

1. list candidate paths: git's view of the work tree, or a walk applying .gitignore files;
2. filter by name: ``.bigpictureignore``, configured include/exclude, secret paths, lock and
   generated files (``core.pathrules``);
3. stat each file: symlinks out of the workspace or in a loop and oversized files are refused;
4. read, decode once (binary and undecodable files are refused) and redact secrets from
   exactly that text (``core.secrets``).

A review's gather is lazy (``gather(lazy=True)``): it stops after step 3, each file listed
with its size (``SourceFile.loaded`` False), and ``load`` runs step 4 for the files the budget
chooses, so a repository many times the window is not read, hashed and scanned whole.

Every refusal is kept as a ``Skipped`` with its reason, so the plan can show it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pathspec

from bigpicture.core.config import Settings
from bigpicture.core.errors import GatherError
from bigpicture.core.gather import pathrules, secrets
from bigpicture.core.gather.scanindex import ScanIndex, stat_key, trustworthy
from bigpicture.core.gather.textio import Undecodable, decode
from bigpicture.core.git import repo as gitrepo
from bigpicture.core.models import Redaction, Skipped, Snapshot, SourceFile

IGNORE_FILE = ".bigpictureignore"

Progress = Callable[[str], None]


@dataclass
class Listing:
    """Candidate paths and what git knows about them."""

    paths: list[str]
    repo: gitrepo.Repo | None
    skipped: list[Skipped]
    untracked: set[str] = field(default_factory=set)  # paths git does not track


def _spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec | None:
    lines = [p for p in patterns if p.strip() and not p.lstrip().startswith("#")]
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _read_ignore_file(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def walk_with_gitignore(
    root: Path, start: str = "", skipped: list[Skipped] | None = None
) -> list[str]:
    """Files under ``root/start`` (outside git) that .gitignore files at every level allow.
    A directory that cannot be listed is added to ``skipped`` (unreadable, with the reason)."""
    out: list[str] = []
    # (directory prefix relative to root, spec) from the root down to the current directory
    stack: list[tuple[str, pathspec.GitIgnoreSpec]] = []

    def ignored(rel: str, is_dir: bool) -> bool:
        verdict = None
        for prefix, spec in stack:
            if not rel.startswith(prefix):
                continue
            sub = rel[len(prefix) :] + ("/" if is_dir else "")
            res = spec.check_file(sub)
            if res.include is not None:
                verdict = res.include
        return bool(verdict)

    def visit(rel_dir: str) -> None:
        full = root / rel_dir if rel_dir else root
        gi = full / ".gitignore"
        pushed = False
        if gi.is_file():
            spec = _spec(_read_ignore_file(gi))
            if spec:
                stack.append((rel_dir + "/" if rel_dir else "", spec))
                pushed = True
        try:
            with os.scandir(full) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as err:
            if skipped is not None and rel_dir:
                why = err.strerror or str(err)
                skipped.append(Skipped(rel_dir + "/", "unreadable", f"directory: {why}"))
            entries = []
        for e in entries:
            rel = f"{rel_dir}/{e.name}" if rel_dir else e.name
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if e.name in pathrules.EXCLUDED_DIRS or ignored(rel, True):
                    continue
                visit(rel)
            elif not ignored(rel, False):
                out.append(rel)
        if pushed:
            stack.pop()

    visit(start.rstrip("/"))
    return out


def list_candidates(root: Path) -> Listing:
    """Paths that git would show (or a .gitignore-aware walk outside git), relative to root."""
    if not root.is_dir():
        raise GatherError(f"{root}: not a directory")
    return list_in(root, gitrepo.open_repo(root))


def list_in(root: Path, repo: gitrepo.Repo | None) -> Listing:
    """``list_candidates`` of ``root`` in ``repo`` (None: outside git), from one walk of the
    tree: git's listing tags the untracked files, so nothing walks it again to find them."""
    skipped: list[Skipped] = []
    if repo is None:
        return Listing(walk_with_gitignore(root, "", skipped), None, skipped)
    listed = gitrepo.list_all(repo)
    files, nested, unlisted = listed.files, listed.nested, listed.unlisted
    untracked = set(listed.untracked)
    skipped.extend(Skipped(d, "unreadable", f"directory: {why}") for d, why in unlisted)
    for sub in sorted(set(nested)):
        if any(part in pathrules.EXCLUDED_DIRS for part in sub.split("/")):
            continue
        sub_root = root / sub
        inner = gitrepo.open_repo(sub_root)
        if inner is not None and inner.toplevel == sub_root.resolve():
            try:
                inner_listed = gitrepo.list_all(inner)
            except GatherError as e:
                skipped.append(Skipped(sub, "unreadable", f"nested repository: {e}"))
                continue
            files.extend(f"{sub}/{f}" for f in inner_listed.files)
            skipped.extend(
                Skipped(f"{sub}/{d}", "unreadable", f"directory: {why}")
                for d, why in inner_listed.unlisted
            )
        else:
            files.extend(walk_with_gitignore(root, sub, skipped))
    return Listing(sorted(set(files)), repo, skipped, untracked)


def name_filter(root: Path, settings: Settings) -> Callable[[str], tuple[str, str] | None]:
    """A function path -> (reason, detail) for paths refused by name, or None."""
    ignore_spec = _spec(_read_ignore_file(root / IGNORE_FILE))
    exclude_spec = _spec(settings.exclude)
    include_spec = _spec(settings.include)

    def check(path: str) -> tuple[str, str] | None:
        ruled = pathrules.refusal(path)
        if ruled:
            return ruled
        if ignore_spec and ignore_spec.match_file(path):
            return "excluded", IGNORE_FILE
        if exclude_spec and exclude_spec.match_file(path):
            return "excluded", "exclude setting"
        if include_spec and not include_spec.match_file(path):
            return "excluded", "not matched by include setting"
        return None

    return check


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


LOOP_DETAIL = "the link leads back to itself (a symlink loop)"


def resolve_link(path: Path) -> Path | None:
    """Where the symlink ``path`` leads (followed to the end, missing targets allowed), or
    None when it never ends: a loop (``a -> b -> a``, ``self -> self``). Python before 3.13
    raises RuntimeError for a loop, later versions OSError(ELOOP)."""
    try:
        return path.resolve()
    except RuntimeError:
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            return None
        raise


@dataclass
class Loaded:
    file: SourceFile | None
    skipped: Skipped | None
    redactions: list[Redaction]


def _stat_checked(
    root: Path, real_root: Path, path: str, max_size: int
) -> tuple[str | Path, os.stat_result] | Loaded:
    """The file to read and its stat, or what refuses it without reading it (a symlink out of
    the workspace or in a loop, not a regular file, over ``max_size``, gone)."""
    full: str | Path = os.path.join(root, path)  # a str: pathlib costs more than the lstat
    try:
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            target = resolve_link(Path(full))
            if target is None:
                return Loaded(None, Skipped(path, "symlink-loop", LOOP_DETAIL), [])
            if not target.is_relative_to(real_root):
                return Loaded(None, Skipped(path, "symlink-outside", "link points outside"), [])
            st = target.stat()
            full = target
    except FileNotFoundError:
        return Loaded(None, None, [])  # deleted in the work tree: nothing to send
    except OSError as e:
        return Loaded(None, Skipped(path, "unreadable", e.strerror or str(e)), [])
    if not stat.S_ISREG(st.st_mode):
        return Loaded(None, Skipped(path, "unreadable", "not a regular file"), [])
    if st.st_size > max_size:
        return Loaded(None, Skipped(path, "too-large", f"{st.st_size} bytes"), [])
    return full, st


def list_file(root: Path, real_root: Path, path: str, max_size: int) -> Loaded:
    """What a lazy gather knows of one file without reading it: its size, kind and mtime (a
    ``SourceFile`` with ``loaded=False``), or why it is refused by its stat alone."""
    checked = _stat_checked(root, real_root, path, max_size)
    if isinstance(checked, Loaded):
        return checked
    st = checked[1]
    listed = SourceFile(
        path=path,
        text="",
        sha="",
        size=st.st_size,
        kind=pathrules.kind_of(path),
        last_change=int(st.st_mtime),
        loaded=False,
    )
    return Loaded(listed, None, [])


def load_file(
    root: Path,
    real_root: Path,
    path: str,
    max_size: int,
    index: ScanIndex | None = None,
) -> Loaded:
    """Read, check, decode and redact one file. Never raises for a per-file problem, except a
    secret-scan failure, which must stop the whole gather (fail closed).

    ``index`` remembers contents the scan already found clean (``core.gather.scanindex``)."""
    checked = _stat_checked(root, real_root, path, max_size)
    if isinstance(checked, Loaded):
        return checked
    full, st = checked
    try:
        with open(full, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return Loaded(None, None, [])  # deleted since its stat
    except OSError as e:
        return Loaded(None, Skipped(path, "unreadable", e.strerror or str(e)), [])
    try:
        text, encoding = decode(data)
    except Undecodable as e:
        return Loaded(None, Skipped(path, "binary", str(e)), [])
    key = stat_key(path, st) if index is not None else None
    known = index.by_stat.get(key) if index is not None and key is not None else None
    hits: list[secrets.RedactionHit]
    if index is not None and known is not None and known in index.clean:
        content_digest = known  # unchanged since it was found clean: no hashing, no scan
        sent, hits = text, []
    else:
        content_digest = hashlib.sha256(data).digest()[:16]
        if index is not None and content_digest in index.clean:
            sent, hits = text, []
        else:
            sent, hits = secrets.redact_closed(text, path)
        if not hits and index is not None:
            index.record(content_digest, key if trustworthy(st) else None)
    reds = [Redaction(path, h.line, h.rule) for h in hits]
    sha = content_digest.hex()[:16] if encoding == "utf-8" and not hits else digest(sent)
    return Loaded(
        SourceFile(
            path=path,
            text=sent,
            sha=sha,
            size=len(data),
            encoding=encoding,
            kind=pathrules.kind_of(path),
            last_change=int(st.st_mtime),  # replaced by the commit time in git
            redactions=len(reds),
        ),
        None,
        reds,
    )


def gather(
    root: Path,
    settings: Settings,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    index: ScanIndex | None = None,
    lazy: bool = False,
) -> Snapshot:
    """The snapshot of ``root`` a workspace review would send. ``index``: contents already
    found clean (the caller loads and saves it; new clean contents are recorded in it).

    ``lazy``: list every file with its stat only (``loaded=False``: no read, no hash, no
    secret scan) and leave reading to ``load``, for the files the budget chooses. A large
    repository's files mostly do not fit the window: they need a path and a size, not a
    scan."""
    root = root.resolve()
    if not root.is_dir():
        raise GatherError(f"{root}: not a directory")
    repo = gitrepo.open_repo(root)
    if repo is None:
        return _gather(root, None, None, settings, progress, workers, index, lazy)
    # git reads the history and compares the work tree with HEAD on the other core while
    # this process lists and reads files
    pending = (gitrepo.PendingTimes(repo), gitrepo.PendingChanged(repo))
    try:
        return _gather(root, repo, pending, settings, progress, workers, index, lazy)
    finally:
        for p in pending:
            p.cancel()


def _gather(
    root: Path,
    repo: gitrepo.Repo | None,
    pending: tuple[gitrepo.PendingTimes, gitrepo.PendingChanged] | None,
    settings: Settings,
    progress: Progress | None,
    workers: int | None,
    index: ScanIndex | None,
    lazy: bool = False,
) -> Snapshot:
    listing = list_in(root, repo)
    check = name_filter(root, settings)
    skipped = list(listing.skipped)
    wanted: list[str] = []
    for p in listing.paths:
        refused = check(p)
        if refused:
            skipped.append(Skipped(p, refused[0], refused[1]))  # type: ignore[arg-type]
        else:
            wanted.append(p)
    if progress:
        progress(f"{'listing' if lazy else 'reading'} {len(wanted)} files")

    files: list[SourceFile] = []
    redactions: list[Redaction] = []
    # One thread by default: decoding and scanning hold the GIL, so threads only add
    # contention (measured in bench/bench_gather.py); ``workers`` > 1 can still help on a
    # slow network filesystem.
    n_workers = workers or 1
    chunk = 256
    batches = [wanted[i : i + chunk] for i in range(0, len(wanted), chunk)]

    def load_batch(paths: list[str]) -> list[Loaded]:
        if lazy:
            return [list_file(root, root, p, settings.maxFileSize) for p in paths]
        return [load_file(root, root, p, settings.maxFileSize, index) for p in paths]

    done = 0
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        results_iter = pool.map(load_batch, batches) if n_workers > 1 else map(load_batch, batches)
        for results in results_iter:
            for loaded in results:
                if loaded.file:
                    files.append(loaded.file)
                if loaded.skipped:
                    skipped.append(loaded.skipped)
                redactions.extend(loaded.redactions)
            done += len(results)
            if progress and not lazy and len(batches) > 8 and done % (chunk * 8) == 0:
                progress(f"read {done}/{len(wanted)} files")

    head = None
    if listing.repo is not None and pending is not None:
        head = gitrepo.head(listing.repo)
        changed = pending[1].result()
        dirty = listing.untracked | changed if changed is not None and head else None
        when = pending[0].result()
        oldest = min(when.values(), default=1)
        files = [
            _with_time(
                f,
                when.get(f.path, max(oldest - 1, 1)),
                dirty is None or f.path in dirty,
            )
            for f in files
        ]
    files.sort(key=lambda f: f.path)
    skipped.sort(key=lambda s: s.path)
    redactions.sort(key=lambda r: (r.path, r.line))
    return Snapshot(
        root=str(root),
        files=files,
        skipped=skipped,
        redactions=redactions,
        is_git=listing.repo is not None,
        head=head,
    )


def _with_time(f: SourceFile, t: int, dirty: bool) -> SourceFile:
    return msgspec.structs.replace(f, last_change=t, dirty=dirty)


def load(
    snapshot: Snapshot,
    paths: Iterable[str],
    max_size: int,
    index: ScanIndex | None = None,
    progress: Progress | None = None,
) -> list[str]:
    """Read, decode and secret-scan the listed-only files ``paths`` of a lazy ``snapshot``, in
    place: each becomes a loaded ``SourceFile`` (keeping its history and dirty flag), or moves
    to ``skipped`` (binary, grown too large, unreadable), or goes (deleted since the listing).
    Its redactions join the snapshot's. Returns the paths that are loaded now. A secret-scan
    failure raises (fail closed): nothing unscanned is ever marked loaded."""
    want = set(paths)
    root = Path(snapshot.root)
    todo = [f for f in snapshot.files if f.path in want and not f.loaded]
    if not todo:
        return []
    if progress and len(todo) > 256:
        progress(f"reading {len(todo)} files")
    done: dict[str, SourceFile | None] = {}
    for f in todo:
        got = load_file(root, root, f.path, max_size, index)
        if got.file is not None:
            done[f.path] = msgspec.structs.replace(
                got.file, last_change=f.last_change, dirty=f.dirty
            )
        else:
            done[f.path] = None
        if got.skipped is not None:
            snapshot.skipped.append(got.skipped)
        snapshot.redactions.extend(got.redactions)
    kept: list[SourceFile] = []
    for f in snapshot.files:
        new = done.get(f.path, f)
        if new is not None:
            kept.append(new)
    snapshot.files[:] = kept
    snapshot.skipped.sort(key=lambda s: s.path)
    snapshot.redactions.sort(key=lambda r: (r.path, r.line))
    return [p for p, f in done.items() if f is not None]


def read_text(root: Path, path: str, max_size: int) -> tuple[str, str] | Skipped | None:
    """``(text, sha)`` of a file read and decoded but NOT secret-scanned, for what is derived
    from it locally (an outline, whose parts the caller scans before any is sent); ``sha`` as
    a loaded file's would be without redactions. A ``Skipped`` when it cannot be sent at all,
    None when it is gone."""
    checked = _stat_checked(root, root, path, max_size)
    if isinstance(checked, Loaded):
        return checked.skipped
    try:
        with open(checked[0], "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        return Skipped(path, "unreadable", e.strerror or str(e))
    try:
        text, encoding = decode(data)
    except Undecodable as e:
        return Skipped(path, "binary", str(e))
    sha = hashlib.sha256(data).hexdigest()[:16] if encoding == "utf-8" else digest(text)
    return text, sha


def unloaded(files: Iterable[SourceFile]) -> list[str]:
    """The paths of ``files`` that are listed only (not read or scanned yet)."""
    return [f.path for f in files if not f.loaded]
