from kubexm.config.secrets import secrets_in_data, secrets_in_text


def test_secrets_in_data_finds_values_at_any_depth_once() -> None:
    data = {
        "spec": {
            "global": {"password": "a-pass"},
            "hosts": [{"privateKey": "KEY"}, {"password": "a-pass"}],
            "registry": {"auths": {"r": {"auth": "dXNlcjpwdw=="}}},
            "other": {"name": "password"},
        }
    }
    assert secrets_in_data(data) == ["a-pass", "KEY", "dXNlcjpwdw=="]


def test_secrets_in_data_ignores_empty_and_non_text_values() -> None:
    assert secrets_in_data({"password": "", "privateKey": 5, "auth": {"username": "u"}}) == []


def test_secrets_in_text_scans_broken_yaml() -> None:
    text = "spec:\n  global:\n    password: 'Sekr1t\n  - privateKey: abc # key\n  key: |\n"
    found = secrets_in_text(text)
    assert "'Sekr1t" in found
    assert "Sekr1t" in found
    assert "abc # key" in found


def test_secrets_in_text_skips_block_scalars() -> None:
    assert secrets_in_text("privateKey: |\n  line\n") == []
