from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from runtime_helpers import CONFIG, loaded_config

from kubexm.errors import KubexmError
from kubexm.runtime.workdir import WorkDir, work_dir_for


def test_work_dir_paths_follow_the_documented_layout(tmp_path: Path) -> None:
    wd = WorkDir(tmp_path)
    got = {
        "config": wd.config,
        "state_db": wd.state_db,
        "lock": wd.lock,
        "known_hosts": wd.known_hosts,
        "pki": wd.pki,
        "kubeconfig": wd.kubeconfig,
        "artifacts": wd.artifacts,
        "logs": wd.logs,
    }
    want = ["config.yaml", "state.db", "lock", "known_hosts", "pki", "kubeconfig"]
    want += ["artifacts", "logs"]
    assert [p.relative_to(tmp_path).as_posix() for p in got.values()] == want


def test_work_dir_is_frozen(tmp_path: Path) -> None:
    wd = WorkDir(tmp_path)
    with pytest.raises(AttributeError):
        wd.root = Path("/elsewhere")  # type: ignore[misc]  # frozen on purpose


def test_default_root_is_dot_kubexm_under_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert work_dir_for(loaded_config().cluster).root == tmp_path / ".kubexm" / "demo"


def test_global_work_dir_holds_one_folder_per_cluster(tmp_path: Path) -> None:
    text = CONFIG.replace("  global:\n", f"  global:\n    workDir: {tmp_path}/wd\n")
    assert work_dir_for(loaded_config(text).cluster).root == tmp_path / "wd" / "demo"


def test_flag_base_replaces_global_work_dir(tmp_path: Path) -> None:
    text = CONFIG.replace("  global:\n", f"  global:\n    workDir: {tmp_path}/wd\n")
    got = work_dir_for(loaded_config(text).cluster, tmp_path / "mine")
    assert got.root == tmp_path / "mine" / "demo"


def test_ensure_creates_a_private_root_and_tightens_an_open_one(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b"
    root.mkdir(parents=True)
    root.chmod(0o755)
    WorkDir(root).ensure()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_ensure_reports_an_unwritable_place(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(KubexmError, match="cannot create the work directory"):
            WorkDir(tmp_path / "x").ensure()
    finally:
        tmp_path.chmod(0o700)


def test_ensure_reports_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(KubexmError, match="cannot create the work directory") as info:
        WorkDir(tmp_path / "file" / "wd").ensure()
    assert "--work-dir" in info.value.hint
