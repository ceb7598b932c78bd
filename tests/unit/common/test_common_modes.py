from kubexm.common import modes


def test_secret_modes_give_no_access_to_group_or_others() -> None:
    assert modes.SECRET_FILE & 0o077 == 0
    assert modes.SECRET_DIR & 0o077 == 0


def test_plain_files_are_not_executable() -> None:
    assert modes.FILE & 0o111 == 0
    assert modes.EXECUTABLE & 0o100
