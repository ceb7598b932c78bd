"""SSHSettings / LocalSettings: derived values and secret handling."""

from __future__ import annotations

import pytest

from kubexm.connector.settings import LocalSettings, SSHSettings


@pytest.mark.parametrize(("user", "root"), [("root", True), ("ops", False)], ids=["root", "ops"])
def test_is_root_follows_the_login_user(user: str, root: bool) -> None:
    assert SSHSettings("n1", "10.0.0.1", user=user).is_root is root


@pytest.mark.parametrize(
    ("password", "sudo_password", "expected"),
    [
        pytest.param("login", None, "login", id="falls-back-to-login-password"),
        pytest.param("login", "elevate", "elevate", id="own-sudo-password-wins"),
        pytest.param(None, None, None, id="none-configured"),
    ],
)
def test_effective_sudo_password(
    password: str | None, sudo_password: str | None, expected: str | None
) -> None:
    settings = SSHSettings("n1", "h", password=password, sudo_password=sudo_password)

    assert settings.effective_sudo_password == expected


def test_secrets_include_every_credential_and_the_bastion() -> None:
    hop = SSHSettings("jump", "j", password="hop-pw")
    settings = SSHSettings(
        "n1", "h", password="pw", private_key=b"KEYTEXT", passphrase="pp", bastion=hop
    )

    assert set(settings.secrets()) == {"pw", "KEYTEXT", "pp", "hop-pw"}


def test_repr_hides_secrets() -> None:
    text = repr(SSHSettings("n1", "h", password="pw-123", sudo_password="sp-456"))

    assert "pw-123" not in text and "sp-456" not in text


def test_local_settings_secrets() -> None:
    assert LocalSettings(sudo_password="x1").secrets() == ("x1",)
    assert LocalSettings().secrets() == ()
