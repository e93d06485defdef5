"""genzoo pull, push and verify against a loopback fake Hub that the real client talks to."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import multiprocessing as mp
from pathlib import Path

import pytest
import torch
import yaml

from genzoo import hub
from genzoo.errors import HubError, LicenseNotAcceptedError, OfflineError, WeightsError
from genzoo.weights import save_model_weights
from tests.toy import toy_plugin
from tests.toy.specs import TOY

REPO = "genzoo-test/toy"


@pytest.fixture(autouse=True)
def _no_backoff(hf_no_backoff):
    """The client's retry sleeps (up to ~23 s on a 503) are made instant."""


def weights_bytes(make_zoo, seed=0) -> bytes:
    zoo = make_zoo(("toy", toy_plugin))
    torch.manual_seed(seed)
    model = zoo.build(TOY)
    buf = io.BytesIO()
    path = Path(zoo.settings.cache_dir) / f"w{seed}.safetensors"
    save_model_weights(model, path)
    buf.write(path.read_bytes())
    return buf.getvalue()


def remote_entry(
    folder: Path, data: bytes, *, revision="main", restricted=False, name="toy-remote"
):
    entry = folder / name
    entry.mkdir(parents=True, exist_ok=True)
    spec = dict(
        TOY,
        name=name,
        license="NVIDIA Source Code License-NC" if restricted else "mit",
        license_restricted=restricted,
        weights=[
            {
                "file": "model.safetensors",
                "repo": REPO,
                "revision": revision,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        ],
    )
    (entry / "genzoo.yaml").write_text(yaml.safe_dump(spec))
    (entry / "README.md").write_text(f"---\nlicense: mit\n---\n# {name}\n")
    return entry


def pushed_entry(zoo_dir: Path, data: bytes, repo: str, name: str = "toy-copy") -> Path:
    """An entry folder, beside ``toy-remote``, whose weights are ``data`` pushed to ``repo``."""
    spec = yaml.safe_load((zoo_dir / "toy-remote" / "genzoo.yaml").read_text())
    spec["name"] = name
    spec["weights"] = [
        {"file": "model.safetensors", "repo": repo, "sha256": hashlib.sha256(data).hexdigest()}
    ]
    (zoo_dir / name).mkdir()
    (zoo_dir / name / "genzoo.yaml").write_text(yaml.safe_dump(spec))
    return zoo_dir / name


@pytest.fixture
def world(fake_hub, make_zoo, tmp_path):
    data = weights_bytes(make_zoo)
    commit = fake_hub.add_repo(REPO, {"model.safetensors": data, "README.md": b"# toy\n"})
    zoo_dir = tmp_path / "zoo"
    remote_entry(zoo_dir, data)

    def zoo(**settings):
        return make_zoo(
            ("toy", toy_plugin), paths=[zoo_dir], hub_endpoint=fake_hub.endpoint, **settings
        )

    return zoo, data, commit, zoo_dir


def downloads(fake_hub) -> int:
    return sum(1 for method, path in fake_hub.requests if method == "GET" and "/resolve/" in path)


def test_pull_installs_a_complete_entry_and_second_pull_downloads_nothing(world, fake_hub):
    zoo, _, commit, _ = world
    z = zoo()
    res = hub.pull(z, "toy-remote", progress=False)
    assert res.downloaded and res.commit == commit
    folder = z.settings.store_dir / "toy-remote"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "genzoo.yaml",
        "model.safetensors",
        "pulled.json",
    ]
    assert z.entry("toy-remote").is_local
    x = z.load("toy-remote").sample(2, seed=0)
    assert x.shape == (2, 1, 8, 8)
    n = downloads(fake_hub)
    again = hub.pull(z, "toy-remote", progress=False)
    assert not again.downloaded and downloads(fake_hub) == n
    # offline, the installed entry still samples
    off = zoo(offline=True)
    assert off.load("toy-remote").sample(1, seed=0).shape == (1, 1, 8, 8)


def test_pull_by_commit(world, fake_hub):
    zoo, data, commit, zoo_dir = world
    fake_hub.add_commit(REPO, {"model.safetensors": weights_bytes_other(data)})
    remote_entry(zoo_dir, data, revision=commit)
    res = hub.pull(zoo(), "toy-remote", progress=False)
    assert res.commit == commit


def weights_bytes_other(data: bytes) -> bytes:
    return data[:-4] + b"\x00\x00\x00\x00"


def test_offline_uncached_fails_at_once(world):
    zoo, *_ = world
    with pytest.raises(OfflineError, match="offline"):
        hub.pull(zoo(offline=True), "toy-remote", progress=False)


@pytest.mark.parametrize(
    ("repo", "file", "revision", "message"),
    [
        ("genzoo-test/nope", "model.safetensors", "main", "repository not found"),
        (REPO, "model.safetensors", "v9", "revision not found"),
        (REPO, "missing.safetensors", "main", "file not found"),
    ],
)
def test_not_found_messages(world, repo, file, revision, message, tmp_path):
    zoo, _data, _, zoo_dir = world
    spec = yaml.safe_load((zoo_dir / "toy-remote" / "genzoo.yaml").read_text())
    spec["weights"][0].update(repo=repo, file=file, revision=revision)
    (zoo_dir / "toy-remote" / "genzoo.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(HubError, match=message):
        hub.pull(zoo(), "toy-remote", progress=False)
    assert not (zoo().settings.store_dir / "toy-remote").exists()


def test_503_without_and_with_an_installed_copy(world, fake_hub):
    zoo, *_ = world
    fake_hub.fail_next(status=503, times=50)
    with pytest.raises(HubError):
        hub.pull(zoo(), "toy-remote", progress=False)
    fake_hub.fail_next(status=503, times=0)
    hub.pull(zoo(), "toy-remote", progress=False)
    fake_hub.fail_next(status=503, times=50)
    assert not hub.pull(zoo(), "toy-remote", progress=False).downloaded  # up to date: no network


def test_dropped_connection_installs_nothing_and_a_retry_works(world, fake_hub):
    zoo, data, *_ = world
    fake_hub.drop_connection_after(len(data) // 2, "*model.safetensors", times=10)
    with pytest.raises(HubError):
        hub.pull(zoo(), "toy-remote", progress=False)
    assert not (zoo().settings.store_dir / "toy-remote").exists()
    fake_hub.drop_connection_after(0, "*", times=0)
    assert hub.pull(zoo(), "toy-remote", progress=False).downloaded


def test_same_size_corruption_is_caught_by_sha256(world, fake_hub):
    zoo, *_ = world
    fake_hub.corrupt(REPO, "model.safetensors")
    with pytest.raises(HubError, match="sha256 mismatch"):
        hub.pull(zoo(), "toy-remote", progress=False)
    store = zoo().settings.store_dir
    assert not (store / "toy-remote").exists()


def test_truncated_cached_file_is_refused_then_redownloaded(world, fake_hub):
    zoo, _data, *_ = world
    z = zoo()
    hub.pull(z, "toy-remote", progress=False)
    blobs = list((z.settings.cache_dir / "hub").rglob("blobs/*"))
    assert blobs
    for b in blobs:
        b.write_bytes(b.read_bytes()[:100])
    assert hub.pull(z, "toy-remote", progress=False, force=True).downloaded


def test_restricted_licence_needs_acceptance(world, fake_hub):
    zoo, data, _, zoo_dir = world
    remote_entry(zoo_dir, data, restricted=True)
    n = len(fake_hub.requests)
    with pytest.raises(LicenseNotAcceptedError, match="--accept-license"):
        hub.pull(zoo(), "toy-remote", progress=False, interactive=False)
    assert len(fake_hub.requests) == n  # nothing was downloaded before acceptance
    assert hub.pull(zoo(), "toy-remote", progress=False, accept_license=True).downloaded
    assert hub.pull(
        zoo(),
        "toy-remote",
        progress=False,
        force=True,
        interactive=True,
        ask=lambda text: "NVIDIA" in text,
    ).downloaded


def test_verify_detects_tampering(world):
    zoo, *_ = world
    z = zoo()
    hub.pull(z, "toy-remote", progress=False)
    assert all(ok for _, ok, _ in hub.verify(z, "toy-remote"))
    w = z.settings.store_dir / "toy-remote" / "model.safetensors"
    raw = bytearray(w.read_bytes())
    raw[-1] ^= 0xFF
    w.write_bytes(bytes(raw))
    ((_, ok, msg),) = hub.verify(z, "toy-remote")
    assert not ok and "differs from pin" in msg


def test_push_then_pull_round_trip(world, fake_hub, tmp_path):
    zoo, _data, _, zoo_dir = world
    z = zoo()
    hub.pull(z, "toy-remote", progress=False)
    (z.settings.store_dir / "toy-remote" / "evil.pkl").write_bytes(b"x")
    with pytest.raises(HubError, match="pickle"):
        hub.push(z, "toy-remote", "me/toy-copy")
    (z.settings.store_dir / "toy-remote" / "evil.pkl").unlink()
    hub.push(z, "toy-remote", "me/toy-copy")
    files = fake_hub.repo_files("me/toy-copy")
    assert {"genzoo.yaml", "model.safetensors", "README.md", "config.json"} <= set(files)
    assert json.loads(files["config.json"])["genzoo_family"] == "toy"
    pushed = files["model.safetensors"]
    pushed_entry(zoo_dir, pushed, "me/toy-copy")
    z2 = zoo()
    hub.pull(z2, "toy-copy", progress=False)
    a = z2.load("toy-copy").sample(2, seed=1)
    b = z2.load("toy-remote").sample(2, seed=1)
    assert torch.equal(a, b)


def _pull_in_process(args):
    endpoint, zoo_dir, store, cache = args
    import os

    os.environ["GENZOO_CONFIG"] = os.devnull
    from genzoo import hub as h
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo
    from tests.toy import toy_plugin as tp

    s = Settings(store_dir=Path(store), cache_dir=Path(cache), hub_endpoint=endpoint)
    z = Zoo(settings=s, plugins=[("toy", tp)], discover=False, zoo_paths=[zoo_dir])
    return h.pull(z, "toy-remote", progress=False).folder.name


def test_concurrent_pulls_from_two_processes(world, fake_hub):
    zoo, *_ = world
    z = zoo()
    args = (fake_hub.endpoint, str(world[3]), str(z.settings.store_dir), str(z.settings.cache_dir))
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        names = pool.map(_pull_in_process, [args, args])
    assert names == ["toy-remote", "toy-remote"]
    assert zoo().load("toy-remote").sample(1, seed=0).shape == (1, 1, 8, 8)
    leftovers = [p.name for p in z.settings.store_dir.iterdir() if p.name.startswith(".toy")]
    assert leftovers == []


def test_weights_that_do_not_fit_the_spec_are_refused(world, fake_hub, make_zoo):
    zoo, _data, _, zoo_dir = world
    import copy

    other = copy.deepcopy(TOY)
    other["arch"] = {"hidden": 5}
    z = make_zoo(("toy", toy_plugin))
    torch.manual_seed(0)
    path = z.settings.cache_dir / "other.safetensors"
    save_model_weights(z.build(other), path)
    bad = path.read_bytes()
    fake_hub.add_repo("genzoo-test/bad", {"model.safetensors": bad})
    spec = yaml.safe_load((zoo_dir / "toy-remote" / "genzoo.yaml").read_text())
    spec["weights"][0].update(repo="genzoo-test/bad", sha256=hashlib.sha256(bad).hexdigest())
    (zoo_dir / "toy-remote" / "genzoo.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(WeightsError, match=r"G\.0\.weight"):
        hub.pull(zoo(), "toy-remote", progress=False)


def test_progress_is_reported_and_a_raising_hook_cancels_the_pull(world, fake_hub):
    zoo, data, *_ = world
    seen = []
    hub.pull(zoo(), "toy-remote", progress=False, on_progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (len(data), len(data))
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))

    from genzoo.errors import CancelledError

    def cancel(done, total):
        raise CancelledError("cancelled")

    z = zoo()
    hub.remove(z, "toy-remote")
    with pytest.raises(CancelledError):
        hub.pull(z, "toy-remote", progress=False, force=True, on_progress=cancel)
    assert not (z.settings.store_dir / "toy-remote").exists()
    assert not z.entry("toy-remote").is_local


def test_remove_deletes_only_pulled_copies(world, fake_hub):
    from genzoo.errors import GenzooError

    zoo, *_ = world
    z = zoo()
    with pytest.raises(GenzooError, match="not installed"):
        hub.remove(z, "toy-remote")
    hub.pull(z, "toy-remote", progress=False)
    assert z.entry("toy-remote").is_local
    folder = hub.remove(z, "toy-remote")
    assert not folder.exists() and not z.entry("toy-remote").is_local
    assert [p.name for p in z.settings.store_dir.iterdir() if not p.name.startswith(".")] == []
    n = downloads(fake_hub)
    assert hub.pull(z, "toy-remote", progress=False).downloaded  # from the Hub cache again
    assert downloads(fake_hub) == n


def test_a_torch_load_converter_never_reads_a_hub_download(world, fake_hub, monkeypatch):
    import genzoo_plugins.gan
    import genzoo_plugins.gan.convert as conv

    zoo, data, _, zoo_dir = world
    spec = yaml.safe_load((zoo_dir / "toy-remote" / "genzoo.yaml").read_text())
    spec["weights"][0].update(file="netG.pth", converter="pytorch-dcgan")
    (zoo_dir / "toy-remote" / "genzoo.yaml").write_text(yaml.safe_dump(spec))
    fake_hub.add_commit(REPO, {"netG.pth": data})
    ran = []
    monkeypatch.setattr(conv, "convert_pytorch_dcgan", lambda *a, **k: ran.append(a))
    z = zoo()
    z.plugins = [*z.plugins, ("gan", genzoo_plugins.gan)]
    n = downloads(fake_hub)
    with pytest.raises(WeightsError, match="may not read files from the Hub"):
        hub.pull(z, "toy-remote", progress=False)
    assert downloads(fake_hub) == n and not ran
    assert not (z.settings.store_dir / "toy-remote").exists()


def test_leftovers_of_a_crashed_pull_are_not_entries(world):
    zoo, *_ = world
    z = zoo()
    hub.pull(z, "toy-remote", progress=False)
    store = z.settings.store_dir
    for left in (".toy-remote.abc123", ".toy-remote.old.42"):
        (store / left).mkdir()
        (store / left / "genzoo.yaml").write_text("name: [broken")
    names = [e.name for e in z.entries(refresh=True)]
    assert names.count("toy-remote") == 1 and not any(n.startswith(".") for n in names)
    assert z.index_problems == [] and all(e.spec is not None for e in z.entries())


# -- the card that push uploads --------------------------------------------------------------


def pushable(z, tmp_path, readme: str | None, **spec_changes) -> Path:
    """A copy of the installed toy-remote, with ``readme`` as its card and a changed spec."""
    import shutil

    hub.pull(z, "toy-remote", progress=False)
    folder = tmp_path / "pushme" / "toy-remote"
    shutil.copytree(z.settings.store_dir / "toy-remote", folder)
    spec = yaml.safe_load((folder / "genzoo.yaml").read_text())
    for key, value in spec_changes.items():
        if isinstance(value, dict):
            spec[key] = {**spec.get(key, {}), **value}
        else:
            spec[key] = value
    (folder / "genzoo.yaml").write_text(yaml.safe_dump(spec))
    (folder / "README.md").unlink()
    if readme is not None:
        (folder / "README.md").write_bytes(readme.encode())
    return folder


def uploaded_card(fake_hub, repo) -> tuple[str, dict]:
    from genzoo.card import split_card

    text = fake_hub.repo_files(repo)["README.md"].decode()
    return text, split_card(text)[0]


def test_push_gives_a_card_without_front_matter_a_complete_one(world, fake_hub, tmp_path):
    zoo, *_ = world
    z = zoo()
    body = "# My toy\n\nThe author's own words, kept as they are.\n\n---\n\nA rule above.\n"
    folder = pushable(
        z,
        tmp_path,
        body,
        license="NVIDIA Source Code License-NC",
        tags=["digits"],
        training={"data": "mnist5k"},
    )
    hub.push(z, folder, "me/no-front-matter")
    text, fm = uploaded_card(fake_hub, "me/no-front-matter")
    assert text.startswith("---\n") and text.endswith("\n---\n\n" + body)
    assert fm == {
        "library_name": "genzoo",
        "license": "other",
        "license_name": "nvidia-source-code-license-nc",
        "license_link": "https://github.com/NVlabs/stylegan2-ada-pytorch/blob/main/LICENSE.txt",
        "tags": ["digits", "genzoo", "toy"],
        "pipeline_tag": "unconditional-image-generation",
        "datasets": ["mnist5k"],
    }
    assert (folder / "README.md").read_text() == body  # the folder itself is not changed


PARTIAL = """---
# the author's comment survives
license: mit
tags: [mine]
genzoo_metrics:
  fd: 1.5
---
"""
PARTIAL_BODY = """
# toy-remote

Hand-written text.

## Evaluation

| metric | value |
|---|---|
| fd | 1.5 |

```bash
genzoo eval toy-remote -n 100 \\
  --card
```

## Notes

```bash
genzoo sample toy-remote -o x.png
```
"""


def test_push_fills_only_the_missing_front_matter_keys(world, fake_hub, tmp_path):
    zoo, *_ = world
    z = zoo()
    folder = pushable(
        z,
        tmp_path,
        PARTIAL + PARTIAL_BODY,
        license="NVIDIA Source Code License-NC",  # the card's `license: mit` wins
        training={"data": "mnist5k"},
    )
    hub.push(z, folder, "me/partial")
    text, fm = uploaded_card(fake_hub, "me/partial")
    assert text.startswith(PARTIAL.rsplit("---\n", 1)[0])  # the author's header, comment and all
    assert text.endswith("\n---\n" + PARTIAL_BODY)  # the body byte for byte
    assert fm == {
        "license": "mit",  # no license_name/license_link under someone else's licence
        "tags": ["mine"],
        "genzoo_metrics": {"fd": 1.5},
        "library_name": "genzoo",
        "pipeline_tag": "unconditional-image-generation",
        "datasets": ["mnist5k"],
        "genzoo_eval_command": "genzoo eval toy-remote -n 100 --card",
    }


def test_push_uploads_a_complete_card_unchanged_and_refuses_a_broken_header(
    world, fake_hub, tmp_path
):
    from genzoo.card import render_card
    from genzoo.errors import GenzooError

    zoo, *_ = world
    z = zoo()
    folder = pushable(z, tmp_path, None)
    card = render_card(z.find(folder).spec, sections={"Notes": "Mine."}).replace("\n", "\r\n")
    (folder / "README.md").write_bytes(card.encode())
    hub.push(z, folder, "me/complete")
    assert fake_hub.repo_files("me/complete")["README.md"] == card.encode()
    (folder / "README.md").write_text("---\nlicense: [mit\n---\n# x\n")
    n = len(fake_hub.requests)
    with pytest.raises(GenzooError, match=r"README\.md: the front matter is not valid YAML") as e:
        hub.push(z, folder, "me/broken")
    assert "\n" not in str(e.value) and len(fake_hub.requests) == n  # nothing was sent


@pytest.mark.parametrize(
    ("licence", "expected"),
    [
        ("mit", {"license": "mit"}),
        ("Apache-2.0", {"license": "apache-2.0"}),
        ("CC BY-NC-SA 4.0", {"license": "cc-by-nc-sa-4.0"}),
        (
            "nvidia-source-code-license-nc",
            {
                "license": "other",
                "license_name": "nvidia-source-code-license-nc",
                "license_link": (
                    "https://github.com/NVlabs/stylegan2-ada-pytorch/blob/main/LICENSE.txt"
                ),
            },
        ),
        ("My Lab's Licence v2", {"license": "other", "license_name": "my-lab-s-licence-v2"}),
    ],
)
def test_front_matter_writes_license_other_for_non_hub_licences(licence, expected):
    from genzoo.card import front_matter
    from genzoo.spec.model import ModelSpec

    spec = ModelSpec.model_validate(dict(TOY, license=licence))
    fm = front_matter(spec)
    assert {k: v for k, v in fm.items() if k.startswith("license")} == expected
    assert list(fm)[:2] == ["library_name", "license"]


def test_front_matter_puts_the_eval_command_beside_the_metrics():
    from genzoo.card import eval_command, front_matter
    from genzoo.spec.model import ModelSpec

    spec = ModelSpec.model_validate(TOY)
    assert eval_command(PARTIAL + PARTIAL_BODY) == "genzoo eval toy-remote -n 100 --card"
    assert eval_command("# x\n\n```bash\ngenzoo eval x\n```\n") is None  # not under Evaluation
    fm = front_matter(spec, {"fd": 2.0}, eval_command="genzoo eval toy -n 10 --card")
    assert fm["genzoo_metrics"] == {"fd": 2.0}
    assert fm["genzoo_eval_command"] == "genzoo eval toy -n 10 --card"
    assert "genzoo_eval_command" not in front_matter(spec, None, eval_command="genzoo eval toy")


def _shipped_cards():
    import genzoo_zoo

    root = Path(genzoo_zoo.__file__).parent
    return sorted(
        p.parent for p in root.glob("*/genzoo.yaml") if (p.parent / "README.md").is_file()
    )


@pytest.mark.parametrize("folder", _shipped_cards(), ids=lambda p: p.name)
def test_shipped_cards_agree_with_front_matter_and_push_keeps_them(folder):
    from genzoo.card import complete_card, eval_command, front_matter, split_card
    from genzoo.spec.loading import read_spec_file, validate_envelope

    data, lines, source = read_spec_file(folder / "genzoo.yaml")
    spec = validate_envelope(data, source, lines)
    text = (folder / "README.md").read_text(encoding="utf-8")
    fm, body = split_card(text)
    want = front_matter(spec)
    assert {k: fm.get(k) for k in want if k.startswith("license")} == {
        k: v for k, v in want.items() if k.startswith("license")
    }
    done = complete_card(text, spec)
    new_fm, new_body = split_card(done)
    assert new_body == body and {k: v for k, v in new_fm.items() if k in fm} == fm
    assert {"library_name", "license", "tags", "pipeline_tag"} <= set(new_fm)
    command = eval_command(body)
    if "genzoo_metrics" in fm and command and "genzoo_eval_command" not in fm:
        assert new_fm["genzoo_eval_command"] == command
        assert command.startswith(f"genzoo eval {spec.name} ")


# -- a damaged cache without --force ---------------------------------------------------------


def _damage(blob: Path, how: str) -> None:
    raw = bytearray(blob.read_bytes())
    if how == "truncated":
        blob.write_bytes(bytes(raw[: len(raw) // 2]))
    else:  # same size, one byte changed: only a content hash notices
        raw[-1] ^= 0xFF
        blob.write_bytes(bytes(raw))


def _weights_blob(z, data) -> Path:
    (blob,) = [
        b
        for b in (z.settings.cache_dir / "hub").rglob("blobs/*")
        if b.name == hashlib.sha256(data).hexdigest()
    ]
    return blob


@pytest.mark.parametrize("how", ["truncated", "same-size"])
def test_a_damaged_cached_file_is_evicted_and_fetched_again_without_force(world, fake_hub, how):
    zoo, data, *_ = world
    z = zoo()
    hub.pull(z, "toy-remote", progress=False)
    hub.remove(z, "toy-remote")  # installed copy gone, the Hub cache kept
    blob = _weights_blob(z, data)
    _damage(blob, how)
    n = downloads(fake_hub)
    res = hub.pull(z, "toy-remote", progress=False)  # no force: genzoo's own re-hash catches it
    assert res.downloaded and downloads(fake_hub) == n + 1  # exactly one fresh download
    assert blob.read_bytes() == data  # the cache holds the good file again
    assert [ok for _, ok, _ in hub.verify(z, "toy-remote")] == [True]
    assert z.load("toy-remote").sample(1, seed=0).shape == (1, 1, 8, 8)


def test_a_damaged_cached_file_offline_is_refused_and_evicted(world, fake_hub):
    zoo, data, *_ = world
    z = zoo()
    hub.pull(z, "toy-remote", progress=False)
    hub.remove(z, "toy-remote")
    blob = _weights_blob(z, data)
    _damage(blob, "same-size")
    n = len(fake_hub.requests)
    with pytest.raises(HubError, match=r"sha256 mismatch.*nothing was installed"):
        hub.pull(zoo(offline=True), "toy-remote", progress=False)
    assert len(fake_hub.requests) == n and not blob.exists()  # offline: evicted, not refetched
    assert not (z.settings.store_dir / "toy-remote").exists()
    assert hub.pull(z, "toy-remote", progress=False).downloaded  # online again: a clean fetch
    assert blob.read_bytes() == data
