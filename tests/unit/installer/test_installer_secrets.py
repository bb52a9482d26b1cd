"""Credentials never leave the installer in clear text."""

from __future__ import annotations

import pytest

from plughost.installer.secrets import mask_lines, mask_secrets


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://user:pass@host/simple", "https://user:****@host/simple"),
        ("http://u:p%40ss@127.0.0.1:8080/simple/", "http://u:****@127.0.0.1:8080/simple/"),
        ("git+https://TOKEN123@github.com/a/b.git", "git+https://****@github.com/a/b.git"),
        (
            "Looking in indexes: https://me:hunter2@pypi.example.com/simple",
            "Looking in indexes: https://me:****@pypi.example.com/simple",
        ),
        ("https://host/simple?token=abc123&x=1", "https://host/simple?token=****&x=1"),
        ("https://host/f.whl?X-Amz-Signature=deadbeef", "https://host/f.whl?X-Amz-Signature=****"),
        ("https://host/p?private_token=zzz", "https://host/p?private_token=****"),
        ("https://host/p?api_key=zzz#frag", "https://host/p?api_key=****#frag"),
        ("https://host/simple", "https://host/simple"),
        ("foo==1.0", "foo==1.0"),
        ("user@example.com wrote", "user@example.com wrote"),
        ("a https://x:y@h1/ and https://z:w@h2/", "a https://x:****@h1/ and https://z:****@h2/"),
    ],
)
def test_mask_secrets(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked


def test_mask_lines_masks_every_line() -> None:
    lines = ["ok", "https://a:b@h/", "https://h/?token=t"]

    assert mask_lines(lines) == ["ok", "https://a:****@h/", "https://h/?token=****"]
