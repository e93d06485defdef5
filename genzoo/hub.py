"""The Hugging Face Hub: pull, push and verify zoo entries.

All network traffic goes through ``huggingface_hub`` (no hand-written HTTP). genzoo adds what
the client does not do: the sha256 pin of every file is checked by genzoo itself (the client
checks sizes only), foreign checkpoints are converted by converter plugins that never execute
code, licences are shown and accepted before any download, and an entry is installed into the
local store atomically: a failed or interrupted pull leaves the previous complete entry (or
nothing), never a half entry that later loads.

Store layout: ``<store>/<name>/`` holds ``genzoo.yaml``, ``README.md``, ``model.safetensors``
and ``pulled.json`` (repo, file, revision, commit, source sha256, weights sha256).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genzoo.errors import (
    GenzooError,
    HubError,
    LicenseNotAcceptedError,
    OfflineError,
    WeightsError,
)
from genzoo.weights import atomic_write, sha256_file

if TYPE_CHECKING:
    from genzoo.spec.model import ModelSpec, WeightSource
    from genzoo.zoo import Entry, Zoo

log = logging.getLogger(__name__)

PULLED = "pulled.json"
#: ``on_progress(done_bytes, total_bytes)`` of :func:`pull` (total None when unknown).
ProgressHook = Callable[[int, int | None], None]
FORBIDDEN_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".bin", ".ckpt", ".npy")


@dataclass(frozen=True)
class PullResult:
    """What a pull did."""

    name: str
    folder: Path
    downloaded: bool
    commit: str | None


def _remote_source(entry: Entry) -> WeightSource:
    assert entry.spec is not None
    for src in entry.spec.weights:
        if src.is_remote:
            return src
    raise HubError(f"entry {entry.name!r} has no Hub weight source (its weights are local)")


def _check_converter(zoo: Zoo, name: str, src: WeightSource) -> None:
    """Refuse, before any download, a Hub source whose converter may not read downloads."""
    if src.converter is None:
        return
    conv = zoo.registries.converters.get(src.converter)
    if not conv.remote_ok:
        raise WeightsError(
            f"{name}: converter {src.converter!r} may not read files from the Hub (it loads "
            f"{'/'.join(conv.suffixes) or 'checkpoint'} files, which can carry code); download "
            f"{src.repo}/{src.file} yourself and run 'genzoo convert --from {src.converter}'"
        )


def _installed_info(folder: Path | None) -> dict[str, Any] | None:
    if folder is None or not (folder / PULLED).is_file():
        return None
    try:
        return json.loads((folder / PULLED).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def is_up_to_date(entry: Entry, revision: str | None = None) -> bool:
    """True when the store holds this entry pulled from the pinned file and it is intact."""
    info = _installed_info(entry.installed)
    if info is None or entry.installed is None:
        return False
    src = _remote_source(entry)
    want_rev = revision or src.revision
    return (
        info.get("sha256") == src.sha256
        and info.get("repo") == src.repo
        and info.get("file") == src.file
        and want_rev in (info.get("revision"), info.get("commit"))
        and (entry.installed / "model.safetensors").is_file()
    )


def check_license(
    spec: ModelSpec,
    accept: bool,
    *,
    interactive: bool | None = None,
    ask: Callable[[str], bool] | None = None,
) -> None:
    """Refuse restricted licences unless accepted (flag, or a prompt on a terminal)."""
    if not spec.license_restricted or accept:
        return
    text = (
        f"{spec.name} is distributed under '{spec.license}', a restricted licence "
        "(e.g. non-commercial use only)."
    )
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    if interactive and ask is not None and ask(text + " Accept it?"):
        return
    raise LicenseNotAcceptedError(
        f"{text} Read it and pass --accept-license to download the weights."
    )


def _map_hub_error(exc: Exception, what: str, offline: bool) -> GenzooError:
    from huggingface_hub import errors as e

    # LocalEntryNotFoundError subclasses EntryNotFoundError: test it first
    if isinstance(exc, e.LocalEntryNotFoundError):
        if offline:
            return OfflineError(f"{what}: offline mode is on and the file is not in the cache")
        return HubError(f"{what}: the Hub cannot be reached and the file is not in the cache")
    if isinstance(exc, e.RepositoryNotFoundError):
        return HubError(f"{what}: repository not found on the Hub (or it is private)")
    if isinstance(exc, e.RevisionNotFoundError):
        return HubError(f"{what}: revision not found on the Hub")
    if isinstance(exc, (e.EntryNotFoundError, e.RemoteEntryNotFoundError)):
        return HubError(f"{what}: file not found in the repository")
    if isinstance(exc, e.HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        return HubError(f"{what}: the Hub answered HTTP {status or '?'}; try again later")
    return HubError(f"{what}: download failed: {type(exc).__name__}: {exc}")


def download(
    src: WeightSource,
    *,
    cache_dir: Path,
    endpoint: str | None = None,
    offline: bool = False,
    revision: str | None = None,
    progress: bool = True,
    force: bool = False,
    on_progress: ProgressHook | None = None,
) -> tuple[Path, str | None]:
    """Download one pinned file into the Hub cache and check its sha256.

    Returns the cached path and the commit id it came from. A cached file whose hash differs
    from the pin (truncated or damaged on disk) is evicted and downloaded once more; a download
    whose hash differs is removed from the cache and refused. ``on_progress``: see :func:`pull`.
    """
    path, commit = _download_once(
        src, cache_dir, endpoint, offline, revision, progress, force, on_progress
    )
    digest = sha256_file(path)
    if digest == src.sha256:
        return path, commit
    _evict(path)
    if not offline and not force:  # the cache was bad: fetch a fresh copy
        path, commit = _download_once(
            src, cache_dir, endpoint, offline, revision, progress, True, on_progress
        )
        digest = sha256_file(path)
        if digest == src.sha256:
            return path, commit
        _evict(path)
    rev = revision or src.revision
    raise HubError(
        f"{src.repo}/{src.file}@{rev}: sha256 mismatch (got {digest[:12]}…, pinned "
        f"{(src.sha256 or '')[:12]}…): the download is corrupt or the file was changed; "
        "nothing was installed"
    )


def _download_once(
    src: WeightSource,
    cache_dir: Path,
    endpoint: str | None,
    offline: bool,
    revision: str | None,
    progress: bool,
    force: bool,
    on_progress: ProgressHook | None = None,
) -> tuple[Path, str | None]:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    assert src.repo is not None
    rev = revision or src.revision
    what = f"{src.repo}/{src.file}@{rev}"
    if not progress:
        disable_progress_bars()
    extra = {} if on_progress is None else {"tqdm_class": _hook_bar(on_progress)}
    try:
        path = Path(
            hf_hub_download(
                src.repo,
                src.file,
                revision=rev,
                cache_dir=cache_dir,
                endpoint=endpoint,
                local_files_only=offline,
                force_download=force and not offline,
                library_name="genzoo",
                **extra,
            )
        )
    except GenzooError:
        raise
    except Exception as exc:
        raise _map_hub_error(exc, what, offline) from None
    finally:
        if not progress:
            enable_progress_bars()
    commit = path.parent.name if len(path.parent.name) == 40 else None
    return path, commit


def _hook_bar(on_progress: ProgressHook) -> type:
    """A silent tqdm class for ``hf_hub_download(tqdm_class=...)`` that reports to a callback."""
    from tqdm import tqdm

    class _HookBar(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "disable": True})

        def update(self, n: float | None = 1) -> bool | None:
            self.n += n or 0
            on_progress(int(self.n), None if self.total is None else int(self.total))
            return None

    return _HookBar


def _evict(path: Path) -> None:
    """Remove a bad cached file (the snapshot link and the blob it points to)."""
    try:
        blob = path.resolve()
        path.unlink(missing_ok=True)
        if blob != path:
            blob.unlink(missing_ok=True)
    except OSError as exc:  # pragma: no cover
        log.warning("could not remove corrupt cached file %s: %s", path, exc)


def _lock(store: Path, name: str) -> Any:
    from filelock import FileLock

    locks = store / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    return FileLock(str(locks / f"{name}.lock"), timeout=3600)


def pull(
    zoo: Zoo,
    name: str,
    *,
    revision: str | None = None,
    accept_license: bool = False,
    ask: Callable[[str], bool] | None = None,
    interactive: bool | None = None,
    force: bool = False,
    progress: bool = True,
    on_progress: ProgressHook | None = None,
) -> PullResult:
    """Download, verify, convert and install an entry's weights into the local store.

    ``on_progress(done_bytes, total_bytes_or_None)`` is called as the file downloads (not for a
    cache hit); an exception it raises aborts the pull (nothing is installed) and propagates,
    unchanged when it is a :class:`GenzooError`.
    """
    entry = zoo.entry(name)
    if entry.spec is None:
        raise HubError(f"entry {name!r} is invalid: {entry.error}")
    src = _remote_source(entry)
    _check_converter(zoo, entry.name, src)
    settings = zoo.settings
    store = settings.store_dir
    store.mkdir(parents=True, exist_ok=True)
    with _lock(store, entry.name):
        zoo.entries(refresh=True)  # another process may have installed it meanwhile
        entry = zoo.entry(name)
        if not force and is_up_to_date(entry, revision):
            assert entry.installed is not None
            info = _installed_info(entry.installed) or {}
            return PullResult(entry.name, entry.installed, False, info.get("commit"))
        check_license(entry.spec, accept_license, interactive=interactive, ask=ask)
        path, commit = download(
            src,
            cache_dir=settings.cache_dir / "hub",
            endpoint=settings.hub_endpoint,
            offline=settings.offline,
            revision=revision,
            progress=progress,
            force=force,
            on_progress=on_progress,
        )
        folder = _install(zoo, entry, src, path, commit, revision)
    zoo.entries(refresh=True)
    return PullResult(entry.name, folder, True, commit)


def _converted(zoo: Zoo, entry: Entry, src: WeightSource, path: Path) -> tuple[ModelSpec, dict]:
    """The installed spec and tensors: through the converter, or straight from safetensors."""
    from genzoo.spec.loading import resolve_spec
    from genzoo.weights import read_tensors

    assert entry.spec is not None
    spec = entry.spec
    if src.converter is None:
        return resolve_spec(spec, zoo.registries, str(entry.path)), read_tensors(path)
    _check_converter(zoo, entry.name, src)
    conv = zoo.registries.converters.get(src.converter)
    spec_dict, tensors = conv.function()(path)
    base = spec.model_dump(mode="json", exclude_defaults=True)
    for key in ("family", "data", "latent", "conditions", "arch", "task"):
        if key in spec_dict:
            base[key] = spec_dict[key]
    base["weights"] = [{"file": "model.safetensors"}]
    return zoo.resolve(base), tensors


def _install(
    zoo: Zoo, entry: Entry, src: WeightSource, path: Path, commit: str | None, revision: str | None
) -> Path:
    """Convert, prove the weights load, then swap the complete folder into the store."""
    from genzoo.card import render_card
    from genzoo.spec.loading import dump_spec
    from genzoo.spec.model import WeightSource as WS
    from genzoo.weights import check_tensors, save_tensors

    spec, tensors = _converted(zoo, entry, src, path)
    model = zoo.build(spec)
    check_tensors(model.sampling_state_dict(), tensors, f"{src.repo}/{src.file}")
    store = zoo.settings.store_dir
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=store))
    try:
        weights = tmp / "model.safetensors"
        meta = {
            "format": "genzoo",
            "family": spec.family,
            "spec_hash": spec.spec_hash(),
            "source": f"{src.repo}/{src.file}",
        }
        save_tensors(tensors, weights, meta)
        digest = sha256_file(weights)
        spec = spec.model_copy(update={"weights": [WS(file="model.safetensors", sha256=digest)]})
        with atomic_write(tmp / "genzoo.yaml", "w") as f:
            f.write(dump_spec(spec))
        card = entry.card()
        if not card:
            card = render_card(spec)
        with atomic_write(tmp / "README.md", "w") as f:
            f.write(card)
        info = {
            "repo": src.repo,
            "file": src.file,
            "revision": revision or src.revision,
            "commit": commit,
            "sha256": src.sha256,
            "weights_sha256": digest,
            "converter": src.converter,
            "license": spec.license,
            "pulled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with atomic_write(tmp / PULLED, "w") as f:
            json.dump(info, f, indent=2)
        final = store / entry.name
        old = None
        if final.exists():
            old = store / f".{entry.name}.old.{os.getpid()}"
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove(zoo: Zoo, name: str) -> Path:
    """Delete an entry's installed copy from the local store; returns the folder removed.

    Only pulled copies can be removed (entries shipped in ``zoo_specs/``, by plugins or in the
    user's own folders are never deleted). The folder is first renamed out of the store, so a
    crash leaves the entry either installed or gone, never half-deleted; the Hub cache is kept,
    so pulling again needs no download.
    """
    entry = zoo.entry(name)
    folder = entry.installed
    if folder is None:
        where = "has no weights" if not entry.is_local else f"ships in {entry.path}"
        raise GenzooError(
            f"{entry.name} is not installed in the store ({where}): nothing to remove"
        )
    with _lock(zoo.settings.store_dir, entry.name):
        gone = folder.with_name(f".{folder.name}.removed.{os.getpid()}")
        os.replace(folder, gone)
        shutil.rmtree(gone, ignore_errors=True)
    zoo.entries(refresh=True)
    return folder


def verify(zoo: Zoo, name: str | None = None) -> list[tuple[str, bool, str]]:
    """Re-hash local weights against their pins: ``(name, ok, message)`` per entry checked."""
    out = []
    entries = [zoo.entry(name)] if name else zoo.entries()
    for e in entries:
        if e.spec is None:
            if name:
                out.append((e.name, False, f"invalid entry: {e.error}"))
            continue
        w = e.weights_file()
        if w is None:
            if name:
                out.append((e.name, False, "no local weights"))
            continue
        folder_spec = zoo.find(w.parent).spec if (w.parent / "genzoo.yaml").is_file() else e.spec
        pins = [s.sha256 for s in (folder_spec or e.spec).weights if s.file == w.name and s.sha256]
        if not pins:
            out.append((e.name, True, f"{w}: no sha256 pin to check"))
            continue
        digest = sha256_file(w)
        if digest == pins[0]:
            out.append((e.name, True, f"{w}: sha256 ok"))
        else:
            out.append(
                (e.name, False, f"{w}: sha256 {digest[:12]}… differs from pin {pins[0][:12]}…")
            )
    return out


def push(
    zoo: Zoo,
    name_or_dir: str | Path,
    repo: str,
    *,
    private: bool = False,
    token: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Upload an entry folder to a Hub repo (created if needed); returns the commit URL or id.

    The uploaded ``README.md`` is the folder's card with its front matter completed from the
    spec (``library_name: genzoo``, licence, tags, pipeline tag, datasets, the metrics' command:
    :func:`genzoo.card.complete_card`); the author's keys and text are kept as they are. A folder
    without a card gets one rendered from the spec. The folder itself is not changed.
    """
    from huggingface_hub import HfApi

    from genzoo.card import complete_card, render_card

    entry = zoo.find(name_or_dir)
    folder = entry.folder
    if entry.spec is None:
        raise HubError(f"{folder}: invalid entry: {entry.error}")
    weights = entry.weights_file()
    if weights is None:
        raise WeightsError(f"entry {entry.name!r} has no local weights to push")
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    bad = [p.name for p in files if p.suffix.lower() in FORBIDDEN_SUFFIXES]
    if bad:
        raise HubError(f"{folder}: refusing to push pickle-like files: {', '.join(sorted(bad))}")
    readme = folder / "README.md"
    if readme.is_file():
        try:
            text = readme.read_bytes().decode("utf-8")  # bytes: line endings stay as they are
        except UnicodeDecodeError:
            raise GenzooError(f"{readme}: the card is not UTF-8 text; nothing was pushed") from None
        card = complete_card(text, entry.spec, where=str(readme))
    else:
        card = render_card(entry.spec)
    api = HfApi(endpoint=zoo.settings.hub_endpoint, token=token)
    with tempfile.TemporaryDirectory() as staging:
        st = Path(staging)
        for p in files:
            if p.name in ("genzoo.yaml", "README.md", "model.safetensors") or p.suffix in (
                ".png",
                ".json",
                ".safetensors",
            ):
                shutil.copy2(p, st / p.name)
        (st / "README.md").write_bytes(card.encode("utf-8"))
        (st / "config.json").write_text(json.dumps(_config_json(entry.spec), indent=2))
        (st / PULLED).unlink(missing_ok=True)
        try:
            api.create_repo(repo, private=private, exist_ok=True)
            info = api.upload_folder(
                repo_id=repo,
                folder_path=st,
                commit_message=commit_message or f"Upload {entry.name} with genzoo",
            )
        except Exception as exc:
            raise _map_hub_error(exc, repo, False) from None
    return str(getattr(info, "oid", None) or info)


def _config_json(spec: ModelSpec) -> dict[str, Any]:
    """A small ``config.json`` (the Hub counts downloads of it) describing the entry."""
    return {
        "library_name": "genzoo",
        "genzoo_family": spec.family,
        "name": spec.name,
        "task": spec.task,
        "data": spec.data.model_dump(mode="json"),
        "latent_dim": spec.latent.dim if spec.latent else None,
    }
