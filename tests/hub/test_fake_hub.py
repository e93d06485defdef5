"""The loopback fake Hub driven by the real ``huggingface_hub`` client (no internet)."""

from __future__ import annotations

import hashlib
import http.client
import multiprocessing as mp
import os
import socket
from pathlib import Path

import pytest

from genzoo.testing.hub_fixtures import fake_hub, hf_no_backoff, set_hf_offline
from genzoo.testing.hub_server import FakeHub, git_blob_sha1

hf = pytest.importorskip("huggingface_hub")
hf_errors = pytest.importorskip("huggingface_hub.errors")

__all__ = ["fake_hub", "hf_no_backoff"]  # fixtures, used by name below

REPO = "genzoo-test/tiny"
WEIGHTS = bytes(range(256)) * 64  # 16 KiB, LFS by name
CONFIG = b'{"latent_dim": 8}\n'
FILES = {"model.safetensors": WEIGHTS, "config.json": CONFIG, "sub/notes.txt": b"hello\n"}


def cache_dir() -> Path:
    return Path(os.environ["HF_HUB_CACHE"])


def repo_cache(repo_id: str = REPO) -> Path:
    return cache_dir() / ("models--" + repo_id.replace("/", "--"))


def gets(hub: FakeHub, name: str = "") -> list[str]:
    return [p for m, p in hub.requests if m == "GET" and "/resolve/" in p and p.endswith(name)]


def test_git_blob_sha1_matches_git() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_download_by_branch_tag_and_commit(fake_hub: FakeHub) -> None:
    commit = fake_hub.add_repo(REPO, FILES)
    assert len(commit) == 40 and fake_hub.repo_files(REPO) == FILES
    fake_hub.add_tag(REPO, "v1")
    newer = fake_hub.add_commit(REPO, {"config.json": b"{}"})
    assert newer != commit and fake_hub.commits(REPO) == [newer, commit]

    path = Path(hf.hf_hub_download(REPO, "model.safetensors"))
    assert path.read_bytes() == WEIGHTS and path.parent.name == newer
    # LFS files are stored under their sha256, regular files under their git blob sha1
    assert path.resolve().name == hashlib.sha256(WEIGHTS).hexdigest()
    old = Path(hf.hf_hub_download(REPO, "config.json", revision=commit))
    assert old.read_bytes() == CONFIG and old.resolve().name == git_blob_sha1(CONFIG)
    assert Path(hf.hf_hub_download(REPO, "config.json", revision="v1")).read_bytes() == CONFIG
    assert Path(hf.hf_hub_download(REPO, "config.json")).read_bytes() == b"{}"
    assert Path(hf.hf_hub_download(REPO, "sub/notes.txt", revision=commit[:8])).exists()
    assert (repo_cache() / "refs" / "main").read_text() == newer

    api = hf.HfApi()
    info = api.model_info(REPO)
    assert info.sha == newer and sorted(s.rfilename for s in info.siblings) == sorted(FILES)
    assert api.model_info(REPO, revision=commit).sha == commit
    assert sorted(api.list_repo_files(REPO)) == sorted(FILES)
    tree = {f.path: f for f in api.list_repo_tree(REPO, recursive=True) if hasattr(f, "lfs")}
    assert tree["model.safetensors"].lfs.sha256 == hashlib.sha256(WEIGHTS).hexdigest()
    assert tree["config.json"].lfs is None and tree["config.json"].blob_id == git_blob_sha1(b"{}")
    assert [r.name for r in api.list_repo_refs(REPO).branches] == ["main"]


def test_cache_hit_makes_no_second_download(fake_hub: FakeHub) -> None:
    commit = fake_hub.add_repo(REPO, FILES)
    hf.hf_hub_download(REPO, "model.safetensors")
    assert len(gets(fake_hub)) == 1
    fake_hub.requests.clear()
    hf.hf_hub_download(REPO, "model.safetensors")  # branch: one HEAD to resolve, no GET
    assert fake_hub.requests == [("HEAD", f"/{REPO}/resolve/main/model.safetensors")]
    fake_hub.requests.clear()
    hf.hf_hub_download(REPO, "model.safetensors", revision=commit)  # pinned commit: nothing
    assert fake_hub.requests == []


def test_offline_mode_serves_the_cache_only(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.add_repo(REPO, FILES)
    cached = hf.hf_hub_download(REPO, "config.json")
    fake_hub.requests.clear()
    set_hf_offline(monkeypatch)
    assert hf.hf_hub_download(REPO, "config.json") == cached
    with pytest.raises(hf_errors.LocalEntryNotFoundError):
        hf.hf_hub_download(REPO, "model.safetensors")
    with pytest.raises(hf_errors.OfflineModeIsEnabled):
        hf.HfApi().model_info(REPO)
    assert fake_hub.requests == []
    set_hf_offline(monkeypatch, False)
    assert Path(hf.hf_hub_download(REPO, "model.safetensors")).read_bytes() == WEIGHTS


@pytest.mark.parametrize(
    ("repo_id", "filename", "revision", "error"),
    [
        ("genzoo-test/missing", "config.json", None, "RepositoryNotFoundError"),
        (REPO, "config.json", "no-such-branch", "RevisionNotFoundError"),
        (REPO, "missing.json", None, "RemoteEntryNotFoundError"),
    ],
)
def test_not_found_maps_to_client_errors(
    fake_hub: FakeHub, repo_id: str, filename: str, revision: str | None, error: str
) -> None:
    fake_hub.add_repo(REPO, FILES)
    with pytest.raises(getattr(hf_errors, error)) as info:
        hf.hf_hub_download(repo_id, filename, revision=revision)
    assert not isinstance(info.value, hf_errors.LocalEntryNotFoundError)
    assert isinstance(info.value, hf_errors.HfHubHTTPError)
    if error == "RemoteEntryNotFoundError":
        assert isinstance(info.value, hf_errors.EntryNotFoundError)
        # the 404 carried X-Repo-Commit, so the client caches the miss in .no_exist
        assert list((repo_cache() / ".no_exist").rglob("missing.json"))
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        hf.HfApi().model_info("genzoo-test/missing")


def test_private_repo_needs_a_token(fake_hub: FakeHub) -> None:
    fake_hub.add_repo(REPO, FILES, private=True)
    assert Path(hf.hf_hub_download(REPO, "config.json")).read_bytes() == CONFIG  # HF_TOKEN set
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        hf.hf_hub_download(REPO, "model.safetensors", token=False)
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        hf.HfApi().model_info(REPO, token=False)
    assert hf.HfApi().model_info(REPO).private is True


def test_503_falls_back_to_the_cache_or_fails(
    fake_hub: FakeHub, hf_no_backoff: list[float]
) -> None:
    fake_hub.add_repo(REPO, FILES)
    cached = hf.hf_hub_download(REPO, "config.json")
    fake_hub.fail_next(503, times=None, path_glob="*/resolve/*")
    fake_hub.requests.clear()
    assert hf.hf_hub_download(REPO, "config.json") == cached
    assert len(fake_hub.requests) == 1 and hf_no_backoff == []  # cached: no retry
    fake_hub.requests.clear()
    with pytest.raises(hf_errors.LocalEntryNotFoundError):
        hf.hf_hub_download(REPO, "model.safetensors")
    # not cached: the HEAD is retried with exponential backoff (2.4: 1, 2, 4, 8, 8 s, then one
    # last HEAD), the body is never fetched
    assert len(hf_no_backoff) >= 1 and hf_no_backoff == sorted(hf_no_backoff)
    assert len(hf_no_backoff) < len(fake_hub.requests) <= 12
    assert {m for m, _ in fake_hub.requests} == {"HEAD"}
    fake_hub.clear_faults()
    assert Path(hf.hf_hub_download(REPO, "model.safetensors")).read_bytes() == WEIGHTS


def range_headers(hub: FakeHub, name: str) -> list[str | None]:
    return [
        {k.lower(): v for k, v in r.headers.items()}.get("range")
        for r in hub.log
        if r.method == "GET" and r.path.endswith(name)
    ]


def test_dropped_connection_is_retried_in_call(
    fake_hub: FakeHub, hf_no_backoff: list[float]
) -> None:
    # The client buffers the body in DOWNLOAD_CHUNK_SIZE (10 MiB) pieces: bytes of an
    # unfinished piece are lost, so a cut inside the first piece restarts from 0 ...
    chunk = getattr(hf.constants, "DOWNLOAD_CHUNK_SIZE", 10 * 1024 * 1024)
    big = os.urandom(chunk + 4096)
    fake_hub.add_repo(REPO, {**FILES, "big.safetensors": big})
    fake_hub.drop_connection_after(1000, "*/model.safetensors")
    assert Path(hf.hf_hub_download(REPO, "model.safetensors")).read_bytes() == WEIGHTS
    assert range_headers(fake_hub, "model.safetensors") == [None, None]
    # ... and a cut after a whole piece resumes with a Range request.
    fake_hub.drop_connection_after(chunk + 100, "*/big.safetensors")
    assert Path(hf.hf_hub_download(REPO, "big.safetensors")).read_bytes() == big
    assert range_headers(fake_hub, "big.safetensors") == [None, f"bytes={chunk}-"]
    assert hf_no_backoff == [1.0, 1.0]  # one 1 s pause before each retry


def test_failed_download_leaves_no_complete_file(
    fake_hub: FakeHub, hf_no_backoff: list[float]
) -> None:
    fake_hub.add_repo(REPO, FILES)
    fake_hub.drop_connection_after(1000, "*/model.safetensors")
    fake_hub.fail_next(503, path_glob="*/model.safetensors", method="GET", skip=1)  # the resume
    with pytest.raises(hf_errors.HfHubHTTPError):
        hf.hf_hub_download(REPO, "model.safetensors")
    blobs = list((repo_cache() / "blobs").iterdir()) if (repo_cache() / "blobs").exists() else []
    assert [b for b in blobs if not b.name.endswith(".incomplete")] == []
    assert not list(repo_cache().rglob("snapshots/*/model.safetensors"))
    # retrying starts over and completes
    assert Path(hf.hf_hub_download(REPO, "model.safetensors")).read_bytes() == WEIGHTS
    assert len(gets(fake_hub, "model.safetensors")) == 3


def test_same_size_corruption_is_not_detected_by_the_client(fake_hub: FakeHub) -> None:
    fake_hub.add_repo(REPO, FILES)
    fake_hub.corrupt(REPO, "model.safetensors")
    path = Path(hf.hf_hub_download(REPO, "model.safetensors"))
    data = path.read_bytes()
    assert len(data) == len(WEIGHTS) and data != WEIGHTS
    # the cache names the blob after the advertised sha256, which the content no longer has
    assert path.resolve().name == hashlib.sha256(WEIGHTS).hexdigest()
    assert hashlib.sha256(data).hexdigest() != path.resolve().name


def test_push_then_pull_round_trip(fake_hub: FakeHub, tmp_path: Path) -> None:
    api = hf.HfApi()
    url = api.create_repo("genzoo-test/pushed", private=True)
    assert str(url).startswith(fake_hub.endpoint)
    assert api.create_repo("genzoo-test/pushed", exist_ok=True) == url
    with pytest.raises(hf_errors.HfHubHTTPError):
        api.create_repo("genzoo-test/pushed")
    folder = tmp_path / "entry"
    (folder / "sub").mkdir(parents=True)
    files = {
        "model.safetensors": os.urandom(4096),
        "README.md": b"---\nlicense: mit\n---\n# x\n",
        "genzoo.yaml": b"name: x\n",
        "sub/extra.json": b"{}",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    info = api.upload_folder(repo_id="genzoo-test/pushed", folder_path=folder)
    remote = fake_hub.repo_files("genzoo-test/pushed")
    assert {k: v for k, v in remote.items() if k != ".gitattributes"} == files
    assert any(m == "PUT" for m, _ in fake_hub.requests)  # the weights went through LFS
    snap = Path(hf.snapshot_download("genzoo-test/pushed"))
    assert snap.name == info.oid
    for name, data in files.items():
        assert (snap / name).read_bytes() == data
    result = api.verify_repo_checksums("genzoo-test/pushed", local_dir=snap)
    assert not result.mismatches and not result.missing_paths
    # unchanged files are skipped client-side: no new commit
    assert api.upload_folder(repo_id="genzoo-test/pushed", folder_path=folder).oid == info.oid
    second = api.upload_file(
        path_or_fileobj=b"v2",
        path_in_repo="genzoo.yaml",
        repo_id="genzoo-test/pushed",
        commit_message="bump",
    )
    assert fake_hub.commits("genzoo-test/pushed")[:2] == [second.oid, info.oid]
    assert fake_hub.repo_files("genzoo-test/pushed")["genzoo.yaml"] == b"v2"


def test_push_without_lfs_sends_everything_inline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genzoo.testing.hub_fixtures import configure_hf_client

    # lfs_upload=False answers "regular" for every file, so even a client with Xet enabled
    # (2.4's pipelined upload_folder) never needs the Xet/LFS protocols.
    with FakeHub(lfs_upload=False) as hub:
        configure_hf_client(monkeypatch, hub.endpoint, tmp_path / "home", disable_xet=False)
        api = hf.HfApi()
        api.create_repo("genzoo-test/inline")
        (tmp_path / "entry").mkdir()
        (tmp_path / "entry" / "model.safetensors").write_bytes(WEIGHTS)
        api.upload_folder(repo_id="genzoo-test/inline", folder_path=tmp_path / "entry")
        api.upload_file(
            path_or_fileobj=CONFIG, path_in_repo="config.json", repo_id="genzoo-test/inline"
        )
        files = hub.repo_files("genzoo-test/inline")
        assert files["model.safetensors"] == WEIGHTS and files["config.json"] == CONFIG
        assert not any(m == "PUT" or "lfs" in p or "xet" in p for m, p in hub.requests)


def _concurrent_download(barrier, queue) -> None:  # runs in a spawned child
    import huggingface_hub

    barrier.wait(timeout=20)
    path = huggingface_hub.hf_hub_download(REPO, "model.safetensors")
    queue.put(hashlib.sha256(Path(path).read_bytes()).hexdigest())


def test_two_processes_download_the_same_file(fake_hub: FakeHub) -> None:
    fake_hub.add_repo(REPO, FILES)
    fake_hub.delay(0.5, "*/model.safetensors", method="GET")  # hold the file lock a while
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_concurrent_download, args=(barrier, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    try:
        digests = [queue.get(timeout=30) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in procs] == [0, 0]
    assert digests == [hashlib.sha256(WEIGHTS).hexdigest()] * 2
    assert len(gets(fake_hub, "model.safetensors")) == 1  # the second waited on the file lock


def test_faults_are_bounded_and_the_server_stops(tmp_path: Path) -> None:
    hub = FakeHub().start()
    hub.add_repo(REPO, FILES)
    hub.fail_next(500, times=2, path_glob="/api/*")

    def status(path: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=5)
        try:
            conn.request("GET", path)
            return conn.getresponse().status
        finally:
            conn.close()

    assert [status(f"/api/models/{REPO}") for _ in range(3)] == [500, 500, 200]
    hub.fail_next(503, times=None)
    assert status(f"/api/models/{REPO}") == 503
    hub.fail_next(503, times=0)  # cancels
    assert status(f"/api/models/{REPO}") == 200
    assert status(f"/{REPO}/resolve/main/config.json") == 200
    assert hub.count("GET", "/api/*") == 5
    # a kept-alive connection does not keep the server up
    idle = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=5)
    idle.request("HEAD", f"/{REPO}/resolve/main/config.json")
    assert idle.getresponse().getheader("X-Repo-Commit") == hub.commits(REPO)[0]
    port = hub.port
    hub.stop()
    hub.stop()  # idempotent
    idle.close()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    with pytest.raises(ValueError):
        FakeHub(host="0.0.0.0")


def test_client_configuration_is_undone(tmp_path: Path) -> None:
    from genzoo.testing.hub_fixtures import configure_hf_client

    constants = hf.constants
    before = (
        constants.ENDPOINT,
        constants.HF_HUB_CACHE,
        constants.HF_HUB_OFFLINE,
        hf.hf_api.api.endpoint,
        os.environ.get("HF_ENDPOINT"),
    )
    with pytest.MonkeyPatch.context() as mp_, FakeHub() as hub:
        configure_hf_client(mp_, hub.endpoint, tmp_path)
        assert constants.ENDPOINT == hub.endpoint == hf.hf_api.api.endpoint
        assert Path(constants.HF_HUB_CACHE) == tmp_path / "hub"
        assert os.environ["HF_ENDPOINT"] == hub.endpoint
    assert (
        constants.ENDPOINT,
        constants.HF_HUB_CACHE,
        constants.HF_HUB_OFFLINE,
        hf.hf_api.api.endpoint,
        os.environ.get("HF_ENDPOINT"),
    ) == before
