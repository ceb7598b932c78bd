"""deb_closure: index parsing and the dependency closure a host needs."""

from __future__ import annotations

import pytest

from kubexm.errors import KubexmError
from kubexm.step.os.deb_closure import (
    DebInfo,
    closure,
    index_command,
    parse_index,
    parse_installed_provides,
    relation_names,
)

INDEX = """@@socat_1.7_amd64.deb
Package: socat
Depends: libc6 (>= 2.34), libssl3 (>= 3.0.0)
@@libssl3_3.0_amd64.deb
Package: libssl3
Pre-Depends: libc6
@@haproxy_2.6_amd64.deb
Package: haproxy
Depends: liblua5.3-0, adduser
@@mta_1_all.deb
Package: exim
Provides: mail-transport-agent
Depends: libc6,
 libdb5.3
@@broken.deb
"""


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("a (>= 1) | b:any, c", [("a", "b"), ("c",)]),
        ("", []),
        ("libc6 [amd64] <!nocheck>", [("libc6",)]),
    ],
    ids=["alternatives-and-versions", "empty", "arch-and-profile"],
)
def test_relation_names_drop_versions_and_qualifiers(
    text: str, groups: list[tuple[str, ...]]
) -> None:
    assert relation_names(text) == groups


def test_index_command_reads_the_fields_of_every_deb_in_the_folder() -> None:
    cmd = index_command("/tmp/kubexm/os-packages")
    assert cmd.startswith("cd /tmp/kubexm/os-packages && for f in *.deb")
    assert "Package Provides Pre-Depends Depends" in cmd


def test_parse_index_reads_fields_continuations_and_skips_files_without_package() -> None:
    infos = {i.package: i for i in parse_index(INDEX)}
    assert sorted(infos) == ["exim", "haproxy", "libssl3", "socat"]
    assert infos["exim"].provides == ("mail-transport-agent",)
    assert infos["exim"].depends == (("libc6",), ("libdb5.3",))
    assert infos["libssl3"].depends == (("libc6",),)


def test_parse_installed_provides_keeps_installed_packages_and_their_provides() -> None:
    out = "libc6\tinstalled\t\nold\tconfig-files\t\npostfix\tinstalled\tmail-transport-agent\n"
    assert parse_installed_provides(out) == {"libc6", "postfix", "mail-transport-agent"}


def test_closure_takes_only_what_wanted_packages_reach_and_the_host_lacks() -> None:
    files = closure(["socat"], parse_index(INDEX), {"libc6"})
    assert files == ["socat_1.7_amd64.deb", "libssl3_3.0_amd64.deb"]


def test_closure_uses_provides_and_alternatives() -> None:
    infos = [
        DebInfo("a.deb", "a", depends=(("mta-x", "mail-transport-agent"),)),
        DebInfo("exim.deb", "exim", provides=("mail-transport-agent",)),
    ]
    assert closure(["a"], infos, set()) == ["a.deb", "exim.deb"]


def test_closure_of_installed_package_is_empty() -> None:
    assert closure(["socat"], parse_index(INDEX), {"socat"}) == []


def test_closure_names_what_the_folder_lacks() -> None:
    with pytest.raises(KubexmError, match=r"lack liblua5\.3-0"):
        closure(["haproxy"], parse_index(INDEX), {"adduser"})
