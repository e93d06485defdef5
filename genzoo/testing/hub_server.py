"""A loopback fake Hugging Face Hub for tests (stdlib only on the server side).

:class:`FakeHub` runs a :class:`http.server.ThreadingHTTPServer` on ``127.0.0.1`` (free port) and
speaks enough of the Hub's HTTP protocol for the *real* ``huggingface_hub`` client to download,
list, create repos and push. Mocking the wire instead of the library keeps the tests valid across
client versions (0.x used ``requests``, 1.x ``httpx``, 2.x ``httpx2``). Verified against
``huggingface_hub`` 2.4.0 (see ``tests/hub/test_fake_hub.py``); the contract follows the
reference notes (``hub-reliability-ecosystem.md`` §A4), checked on 0.30–2.4 there.

Endpoints (model repos; ``datasets``/``spaces`` use the ``/api/datasets/`` and ``/datasets/``
prefixes and work the same way):

* ``HEAD|GET /{repo}/resolve/{rev}/{path}``: bytes served directly (no redirect), with
  ``X-Repo-Commit``, ``ETag`` (git blob sha1 for regular files; sha256 for LFS files, repeated in
  ``X-Linked-Etag`` with ``X-Linked-Size``), ``Content-Length``, ``Accept-Ranges`` and ``Range``
  support (``206`` + ``Content-Range``) so the client can resume.
* ``GET /api/models/{repo}[/revision/{rev}]``, ``/tree/{rev}[/{path}]``, ``/refs``,
  ``/commits/{rev}``, ``POST /paths-info/{rev}``: JSON as the Hub answers (``siblings``,
  tree entries with ``oid`` and ``lfs: {oid, size, pointerSize}``; never ``xetHash``).
* ``POST /api/repos/create`` (409 + ``url`` when it exists; the new repo gets an initial
  ``.gitattributes`` commit on ``main`` as the real Hub does), ``POST /api/repos/delete``,
  ``POST /api/validate-yaml``, ``GET /api/whoami-v2``.
* ``POST /api/models/{repo}/preupload/{rev}`` (``regular`` or ``lfs`` upload mode plus the remote
  ``oid`` so unchanged files are skipped), ``POST /{repo}.git/info/lfs/objects/batch`` (LFS
  ``basic`` transfer) + ``PUT /_fake_lfs/{oid}``, and ``POST /api/models/{repo}/commit/{rev}``
  with the NDJSON payload (``header``, ``file``, ``lfsFile``, ``deletedFile``, ``deletedFolder``).
  The Xet protocol is *not* implemented: clients must run with ``HF_HUB_DISABLE_XET=1`` (the
  ``fake_hub`` fixture does that), or use ``FakeHub(lfs_upload=False)`` so every file is sent
  inline as a regular file.

Errors carry ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) because
the client keys its exception types on that header, not on the status. Private repos answer 401
``RepoNotFound`` without a bearer token; any token is accepted.

Fault injection (all bounded by ``times``): :meth:`FakeHub.fail_next`,
:meth:`FakeHub.drop_connection_after`, :meth:`FakeHub.delay`, :meth:`FakeHub.corrupt`.

Protocol quirks worth knowing (huggingface_hub 2.4.0):

* the HEAD response must carry ``X-Repo-Commit`` and an etag or the client treats the server as
  "not a Hub"; a ``Content-Length: 0`` on HEAD would fail every download's size check;
* the client verifies sizes, never contents: a same-size corrupted body is cached as-is;
* a body cut mid-way is retried *inside* the call with ``Range: bytes=N-`` after a 1 s sleep; a
  failure that is not a protocol error (e.g. a 5xx answer to that resume) aborts the call and
  deletes the ``<etag>.<uuid>.incomplete`` temp file;
* ``create_repo(exist_ok=True)`` reads ``url`` from the 409 body.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import hashlib
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = ["FakeHub", "LoggedRequest", "git_blob_sha1", "lfs_pointer"]

logger = logging.getLogger(__name__)

#: Patterns the Hub's default ``.gitattributes`` stores in LFS (abridged).
LFS_PATTERNS: tuple[str, ...] = (
    "*.7z",
    "*.arrow",
    "*.bin",
    "*.bz2",
    "*.ckpt",
    "*.ftz",
    "*.gz",
    "*.h5",
    "*.joblib",
    "*.mlmodel",
    "*.model",
    "*.msgpack",
    "*.npy",
    "*.npz",
    "*.onnx",
    "*.ot",
    "*.parquet",
    "*.pb",
    "*.pickle",
    "*.pkl",
    "*.pt",
    "*.pth",
    "*.rar",
    "*.safetensors",
    "*.tar",
    "*.tflite",
    "*.tgz",
    "*.wasm",
    "*.xz",
    "*.zip",
    "*.zst",
    "*tfevents*",
)
#: Files at least this big are LFS whatever their name (the Hub's limit for regular files).
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024

_REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_API_KEYWORDS = ("revision", "tree", "preupload", "commit", "commits", "refs", "paths-info")
_EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z: commit dates are deterministic
_DEFAULT_USER = "fake-user"
_SHA_CHARS = frozenset("0123456789abcdef")
_INVERT = bytes(b ^ 0xFF for b in range(256))


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob with this content (what the Hub uses as a regular file's oid)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(data: bytes) -> bytes:
    """The git-lfs pointer file git stores in place of an LFS file."""
    digest = hashlib.sha256(data).hexdigest()
    spec = "https://git-lfs.github.com/spec/v1"
    return f"version {spec}\noid sha256:{digest}\nsize {len(data)}\n".encode()


def _is_full_sha(rev: str) -> bool:
    return len(rev) == 40 and set(rev) <= _SHA_CHARS


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server saw (``path`` is the raw path without the query string)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


@dataclass
class _Blob:
    data: bytes
    lfs: bool
    sha256: str
    git_oid: str  # oid of the git blob (the pointer file for LFS files)

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.git_oid

    @property
    def upload_oid(self) -> str:
        """What the preupload endpoint reports (and the client compares to skip no-op files)."""
        return self.sha256 if self.lfs else git_blob_sha1(self.data)


@dataclass
class _Commit:
    sha: str
    parent: str | None
    files: dict[str, _Blob]
    title: str
    message: str
    date: float


@dataclass
class _Repo:
    repo_id: str
    repo_type: str
    private: bool
    commits: dict[str, _Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    n_prs: int = 0


@dataclass
class _Fault:
    kind: str  # "status" | "drop" | "delay"
    path_glob: str
    method: str | None
    times: int | None  # None: until cleared
    skip: int
    status: int = 503
    error_code: str | None = None
    nbytes: int = 0
    seconds: float = 0.0


class _HubError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = headers or {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    hub: FakeHub


class _Server6(_Server):
    address_family = socket.AF_INET6


class FakeHub:
    """In-memory Hugging Face Hub served on a loopback port.

    Data model: ``{(repo_type, repo_id): repo}`` where a repo holds commits (``sha -> {path:
    bytes}`` snapshots, deterministic 40-hex ids), branches and tags. Use it as a context manager
    or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        lfs_upload: bool = True,
        lfs_threshold: int = LFS_SIZE_THRESHOLD,
        lfs_patterns: tuple[str, ...] = LFS_PATTERNS,
        user: str = _DEFAULT_USER,
    ) -> None:
        """``lfs_upload=False`` makes the preupload endpoint answer ``regular`` for every file.

        Whether a stored file is served as LFS (sha256 etag, ``lfs`` tree entry) only depends on
        ``lfs_patterns`` and ``lfs_threshold``.
        """
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake Hub only binds loopback addresses")
        self.host = host
        self.lfs_upload = lfs_upload
        self.lfs_threshold = lfs_threshold
        self.lfs_patterns = tuple(lfs_patterns)
        self.user = user
        #: ``(method, path)`` of every request, in arrival order (raw, percent-encoded path
        #: without the query string).
        self.requests: list[tuple[str, str]] = []
        #: Same requests with query string and headers.
        self.log: list[LoggedRequest] = []
        self._repos: dict[tuple[str, str], _Repo] = {}
        self._lfs_store: dict[str, bytes] = {}
        self._faults: list[_Fault] = []
        self._corrupt: set[tuple[str, str, str, str | None]] = set()
        self._n_commits = 0
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()

    # ----------------------------------------------------------------------------- lifecycle
    def start(self) -> FakeHub:
        """Bind a free port and serve in a daemon thread; idempotent."""
        if self._server is not None:
            return self
        server_cls = _Server6 if ":" in self.host else _Server
        server = server_cls((self.host, 0), _Handler)
        server.hub = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-hub:{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.debug("fake Hub listening on %s", self.endpoint)
        return self

    def stop(self) -> None:
        """Stop serving and close every open (keep-alive) connection; idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        logger.debug("fake Hub stopped")

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeHub is not started")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """Base URL to use as ``HF_ENDPOINT`` (``http://127.0.0.1:PORT``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # ------------------------------------------------------------------------- repositories
    def add_repo(
        self,
        repo_id: str,
        files: dict[str, bytes] | None = None,
        *,
        branch: str = "main",
        private: bool = False,
        repo_type: str = "model",
    ) -> str:
        """Create (or replace) a repo whose ``branch`` holds exactly ``files``; returns the commit
        id."""
        with self._lock:
            repo = _Repo(repo_id=repo_id, repo_type=repo_type, private=private)
            self._repos[(repo_type, repo_id)] = repo
            return self._commit(
                repo, branch, dict(files or {}), title="Initial commit", parent=None
            )

    def add_commit(
        self,
        repo_id: str,
        files: dict[str, bytes],
        branch: str = "main",
        *,
        delete: tuple[str, ...] = (),
        message: str = "Update files",
        repo_type: str = "model",
    ) -> str:
        """Commit ``files`` (added/overwritten) and ``delete`` on top of ``branch``.

        A new branch starts from the default branch's head. Returns the commit id.
        """
        with self._lock:
            repo = self._get_repo(repo_type, repo_id)
            parent = repo.branches.get(branch) or repo.branches.get("main")
            tree = {p: b.data for p, b in repo.commits[parent].files.items()} if parent else {}
            for path in delete:
                tree.pop(path, None)
            tree.update(files)
            return self._commit(repo, branch, tree, title=message, parent=parent)

    def add_tag(
        self, repo_id: str, tag: str, revision: str = "main", *, repo_type: str = "model"
    ) -> str:
        """Point tag ``tag`` at ``revision``; returns the commit id."""
        with self._lock:
            repo = self._get_repo(repo_type, repo_id)
            sha = self._resolve(repo, revision)
            repo.tags[tag] = sha
            return sha

    def repo_files(
        self, repo_id: str, revision: str = "main", *, repo_type: str = "model"
    ) -> dict[str, bytes]:
        """Files of ``repo_id`` at ``revision`` (branch, tag or commit id)."""
        with self._lock:
            repo = self._get_repo(repo_type, repo_id)
            commit = repo.commits[self._resolve(repo, revision)]
            return {p: b.data for p, b in commit.files.items()}

    def commits(self, repo_id: str, branch: str = "main", *, repo_type: str = "model") -> list[str]:
        """Commit ids reachable from ``branch``, newest first."""
        with self._lock:
            repo = self._get_repo(repo_type, repo_id)
            out: list[str] = []
            sha: str | None = self._resolve(repo, branch)
            while sha is not None:
                out.append(sha)
                sha = repo.commits[sha].parent
            return out

    def has_repo(self, repo_id: str, *, repo_type: str = "model") -> bool:
        with self._lock:
            return (repo_type, repo_id) in self._repos

    # ------------------------------------------------------------------------ fault injection
    def fail_next(
        self,
        status: int = 503,
        times: int | None = 1,
        path_glob: str = "*",
        *,
        method: str | None = None,
        skip: int = 0,
        error_code: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (``None``: until cleared;
        ``0``: cancel every pending status fault).

        ``path_glob`` is an :mod:`fnmatch` pattern on the URL path (e.g. ``"*/resolve/*"``);
        ``skip`` lets that many matching requests through first; ``error_code`` is sent as
        ``X-Error-Code`` (e.g. ``"GatedRepo"``).
        """
        self._add_fault(
            _Fault("status", path_glob, method, times, skip, status=status, error_code=error_code)
        )

    def drop_connection_after(
        self, nbytes: int, path_glob: str = "*", times: int | None = 1, *, skip: int = 0
    ) -> None:
        """On the next ``times`` matching file GETs: send the headers (full ``Content-Length``)
        and ``nbytes`` of the body, then shut the socket down mid-body (``times=0`` cancels
        pending drops). The socket is shut down (FIN), not reset, so the client really receives
        the ``nbytes`` before it sees the cut."""
        self._add_fault(_Fault("drop", path_glob, "GET", times, skip, nbytes=nbytes))

    def delay(
        self,
        seconds: float,
        path_glob: str = "*",
        times: int | None = 1,
        *,
        method: str | None = None,
        skip: int = 0,
    ) -> None:
        """Sleep ``seconds`` before answering the next ``times`` matching requests (``times=0``
        cancels pending delays)."""
        self._add_fault(_Fault("delay", path_glob, method, times, skip, seconds=seconds))

    def corrupt(
        self, repo_id: str, path: str, revision: str | None = None, *, repo_type: str = "model"
    ) -> None:
        """Serve same-size wrong bytes (every byte inverted) for ``path`` on GET, while HEAD and
        the API still advertise the original etag, size and sha256 (tampering/bit rot in
        transit). ``revision=None``: at every revision; otherwise the commit it resolves to."""
        with self._lock:
            sha = None
            if revision is not None:
                sha = self._resolve(self._get_repo(repo_type, repo_id), revision)
            self._corrupt.add((repo_type, repo_id, path, sha))

    def clear_faults(self) -> None:
        """Forget every pending fault and corruption."""
        with self._lock:
            self._faults.clear()
            self._corrupt.clear()

    def count(self, method: str | None = None, path_glob: str = "*") -> int:
        """Number of requests seen matching ``method`` and ``path_glob``."""
        with self._lock:
            return sum(
                1
                for m, p in self.requests
                if (method is None or m == method) and fnmatch.fnmatchcase(p, path_glob)
            )

    # ------------------------------------------------------------------------------ internals
    def _add_fault(self, fault: _Fault) -> None:
        if fault.times is not None and fault.times < 0:
            raise ValueError("times must be >= 0 (or None for 'until cleared')")
        with self._lock:
            if fault.times == 0:  # "fail the next 0 requests": cancel pending faults of this kind
                self._faults = [f for f in self._faults if f.kind != fault.kind]
            else:
                self._faults.append(fault)

    def _take_faults(self, method: str, path: str, is_file_get: bool) -> dict[str, _Fault]:
        taken: dict[str, _Fault] = {}
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in taken:
                    continue
                if fault.method is not None and fault.method != method:
                    continue
                if fault.kind == "drop" and not is_file_get:
                    continue
                if not fnmatch.fnmatchcase(path, fault.path_glob):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                taken[fault.kind] = fault
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
        return taken

    def _is_corrupt(self, repo: _Repo, path: str, sha: str) -> bool:
        key = (repo.repo_type, repo.repo_id, path)
        return (*key, None) in self._corrupt or (*key, sha) in self._corrupt

    def _blob(self, path: str, data: bytes) -> _Blob:
        lfs = len(data) >= self.lfs_threshold or any(
            fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pat) for pat in self.lfs_patterns
        )
        sha256 = hashlib.sha256(data).hexdigest()
        git_oid = git_blob_sha1(lfs_pointer(data) if lfs else data)
        return _Blob(data=data, lfs=lfs, sha256=sha256, git_oid=git_oid)

    def _commit(
        self,
        repo: _Repo,
        branch: str,
        tree: dict[str, bytes],
        *,
        title: str,
        parent: str | None,
        description: str = "",
    ) -> str:
        """Store a commit (caller holds the lock); returns its deterministic id."""
        for path, data in tree.items():
            if not isinstance(data, (bytes, bytearray)):
                raise TypeError(f"content of {path!r} must be bytes, got {type(data).__name__}")
        self._n_commits += 1
        files = {p: self._blob(p, bytes(d)) for p, d in sorted(tree.items())}
        h = hashlib.sha1()
        h.update(f"{repo.repo_type}/{repo.repo_id}\0{parent}\0{title}\0{self._n_commits}".encode())
        for path, blob in files.items():
            h.update(f"\0{path}\0{blob.sha256}".encode())
        sha = h.hexdigest()
        repo.commits[sha] = _Commit(
            sha=sha,
            parent=parent,
            files=files,
            title=title,
            message=description,
            date=_EPOCH + self._n_commits,
        )
        repo.branches[branch] = sha
        logger.debug("commit %s on %s@%s (%d files)", sha[:8], repo.repo_id, branch, len(files))
        return sha

    def _get_repo(self, repo_type: str, repo_id: str) -> _Repo:
        repo = self._repos.get((repo_type, repo_id))
        if repo is None:
            raise KeyError(f"no {repo_type} repo {repo_id!r}")
        return repo

    def _resolve(self, repo: _Repo, revision: str) -> str:
        """Branch, tag, full or abbreviated (>= 7 hex) commit id -> commit id."""
        if revision in repo.branches:
            return repo.branches[revision]
        if revision in repo.tags:
            return repo.tags[revision]
        for prefix in ("refs/heads/", "refs/tags/"):
            if revision.startswith(prefix):
                name = revision[len(prefix) :]
                table = repo.branches if prefix == "refs/heads/" else repo.tags
                if name in table:
                    return table[name]
        if revision in repo.commits:
            return revision
        if 7 <= len(revision) < 40 and set(revision) <= _SHA_CHARS:
            found = [sha for sha in repo.commits if sha.startswith(revision)]
            if len(found) == 1:
                return found[0]
        raise _HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _visible_repo(self, repo_type: str, repo_id: str, token: str | None) -> _Repo:
        repo = self._repos.get((repo_type, repo_id))
        if repo is None or (repo.private and token is None):
            status = 401 if token is None else 404
            raise _HubError(status, "Repository Not Found for url.", "RepoNotFound")
        return repo

    def _repo_url(self, repo: _Repo) -> str:
        return f"{self.endpoint}/{_URL_PREFIX[repo.repo_type]}{repo.repo_id}"


def _parse_repo(segments: list[str], keywords: tuple[str, ...]) -> tuple[str, list[str]]:
    """Split ``[ns, name, keyword, ...]`` (or ``[name, keyword, ...]``) into repo id and rest."""
    for i in (2, 1):
        if len(segments) > i and segments[i] in keywords:
            return "/".join(segments[:i]), segments[i:]
    if len(segments) in (1, 2) and all(segments):
        return "/".join(segments), []
    raise _HubError(404, "Not Found")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # an idle keep-alive connection is closed after this many seconds

    # quiet: route the default stderr access log to logging
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)

    def setup(self) -> None:
        super().setup()
        with self.server.hub._lock:
            self.server.hub._conns.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.hub._lock:
            self.server.hub._conns.discard(self.connection)

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ------------------------------------------------------------------------------ plumbing
    @property
    def hub(self) -> FakeHub:
        return self.server.hub

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer ") and auth[7:].strip():
            return auth[7:].strip()
        return None

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers)

    def _error(self, err: _HubError) -> None:
        headers = {"X-Error-Message": err.message, **err.headers}
        if err.code:
            headers["X-Error-Code"] = err.code
        self._json({"error": err.message}, err.status, headers)

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path, query = split.path, split.query
        hub = self.hub
        with hub._lock:
            hub.requests.append((method, path))
            hub.log.append(LoggedRequest(method, path, query, dict(self.headers.items())))
        body = self._body() if method in ("POST", "PUT") else b""
        is_file_get = method == "GET" and "/resolve/" in path
        faults = hub._take_faults(method, path, is_file_get)
        if "delay" in faults:
            time.sleep(faults["delay"].seconds)
        if "status" in faults:
            f = faults["status"]
            logger.debug("injecting %d on %s %s", f.status, method, path)
            headers = {"X-Error-Code": f.error_code} if f.error_code else {}
            self._json({"error": f"injected {f.status}"}, f.status, headers)
            return
        try:
            self._route(method, path, parse_qs(query), body, faults.get("drop"))
        except _HubError as err:
            self._error(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as err:  # a bug in the fake: report it as a 500 instead of hanging
            logger.exception("fake Hub failed on %s %s", method, path)
            self._error(_HubError(500, f"fake hub error: {err!r}"))

    def _route(
        self, method: str, path: str, qs: dict[str, list[str]], body: bytes, drop: _Fault | None
    ) -> None:
        segs = [unquote(s) for s in path.strip("/").split("/")]
        if segs[:1] == ["api"]:
            self._route_api(method, segs[1:], qs, body)
            return
        if method == "PUT" and segs[:1] == ["_fake_lfs"] and len(segs) == 2:
            self._lfs_put(segs[1], body)
            return
        repo_type = "model"
        if segs and segs[0] in ("datasets", "spaces") and len(segs) > 1:
            repo_type, segs = _REPO_TYPES[segs[0]], segs[1:]
        if method == "POST" and len(segs) >= 5 and segs[-4:] == ["info", "lfs", "objects", "batch"]:
            repo_id = "/".join(segs[:-4])
            self._lfs_batch(repo_type, repo_id.removesuffix(".git"), body)
            return
        for i in (2, 1):
            if len(segs) > i + 2 and segs[i] == "resolve" and method in ("GET", "HEAD"):
                self._resolve_file(
                    repo_type,
                    "/".join(segs[:i]),
                    segs[i + 1],
                    "/".join(segs[i + 2 :]),
                    method,
                    drop,
                )
                return
        raise _HubError(404, "Not Found")

    # ------------------------------------------------------------------------- file serving
    def _resolve_file(
        self,
        repo_type: str,
        repo_id: str,
        revision: str,
        filename: str,
        method: str,
        drop: _Fault | None,
    ) -> None:
        hub = self.hub
        with hub._lock:
            repo = hub._visible_repo(repo_type, repo_id, self._token())
            sha = hub._resolve(repo, revision)
            blob = repo.commits[sha].files.get(filename)
            corrupt = blob is not None and hub._is_corrupt(repo, filename, sha)
        if blob is None:
            raise _HubError(
                404, f"Entry not found: {filename}", "EntryNotFound", {"X-Repo-Commit": sha}
            )
        size = len(blob.data)
        headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{blob.etag}"',
            "Accept-Ranges": "bytes",
            "Content-Disposition": f'inline; filename="{quote(filename.rsplit("/", 1)[-1])}"',
        }
        if blob.lfs:
            headers["X-Linked-Etag"] = f'"{blob.sha256}"'
            headers["X-Linked-Size"] = str(size)
        if method == "HEAD":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            return
        data = blob.data.translate(_INVERT) if corrupt else blob.data
        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        if rng:
            try:
                unit, _, spec = rng.partition("=")
                first, _, last = spec.split(",")[0].strip().partition("-")
                if unit.strip() != "bytes":
                    raise ValueError(rng)
                if first:
                    start, end = int(first), int(last) if last else size - 1
                else:  # suffix range "-N"
                    start, end = max(size - int(last), 0), size - 1
                end = min(end, size - 1)
                if start > end or start >= size:
                    raise ValueError(rng)
            except ValueError:
                self._send(416, b"", {"Content-Range": f"bytes */{size}"})
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        chunk = data[start : end + 1]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(chunk)))
        self.end_headers()
        if drop is not None:
            logger.debug("dropping connection after %d bytes of %s", drop.nbytes, filename)
            self.wfile.write(chunk[: drop.nbytes])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        view = memoryview(chunk)
        for offset in range(0, len(view), 1 << 20):
            self.wfile.write(view[offset : offset + (1 << 20)])

    # -------------------------------------------------------------------------------- the API
    def _route_api(
        self, method: str, segs: list[str], qs: dict[str, list[str]], body: bytes
    ) -> None:
        hub = self.hub
        token = self._token()
        if segs == ["repos", "create"] and method == "POST":
            self._create_repo(json.loads(body or b"{}"), token)
            return
        if segs == ["repos", "delete"] and method in ("POST", "DELETE"):
            payload = json.loads(body or b"{}")
            repo_id = "/".join(filter(None, (payload.get("organization"), payload["name"])))
            key = (payload.get("type") or "model", repo_id)
            with hub._lock:
                if key not in hub._repos:
                    raise _HubError(404, "Repository Not Found", "RepoNotFound")
                del hub._repos[key]
            self._json({})
            return
        if segs == ["validate-yaml"] and method == "POST":
            self._json({"errors": [], "warnings": []})
            return
        if segs == ["whoami-v2"] and method == "GET":
            if token is None:
                raise _HubError(401, "Invalid credentials in Authorization header")
            self._json(
                {
                    "type": "user",
                    "name": hub.user,
                    "fullname": hub.user,
                    "orgs": [],
                    "auth": {
                        "type": "access_token",
                        "accessToken": {"displayName": "fake", "role": "write"},
                    },
                }
            )
            return
        if len(segs) < 2 or segs[0] not in _REPO_TYPES:
            raise _HubError(404, "Not Found")
        repo_type = _REPO_TYPES[segs[0]]
        repo_id, rest = _parse_repo(segs[1:], _API_KEYWORDS)
        with hub._lock:
            repo = hub._visible_repo(repo_type, repo_id, token)
        kw = rest[0] if rest else None
        rev = rest[1] if len(rest) > 1 else "main"
        if method == "GET" and kw is None:
            self._repo_info(repo, "main", qs)
        elif method == "GET" and kw == "revision" and len(rest) >= 2:
            self._repo_info(repo, "/".join(rest[1:]), qs)
        elif method == "GET" and kw == "tree":
            self._tree(repo, rev, "/".join(rest[2:]), qs)
        elif method == "GET" and kw == "refs":
            self._refs(repo)
        elif method == "GET" and kw == "commits":
            self._commits(repo, rev)
        elif method == "POST" and kw == "paths-info":
            self._paths_info(repo, rev, body)
        elif method == "POST" and kw == "preupload":
            self._preupload(repo, rev, body)
        elif method == "POST" and kw == "commit":
            self._commit(repo, rev, qs, body)
        else:
            raise _HubError(404, "Not Found")

    def _create_repo(self, payload: dict[str, Any], token: str | None) -> None:
        hub = self.hub
        if token is None:
            raise _HubError(401, "You must be authenticated to create a repo")
        name = payload["name"]
        repo_id = name if "/" in name else f"{payload.get('organization') or hub.user}/{name}"
        repo_type = payload.get("type") or "model"
        private = bool(payload.get("private")) or payload.get("visibility") == "private"
        with hub._lock:
            existing = hub._repos.get((repo_type, repo_id))
            if existing is not None:
                self._json(
                    {
                        "error": "You already created this model repo",
                        "url": hub._repo_url(existing),
                    },
                    409,
                )
                return
            repo = _Repo(repo_id=repo_id, repo_type=repo_type, private=private)
            hub._repos[(repo_type, repo_id)] = repo
            gitattributes = "".join(
                f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in hub.lfs_patterns
            ).encode()
            hub._commit(
                repo, "main", {".gitattributes": gitattributes}, title="initial commit", parent=None
            )
            url = hub._repo_url(repo)
        self._json({"url": url, "name": repo_id, "id": repo_id})

    def _entry(self, path: str, blob: _Blob) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "type": "file",
            "oid": blob.git_oid,
            "size": len(blob.data),
            "path": path,
        }
        if blob.lfs:
            entry["lfs"] = {
                "oid": blob.sha256,
                "size": len(blob.data),
                "pointerSize": len(lfs_pointer(blob.data)),
            }
        return entry

    def _dir_entry(self, sha: str, path: str) -> dict[str, Any]:
        oid = hashlib.sha1(f"tree\0{sha}\0{path}".encode()).hexdigest()
        return {"type": "directory", "oid": oid, "size": 0, "path": path}

    def _repo_info(self, repo: _Repo, revision: str, qs: dict[str, list[str]]) -> None:
        hub = self.hub
        with hub._lock:
            sha = hub._resolve(repo, revision)
            commit = repo.commits[sha]
            first = min(c.date for c in repo.commits.values())
        with_blobs = qs.get("blobs", ["false"])[0].lower() == "true"
        siblings = []
        for path, blob in commit.files.items():
            sib: dict[str, Any] = {"rfilename": path}
            if with_blobs:
                sib.update(size=len(blob.data), blobId=blob.git_oid)
                if blob.lfs:
                    sib["lfs"] = {
                        "sha256": blob.sha256,
                        "size": len(blob.data),
                        "pointerSize": len(lfs_pointer(blob.data)),
                    }
            siblings.append(sib)
        info: dict[str, Any] = {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0] if "/" in repo.repo_id else hub.user,
            "sha": sha,
            "lastModified": _iso(commit.date),
            "createdAt": _iso(first),
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
            "usedStorage": sum(len(b.data) for b in commit.files.values()),
        }
        if repo.repo_type == "model":
            info["modelId"] = repo.repo_id
        self._json(info)

    def _tree(self, repo: _Repo, revision: str, prefix: str, qs: dict[str, list[str]]) -> None:
        hub = self.hub
        with hub._lock:
            sha = hub._resolve(repo, revision)
            files = repo.commits[sha].files
        recursive = qs.get("recursive", ["false"])[0].lower() == "true"
        prefix = prefix.strip("/")
        base = f"{prefix}/" if prefix else ""
        if prefix and not any(p.startswith(base) for p in files):
            raise _HubError(
                404, f"Entry not found: {prefix}", "EntryNotFound", {"X-Repo-Commit": sha}
            )
        entries: list[dict[str, Any]] = []
        dirs: set[str] = set()
        for path, blob in files.items():
            if not path.startswith(base):
                continue
            rel = path[len(base) :].split("/")
            for depth in range(1, len(rel)):
                if not recursive and depth > 1:
                    break
                dirs.add(base + "/".join(rel[:depth]))
            if recursive or len(rel) == 1:
                entries.append(self._entry(path, blob))
        entries.extend(self._dir_entry(sha, d) for d in sorted(dirs))
        entries.sort(key=lambda e: (e["type"] != "directory", e["path"]))
        self._json(entries)

    def _paths_info(self, repo: _Repo, revision: str, body: bytes) -> None:
        hub = self.hub
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            paths = json.loads(body or b"{}").get("paths", [])
        else:
            paths = parse_qs(body.decode()).get("paths", [])
        with hub._lock:
            sha = hub._resolve(repo, revision)
            files = repo.commits[sha].files
        out: list[dict[str, Any]] = []
        for path in paths:
            path = path.strip("/")
            if path in files:
                out.append(self._entry(path, files[path]))
            elif any(p.startswith(path + "/") for p in files):
                out.append(self._dir_entry(sha, path))
        self._json(out)

    def _refs(self, repo: _Repo) -> None:
        with self.hub._lock:
            branches = [
                {"name": n, "ref": f"refs/heads/{n}", "targetCommit": s}
                for n, s in sorted(repo.branches.items())
                if not n.startswith("refs/")
            ]
            tags = [
                {"name": n, "ref": f"refs/tags/{n}", "targetCommit": s}
                for n, s in sorted(repo.tags.items())
            ]
        self._json({"branches": branches, "converts": [], "tags": tags})

    def _commits(self, repo: _Repo, revision: str) -> None:
        hub = self.hub
        out: list[dict[str, Any]] = []
        with hub._lock:
            sha: str | None = hub._resolve(repo, revision)
            while sha is not None:
                c = repo.commits[sha]
                out.append(
                    {
                        "id": c.sha,
                        "title": c.title,
                        "message": c.message,
                        "authors": [{"user": hub.user}],
                        "date": _iso(c.date),
                    }
                )
                sha = c.parent
        self._json(out)

    # ---------------------------------------------------------------------------- uploading
    def _branch_head(self, repo: _Repo, revision: str) -> str:
        if revision not in repo.branches:
            raise _HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return repo.branches[revision]

    def _preupload(self, repo: _Repo, revision: str, body: bytes) -> None:
        hub = self.hub
        payload = json.loads(body or b"{}")
        with hub._lock:
            head = self._branch_head(repo, revision)
            files = repo.commits[head].files
        out = []
        for item in payload.get("files", []):
            path, size = item["path"], int(item.get("size", 0))
            lfs = size > 0 and (
                size >= hub.lfs_threshold
                or any(fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], p) for p in hub.lfs_patterns)
            )
            mode = "lfs" if (lfs and hub.lfs_upload) else "regular"
            remote = files.get(path)
            oid = None
            if remote is not None:
                oid = remote.sha256 if mode == "lfs" else git_blob_sha1(remote.data)
            out.append({"path": path, "uploadMode": mode, "shouldIgnore": False, "oid": oid})
        self._json({"files": out, "commitOid": head})

    def _lfs_batch(self, repo_type: str, repo_id: str, body: bytes) -> None:
        hub = self.hub
        with hub._lock:
            hub._visible_repo(repo_type, repo_id, self._token())
        payload = json.loads(body or b"{}")
        if payload.get("operation") != "upload":
            raise _HubError(400, "only the upload operation is supported by the fake Hub")
        objects = []
        for obj in payload.get("objects", []):
            oid, size = obj["oid"], int(obj["size"])
            entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            with hub._lock:
                present = oid in hub._lfs_store
            if not present:
                entry["actions"] = {
                    "upload": {
                        "href": f"{hub.endpoint}/_fake_lfs/{oid}",
                        "header": {},
                        "expires_in": 3600,
                    }
                }
            objects.append(entry)
        self._send(
            200,
            json.dumps({"transfer": "basic", "objects": objects, "hash_algo": "sha256"}).encode(),
            content_type="application/vnd.git-lfs+json",
        )

    def _lfs_put(self, oid: str, body: bytes) -> None:
        if hashlib.sha256(body).hexdigest() != oid:
            raise _HubError(400, "LFS upload does not match its sha256 oid")
        with self.hub._lock:
            self.hub._lfs_store[oid] = body
        self._send(200)

    def _commit(self, repo: _Repo, revision: str, qs: dict[str, list[str]], body: bytes) -> None:
        hub = self.hub
        if self._token() is None:
            raise _HubError(401, "You must be authenticated to commit")
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        header = next((x["value"] for x in lines if x.get("key") == "header"), {})
        create_pr = qs.get("create_pr", ["0"])[0] in ("1", "true", "True")
        with hub._lock:
            head = self._branch_head(repo, revision)
            parent_commit = header.get("parentCommit")
            if parent_commit and not head.startswith(parent_commit):
                raise _HubError(412, "A commit has happened since. Please refresh and try again.")
            tree = {p: b.data for p, b in repo.commits[head].files.items()}
            for line in lines:
                key, value = line.get("key"), line.get("value", {})
                if key == "file":
                    if value.get("encoding", "base64") != "base64":
                        raise _HubError(400, "only base64 file content is supported")
                    tree[value["path"]] = base64.b64decode(value["content"])
                elif key == "lfsFile":
                    oid = value["oid"]
                    data = hub._lfs_store.get(oid)
                    if data is None:
                        for commit in repo.commits.values():  # a copy of an existing LFS file
                            found = [b for b in commit.files.values() if b.sha256 == oid]
                            if found:
                                data = found[0].data
                                break
                    if data is None:
                        raise _HubError(422, f"LFS object {oid} was never uploaded")
                    tree[value["path"]] = data
                elif key == "deletedFile":
                    if tree.pop(value["path"], None) is None:
                        raise _HubError(404, f"Entry not found: {value['path']}", "EntryNotFound")
                elif key == "deletedFolder":
                    folder = value["path"].rstrip("/") + "/"
                    for path in [p for p in tree if p.startswith(folder)]:
                        del tree[path]
            branch = revision
            pr_url = None
            if create_pr:
                repo.n_prs += 1
                branch = f"refs/pr/{repo.n_prs}"
                pr_url = f"{hub._repo_url(repo)}/discussions/{repo.n_prs}"
            sha = hub._commit(
                repo,
                branch,
                tree,
                title=header.get("summary", "Commit"),
                parent=head,
                description=header.get("description", ""),
            )
            url = f"{hub._repo_url(repo)}/commit/{sha}"
        self._json(
            {
                "success": True,
                "commitOid": sha,
                "commitUrl": url,
                "commitMessage": header.get("summary", ""),
                "hookOutput": "",
                "pullRequestUrl": pr_url,
            }
        )
