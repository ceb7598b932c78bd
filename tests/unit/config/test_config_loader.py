import io
import re
from pathlib import Path
from typing import Any

import pytest

from kubexm.config import LoadedConfig, load, load_text, validate_data
from kubexm.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
INVALID = sorted((ROOT / "tests" / "data" / "invalid").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PASSWORD = "Tr0ub4dor&3-horse"
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)

MINIMAL = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: demo}
spec:
  global: {privateKeyPath: /root/.ssh/id_ed25519}
  hosts: [{name: n1, address: 10.0.0.1}]
  roleGroups: {master: [n1], etcd: [n1], worker: [n1]}
"""


def test_load_reads_a_file_and_applies_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    loaded = load(path)
    assert isinstance(loaded, LoadedConfig)
    assert loaded.cluster.spec.kubernetes.version == "v1.36.4"
    assert loaded.cluster.spec.network.plugin == "calico"
    assert loaded.raw["metadata"] == {"name": "demo"}
    assert loaded.warnings == []


def test_load_reads_stdin_for_dash() -> None:
    loaded = load("-", stdin=io.StringIO(MINIMAL))
    assert loaded.cluster.name == "demo"


def test_load_reports_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path / "missing.yaml")
    assert "cannot read" in err.value.problems[0].message


def test_json_input_is_accepted() -> None:
    text = (
        '{"apiVersion": "kubexm.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "j"},'
        ' "spec": {"global": {"password": "x"}, "hosts": [{"name": "n", "address": "10.0.0.9"}],'
        ' "roleGroups": {"master": ["n"], "etcd": ["n"], "worker": ["n"]}}}'
    )
    assert load_text(text).cluster.name == "j"


def test_deprecated_api_version_is_a_warning_not_an_error() -> None:
    loaded = load_text(MINIMAL.replace("kubexm.io/v1alpha1", "kubexms.io/v1alpha1"))
    assert len(loaded.warnings) == 1
    assert "deprecated" in loaded.warnings[0]


def test_unsupported_version_passes_with_allow_unsupported() -> None:
    text = MINIMAL + "  kubernetes: {version: v1.30.2}\n"
    with pytest.raises(ConfigError):
        load_text(text)
    loaded = load_text(text, allow_unsupported=True)
    assert any("not supported" in w for w in loaded.warnings)


def test_all_problems_are_reported_at_once() -> None:
    text = MINIMAL.replace("master: [n1]", "master: []").replace("worker: [n1]", "worker: [n1, n9]")
    with pytest.raises(ConfigError) as err:
        load_text(text)
    paths = [p.path for p in err.value.problems]
    assert "spec.roleGroups.master" in paths
    assert "spec.roleGroups.worker" in paths


def test_a_non_mapping_document_is_rejected() -> None:
    with pytest.raises(ConfigError):
        validate_data(["a", "b"])
    with pytest.raises(ConfigError):
        load_text("")


def _expects(path: Path) -> list[str]:
    return re.findall(r"^# expect: (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)


def test_the_invalid_corpus_is_large_and_every_file_names_its_path() -> None:
    assert len(INVALID) >= 60
    assert all(_expects(path) for path in INVALID)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_config_is_rejected_at_its_path(path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(path)
    paths = [problem.path for problem in err.value.problems]
    for expected in _expects(path):
        assert expected in paths
    for line in str(err.value).splitlines()[1:]:
        assert line.startswith("  ") and "\n" not in line


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_validates_to_a_matrix_row(path: Path) -> None:
    loaded = load(path)
    assert loaded.cluster.support_row is not None
    assert loaded.warnings == []


def test_examples_cover_each_topology() -> None:
    kinds = {load(path).cluster.lb_kind for path in EXAMPLES}
    assert {"none", "haproxy", "nginx", "kube-vip", "kubexm-kh"} <= kinds
    assert len(EXAMPLES) >= 8


def _with_secrets() -> dict[str, Any]:
    data: dict[str, Any] = load_text(MINIMAL).raw
    data["spec"]["global"] = {"password": PASSWORD, "privateKey": KEY}
    # A secret that also ends up in a message: a duplicate address equal to the password.
    data["spec"]["hosts"].append({"name": "n2", "address": "10.0.0.1", "port": PASSWORD})
    data["spec"]["hosts"][0]["privateKey"] = KEY
    data["spec"]["kubernetes"] = {"version": PASSWORD}
    return data


def test_secrets_never_appear_in_errors() -> None:
    with pytest.raises(ConfigError) as err:
        validate_data(_with_secrets())
    text = str(err.value) + "".join(p.hint + p.path for p in err.value.problems)
    assert len(err.value.problems) >= 2
    assert PASSWORD not in text
    for line in KEY.splitlines():
        assert line not in text


@pytest.mark.parametrize("glue", [":", "="])
def test_a_password_glued_to_its_key_is_masked_and_the_hint_says_add_a_space(glue: str) -> None:
    text = MINIMAL.replace("address: 10.0.0.1}", f"address: 10.0.0.1, password{glue}Kq8LeakMe}}")
    with pytest.raises(ConfigError) as err:
        load_text(text)
    text_out = str(err.value) + "".join(p.hint + p.path for p in err.value.problems)
    assert "Kq8LeakMe" not in text_out
    assert "unknown key" in text_out
    if glue == ":":
        assert "put a space after the colon" in err.value.problems[0].hint


@pytest.mark.parametrize("key", ["sudoPasword", "bogusKey"])
def test_an_unknown_key_with_no_value_is_still_an_error(key: str) -> None:
    text = MINIMAL.replace(
        "{privateKeyPath: /root/.ssh/id_ed25519}", f"{{privateKeyPath: /k, {key}: }}"
    )
    with pytest.raises(ConfigError) as err:
        load_text(text)
    assert err.value.problems[0].path == f"spec.global.{key}"


def test_secrets_never_appear_in_rule_errors() -> None:
    data = load_text(MINIMAL).raw
    data["spec"]["global"] = {"password": "10.0.0.77", "privateKeyPath": "/k"}
    data["spec"]["hosts"].append({"name": "n2", "address": "10.0.0.77"})
    data["spec"]["hosts"].append({"name": "n3", "address": "10.0.0.77"})
    with pytest.raises(ConfigError) as err:
        validate_data(data)
    assert "10.0.0.77" not in str(err.value)
    assert "******" in str(err.value)


def test_secrets_are_listed_for_log_masking() -> None:
    data = load_text(MINIMAL).raw
    data["spec"]["global"] = {"password": PASSWORD}
    assert validate_data(data).secrets == [PASSWORD]


def test_sudo_password_with_a_key_is_valid_masked_and_kept_out_of_errors() -> None:
    data = load_text(MINIMAL).raw
    data["spec"]["global"]["sudoPassword"] = PASSWORD
    assert validate_data(data).secrets == [PASSWORD]
    # Not a login method: with a host key it makes no "two credentials" problem.
    data["spec"]["hosts"][0].update({"sudoPassword": "10.0.0.77", "privateKeyPath": "/k"})
    data["spec"]["hosts"] += [{"name": f"n{i}", "address": "10.0.0.77"} for i in (2, 3)]
    data["spec"]["roleGroups"]["worker"] += ["n2", "n3"]
    with pytest.raises(ConfigError) as err:
        validate_data(data)
    assert "10.0.0.77" not in str(err.value)
    assert [p.path for p in err.value.problems] == ["spec.hosts[2].address"]


def test_yaml_errors_do_not_leak_an_unparsed_password() -> None:
    text = MINIMAL.replace("{privateKeyPath: /root/.ssh/id_ed25519}", "{password: 'Open-S3cret}")
    with pytest.raises(ConfigError) as err:
        load_text(text)
    assert "Open-S3cret" not in str(err.value)
    assert err.value.problems[0].path.startswith("line ")


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_a_dumped_config_loads_back_unchanged(path: Path) -> None:
    cluster = load(path).cluster
    dumped = cluster.model_dump(by_alias=True, mode="json", exclude_none=True)
    assert validate_data(dumped).cluster == cluster


@pytest.mark.parametrize(
    ("value", "shown"),
    [("*S3cretStar", "found undefined alias '******'"), ("!S3cretTag x", "tag '******'")],
    ids=["alias", "tag"],
)
def test_a_password_read_as_alias_or_tag_is_masked_and_the_hint_says_to_quote_it(
    value: str, shown: str
) -> None:
    text = MINIMAL.replace("{privateKeyPath: /root/.ssh/id_ed25519}", f"{{password: {value}}}")
    with pytest.raises(ConfigError) as err:
        load_text(text)
    (problem,) = err.value.problems
    assert shown in problem.message
    assert "S3cret" not in str(err.value)
    assert problem.hint.startswith("quote a value that starts with *, & or !")
