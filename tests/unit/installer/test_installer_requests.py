"""Every accepted and rejected shape of the install request's fields.

InvenTree 198 let ``-r/etc/passwd``, ``--index-url=...`` and friends through
to pip (behaviour spec 9.2); each of those must now be refused before pip
runs, naming the field and what it accepts.
"""

from __future__ import annotations

import pytest

from plughost.core.errors import InstallInputError
from plughost.installer.requests import InstallTarget, parse_install_request

ACCEPTED = [
    # (packagename, version, url) -> (pip args, plugins.txt line)
    pytest.param("my-plugin", None, None, ["my-plugin"], "my-plugin", id="name"),
    pytest.param("My_Plugin", None, None, ["My_Plugin"], "My_Plugin", id="name-any-case"),
    pytest.param("my-plugin>=1.2", None, None, ["my-plugin>=1.2"], "my-plugin>=1.2", id="spec"),
    pytest.param("my-plugin", "1.2.3", None, ["my-plugin==1.2.3"], "my-plugin==1.2.3", id="exact"),
    pytest.param("my-plugin", ">=1.0", None, ["my-plugin>=1.0"], "my-plugin>=1.0", id="ver-spec"),
    pytest.param(
        "my-plugin", ">=1.0, <2", None, ["my-plugin<2,>=1.0"], "my-plugin<2,>=1.0", id="range"
    ),
    pytest.param(
        "my-plugin>=1", "<2", None, ["my-plugin<2,>=1"], "my-plugin<2,>=1", id="spec-and-version"
    ),
    pytest.param(
        "my-plugin[extra]; python_version >= '3.8'",
        None,
        None,
        ['my-plugin[extra]; python_version >= "3.8"'],
        'my-plugin[extra]; python_version >= "3.8"',
        id="extras-and-marker",
    ),
    pytest.param(
        "  my-plugin  ", "", "", ["my-plugin"], "my-plugin", id="spaces-around-and-blank-fields"
    ),
    pytest.param(
        "my-plugin",
        None,
        "https://pypi.example.com/simple",
        ["--index-url", "https://pypi.example.com/simple", "my-plugin"],
        "my-plugin",
        id="index",
    ),
    pytest.param(
        "my-plugin",
        "2.0",
        "http://127.0.0.1:8080/simple/",
        ["--index-url", "http://127.0.0.1:8080/simple/", "my-plugin==2.0"],
        "my-plugin==2.0",
        id="http-loopback-index",
    ),
    pytest.param(
        "my-plugin",
        None,
        "https://u:p@pypi.example.com/simple",
        ["--index-url", "https://u:p@pypi.example.com/simple", "my-plugin"],
        "my-plugin",
        id="index-with-credentials",
    ),
    pytest.param(
        "my-plugin",
        None,
        "git+https://github.com/acme/my-plugin.git@v1.0",
        ["my-plugin @ git+https://github.com/acme/my-plugin.git@v1.0"],
        "my-plugin @ git+https://github.com/acme/my-plugin.git@v1.0",
        id="vcs-with-name",
    ),
    pytest.param(
        None,
        None,
        "git+https://github.com/acme/my-plugin.git",
        ["git+https://github.com/acme/my-plugin.git"],
        None,
        id="bare-vcs",
    ),
    pytest.param(
        None,
        None,
        "hg+https://hg.example.com/repo",
        ["hg+https://hg.example.com/repo"],
        None,
        id="hg",
    ),
    pytest.param(
        None,
        None,
        "svn+https://svn.example.com/repo",
        ["svn+https://svn.example.com/repo"],
        None,
        id="svn",
    ),
    pytest.param(
        None,
        None,
        "bzr+https://bzr.example.com/repo",
        ["bzr+https://bzr.example.com/repo"],
        None,
        id="bzr",
    ),
    pytest.param(
        None,
        None,
        "git+http://git.example.com/repo",
        ["git+http://git.example.com/repo"],
        None,
        id="git-http",
    ),
    pytest.param(
        "my-plugin @ git+https://github.com/acme/p.git",
        None,
        None,
        ["my-plugin @ git+https://github.com/acme/p.git"],
        "my-plugin @ git+https://github.com/acme/p.git",
        id="vcs-in-packagename",
    ),
    pytest.param(
        "my-plugin @ https://files.example.com/my_plugin-1.0-py3-none-any.whl",
        None,
        None,
        ["my-plugin @ https://files.example.com/my_plugin-1.0-py3-none-any.whl"],
        "my-plugin @ https://files.example.com/my_plugin-1.0-py3-none-any.whl",
        id="https-archive-in-packagename",
    ),
]


@pytest.mark.parametrize(("packagename", "version", "url", "args", "line"), ACCEPTED)
def test_accepted(
    packagename: str | None, version: str | None, url: str | None, args: list[str], line: str | None
) -> None:
    target = parse_install_request(packagename, version, url)

    assert target.pip_args() == args
    assert target.requirement_line() == line
    assert not any(arg.startswith("-") for arg in args if arg != "--index-url")


REJECTED = [
    # (packagename, version, url, field, words the message must contain)
    pytest.param("-r/etc/passwd", None, None, "packagename", "option", id="requirements-file"),
    pytest.param("--index-url=x", None, None, "packagename", "option", id="index-option"),
    pytest.param("-e.", None, None, "packagename", "option", id="editable"),
    pytest.param("-", None, None, "packagename", "option", id="dash"),
    pytest.param("foo; rm -rf /", None, None, "packagename", "not a valid", id="shell"),
    pytest.param("foo && rm -rf /", None, None, "packagename", "not a valid", id="shell-and"),
    pytest.param("foo | cat", None, None, "packagename", "not a valid", id="pipe"),
    pytest.param("$(id)", None, None, "packagename", "not a valid", id="subshell"),
    pytest.param("foo\nbar", None, None, "packagename", "U+000A", id="newline"),
    pytest.param("foo\rbar", None, None, "packagename", "U+000D", id="carriage-return"),
    pytest.param("foo\tbar", None, None, "packagename", "U+0009", id="tab"),
    pytest.param("foo\x00", None, None, "packagename", "U+0000", id="nul"),
    pytest.param("foo\u200b", None, None, "packagename", "U+200B", id="zero-width"),
    pytest.param("foo\u2028-r x", None, None, "packagename", "U+2028", id="line-separator"),
    pytest.param("file:///tmp/x", None, None, "packagename", "not a valid", id="file-url"),
    pytest.param("/tmp/x.whl", None, None, "packagename", "not a valid", id="abs-path"),
    pytest.param("./pkg", None, None, "packagename", "not a valid", id="rel-path"),
    pytest.param("..", None, None, "packagename", "not a valid", id="dotdot"),
    pytest.param("pkg/sub", None, None, "packagename", "not a valid", id="slash"),
    pytest.param("foo @ file:///x", None, None, "packagename", "file:", id="file-direct-url"),
    pytest.param("foo @ /tmp/x", None, None, "packagename", "not", id="path-direct-url"),
    pytest.param("foo @ ftp://h/x.whl", None, None, "packagename", "ftp:", id="ftp-direct-url"),
    pytest.param("foo # comment", None, None, "packagename", "not a valid", id="comment"),
    pytest.param("foo==1 --hash=sha256:0", None, None, "packagename", "not a valid", id="hash"),
    pytest.param(None, None, None, "packagename", "Either", id="nothing"),
    pytest.param("", "", "", "packagename", "Either", id="all-blank"),
    pytest.param("foo", "abc", None, "version", "not a valid version", id="version-word"),
    pytest.param("foo", "==1; rm", None, "version", "not a valid version", id="version-shell"),
    pytest.param("foo", "-1", None, "version", "option", id="version-dash"),
    pytest.param("foo", "1.0\n-r x", None, "version", "U+000A", id="version-newline"),
    pytest.param("foo", "1.0 --pre", None, "version", "not a valid version", id="version-opt"),
    pytest.param(None, "1.0", None, "version", "packagename", id="version-alone"),
    pytest.param(
        "foo", "1.0", "git+https://h.example.com/r", "version", "VCS", id="version-with-vcs"
    ),
    pytest.param("foo", None, "ftp://host/simple", "url", "ftp:", id="ftp"),
    pytest.param("foo", None, "file:///tmp/simple", "url", "file:", id="url-file"),
    pytest.param("foo", None, "/tmp/simple", "url", "not accepted", id="url-path"),
    pytest.param("foo", None, "./wheels", "url", "not accepted", id="url-rel-path"),
    pytest.param("foo", None, "--extra-index-url=x", "url", "option", id="url-option"),
    pytest.param("foo", None, "https://", "url", "host", id="url-no-host"),
    pytest.param("foo", None, "https://host:0/simple", "url", "host", id="url-port-0"),
    pytest.param("foo", None, "https://host:99999/simple", "url", "valid URL", id="url-port"),
    pytest.param("foo", None, "https://h/simple x", "url", "U+0020", id="url-space"),
    pytest.param("foo", None, "https://h/\nsimple", "url", "U+000A", id="url-newline"),
    pytest.param("foo", None, "git+ssh://git@h/r.git", "url", "git+ssh:", id="git-ssh"),
    pytest.param("foo", None, "git+file:///tmp/r", "url", "git+file:", id="git-file"),
    pytest.param(
        "foo>=1", None, "git+https://h.example.com/r", "packagename", "VCS", id="spec-with-vcs"
    ),
    pytest.param(
        "foo @ git+https://h.example.com/r",
        None,
        "https://pypi.example.com/simple",
        "url",
        "one field",
        id="two-urls",
    ),
]


@pytest.mark.parametrize(("packagename", "version", "url", "field", "words"), REJECTED)
def test_rejected(
    packagename: str | None, version: str | None, url: str | None, field: str, words: str
) -> None:
    with pytest.raises(InstallInputError) as caught:
        parse_install_request(packagename, version, url)

    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("field", "accepted"),
    [
        ("packagename", "PEP 508 requirement"),
        ("version", "PEP 440 version"),
        ("url", "http(s) package index"),
    ],
)
def test_rejection_names_what_is_accepted(field: str, accepted: str) -> None:
    fields = {"packagename": "foo", "version": None, "url": None} | {field: "-x"}

    with pytest.raises(InstallInputError) as caught:
        parse_install_request(fields["packagename"], fields["version"], fields["url"])

    assert caught.value.field == field
    assert accepted in caught.value.message


def test_credentials_are_masked_in_messages_and_descriptions() -> None:
    target = parse_install_request("foo", None, "https://user:s3cret@pypi.example.com/simple")
    with pytest.raises(InstallInputError) as caught:
        parse_install_request("foo", None, "ftp://user:s3cret@host/x")

    assert "s3cret" not in target.describe()
    assert "user:****@" in target.describe()
    assert "s3cret" not in caught.value.message


def test_name_is_canonical() -> None:
    assert parse_install_request("My_Plugin.Name", None, None).name == "my-plugin-name"
    assert parse_install_request(None, None, "git+https://h.example.com/r").name is None


def test_bare_vcs_target_gets_a_line_once_named() -> None:
    target = parse_install_request(None, None, "git+https://h.example.com/r.git@v2")

    named = target.with_name("My-Plugin")

    assert named.requirement_line() == "My-Plugin @ git+https://h.example.com/r.git@v2"
    assert named.pip_args() == ["My-Plugin @ git+https://h.example.com/r.git@v2"]
    with pytest.raises(InstallInputError):
        target.with_name("-r x")
    with pytest.raises(InstallInputError):
        target.with_name("foo>=1")


def test_index_url_is_never_part_of_the_requirement_line() -> None:
    target = parse_install_request("foo", "1.0", "https://pypi.example.com/simple")

    assert target == InstallTarget(
        requirement=target.requirement, index_url="https://pypi.example.com/simple"
    )
    assert target.requirement_line() == "foo==1.0"
