from __future__ import annotations

from pathlib import PurePosixPath

from kubexm.logger.masking import SecretMasker

KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"


def test_mask_replaces_known_secrets() -> None:
    masker = SecretMasker(["s3cret-pass", None, ""])
    assert masker.mask("login with s3cret-pass") == "login with ******"
    assert len(masker) == 1


def test_mask_without_secrets_returns_text_unchanged() -> None:
    assert SecretMasker().mask("plain") == "plain"


def test_add_later_secrets() -> None:
    masker = SecretMasker()
    masker.add("abcdef.0123456789abcdef")
    masker.add("abcdef.0123456789abcdef")
    assert masker.mask("kubeadm join --token abcdef.0123456789abcdef") == (
        "kubeadm join --token ******"
    )
    assert len(masker) == 1


def test_mask_multiline_key_line_by_line() -> None:
    masker = SecretMasker([KEY])
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in masker.mask(
        "  MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
    )


def test_mask_fields_walks_nested_values() -> None:
    masker = SecretMasker(["pw123456"])
    fields = {
        "cmd": "echo pw123456",
        "nested": {"list": ["x", "pw123456"], "n": 3, "flag": True, "none": None},
        "tuple": ("pw123456",),
        "path": PurePosixPath("/tmp/pw123456"),
    }
    assert masker.mask_fields(fields) == {
        "cmd": "echo ******",
        "nested": {"list": ["x", "******"], "n": 3, "flag": True, "none": None},
        "tuple": ["******"],
        "path": "/tmp/******",
    }


def test_mask_value_masks_mapping_keys() -> None:
    masker = SecretMasker(["tok999999"])
    assert masker.mask_value({"tok999999": 1}) == {"******": 1}
