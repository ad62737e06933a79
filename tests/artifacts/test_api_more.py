"""The rest of wandb's Artifact API: aliases and save, delete, new_draft, checkout, incremental."""

from __future__ import annotations

from pathlib import Path

import pytest

import heron
from heron.api import Api
from heron.errors import NotFoundError, UsageError
from heron.sdk.client import Client
from heron.settings import Settings


def _logged(run: heron.Run, files: dict[str, str], **kwargs: object) -> heron.Artifact:
    art = heron.Artifact("ds", "dataset", **kwargs)  # type: ignore[arg-type]
    for name, text in files.items():
        with art.new_file(name) as f:
            f.write(text)
    return run.log_artifact(art).wait(timeout=30)


def test_aliases_metadata_and_description_are_saved(
    online_client: Client, online: Settings
) -> None:
    run = online_client.init(project="save")
    art = heron.Artifact("ds", "dataset")
    art.aliases = ["candidate"]  # a draft's aliases go in when it is logged
    with art.new_file("a.txt") as f:
        f.write("a")
    run.log_artifact(art).wait(timeout=30)
    assert art.aliases == ["candidate", "latest"]
    art.aliases = ["best", "staging"]
    art.metadata["score"] = 0.9
    art.description = "checked by hand"
    art.save()
    run.finish()
    api = Api(settings=online)
    again = api.artifact(f"{run.entity}/save/ds:v0")
    assert again.aliases == ["best", "latest", "staging"]
    assert again.metadata == {"score": 0.9} and again.description == "checked by hand"
    with pytest.raises(heron.errors.InvalidNameError, match="collides with version names"):
        again.aliases = ["v1"]
    api.close()


def test_delete_moves_latest_and_refuses_versions_with_aliases(
    online_client: Client, online: Settings
) -> None:
    run = online_client.init(project="delete")
    first = _logged(run, {"a.txt": "one"})
    second = _logged(run, {"a.txt": "two"})
    run.log_artifact(heron.Artifact("unused", "dataset"))  # an empty version, never waited for
    run.finish()
    api = Api(settings=online)
    second = api.artifact(f"{run.entity}/delete/ds:v1")
    second.delete()
    assert api.artifact(f"{run.entity}/delete/ds:latest").version == "v0"
    with pytest.raises(NotFoundError, match="no version 'v1'"):
        api.artifact(f"{run.entity}/delete/ds:v1")
    api.store.set_alias(run.entity, "delete", "ds", "prod", 0)
    first = api.artifact(f"{run.entity}/delete/ds:v0")
    with pytest.raises(UsageError, match="has aliases prod"):
        first.delete()
    first.delete(delete_aliases=True)
    with pytest.raises(NotFoundError):
        api.artifact(f"{run.entity}/delete/ds:latest")
    api.close()


def test_new_draft_and_incremental_build_on_a_version(
    online_client: Client, online: Settings
) -> None:
    run = online_client.init(project="drafts")
    v0 = _logged(run, {"a.txt": "a", "b.txt": "b", "dir/c.txt": "c"})
    draft = v0.new_draft()
    assert draft.is_draft and [e.path for e in draft.files()] == ["a.txt", "b.txt", "dir/c.txt"]
    draft.remove("b.txt")
    with draft.new_file("d.txt") as f:
        f.write("d")
    run.log_artifact(draft).wait(timeout=30)
    assert draft.version == "v1"
    assert [e.path for e in draft.files()] == ["a.txt", "d.txt", "dir/c.txt"]

    inc = heron.Artifact("ds", "dataset", incremental=True)
    with inc.new_file("e.txt") as f:
        f.write("e")
    inc.remove("dir")
    run.log_artifact(inc).wait(timeout=30)
    assert inc.version == "v2"
    assert [e.path for e in inc.files()] == ["a.txt", "d.txt", "e.txt"]
    assert Path(inc.get_path("a.txt")).read_text() == "a"
    run.finish()


def test_checkout_leaves_exactly_the_versions_files(online_client: Client, tmp_path: Path) -> None:
    run = online_client.init(project="checkout")
    art = _logged(run, {"keep.txt": "k", "sub/also.txt": "s"})
    root = tmp_path / "work"
    (root / "old").mkdir(parents=True)
    (root / "old" / "stale.txt").write_text("stale")
    (root / "keep.txt").write_text("edited")
    assert art.checkout(root) == str(root)
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    assert found == ["keep.txt", "sub", "sub/also.txt"]
    assert (root / "keep.txt").read_text() == "k"
    run.finish()


def test_save_of_a_draft_needs_a_run(tmp_path: Path) -> None:
    art = heron.Artifact("ds", "dataset")
    with pytest.raises(UsageError, match=r"needs a run: call heron\.init"):
        art.save()
