"""Several registries: listing, `[REGISTRY/]NAME[@VERSION]`, failures that do not stop the others,
dependencies from the same registry first, folder and unsupported registries."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from tests.registry.conftest import PASSWORD, USER, Catalog, write_addon
from veladdon.addon.loader import load_addon
from veladdon.addon.versions import DependencyError, VersionNotFoundError
from veladdon.errors import InputError
from veladdon.registry import (
    AddonNotFoundError,
    AddonRef,
    ClusterVersions,
    Registries,
    RegistryError,
    RegistryNotConfigured,
    RegistrySpec,
    VersionUnavailableError,
    list_available,
    parse_addon_ref,
    resolve,
)


@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("fluxcd", None, AddonRef("fluxcd")),
        ("kubevela/fluxcd", None, AddonRef("fluxcd", "kubevela")),
        ("fluxcd@1.2.0", None, AddonRef("fluxcd", None, "1.2.0")),
        ("kubevela/fluxcd@v1.2.0", "1.2.0", AddonRef("fluxcd", "kubevela", "v1.2.0")),
        ("fluxcd", "1.0.0", AddonRef("fluxcd", None, "1.0.0")),
    ],
)
def test_parse_addon_ref(text: str, version: str | None, expected: AddonRef) -> None:
    assert parse_addon_ref(text, version) == expected


@pytest.mark.parametrize(
    ("text", "version"),
    [("test/kubevela/fluxcd", None), ("fluxcd@", None), ("/x", None), ("a@1.0.0", "2.0.0")],
)
def test_bad_addon_refs(text: str, version: str | None) -> None:
    with pytest.raises(InputError):
        parse_addon_ref(text, version)


@pytest.fixture
def registries(catalog: Catalog, serve: Any, tls_files: tuple[Path, Path]) -> dict[str, Any]:
    """`main` behind basic auth, `other` over self-signed TLS, `broken` answering 500."""
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    main = serve(catalog.main, auth=(USER, PASSWORD))
    other = serve(catalog.other, tls=context)
    broken = serve(catalog.main, status=500)
    specs = [
        RegistrySpec.helm("main", main.url, username=USER, password=PASSWORD),
        RegistrySpec.helm("other", other.url, ca_file=str(cert)),
        RegistrySpec.helm("a-broken", broken.url),
    ]
    return {"specs": specs, "main": main, "other": other, "broken": broken}


def test_list_available_sorted_with_a_warning_for_the_broken_one(registries: dict[str, Any]) -> None:
    listing = list_available(registries["specs"], timeout=5)
    assert [(a.registry, a.name, a.versions) for a in listing.addons] == [
        ("main", "app", ("2.0.0-beta.1", "1.1.0", "1.0.0")),
        ("main", "base", ("1.0.0",)),
        ("other", "base", ("1.2.0", "1.0.0")),
        ("other", "extra", ("0.1.0",)),
    ]
    assert [w.registry for w in listing.warnings] == ["a-broken"]
    assert "HTTP 500" in listing.warnings[0].reason
    assert listing.available_versions()["base"] == ["1.2.0", "1.0.0"]
    only = list_available(registries["specs"], registry="other", timeout=5)
    assert {a.registry for a in only.addons} == {"other"} and not only.warnings


def test_resolve_with_dependency_across_registries(registries: dict[str, Any]) -> None:
    regs = Registries(registries["specs"], timeout=5)
    app = regs.resolve("app", cluster=ClusterVersions(vela="1.8.0"))
    # a-broken is asked first (name order) and fails; main serves.
    assert (app.registry, app.version, app.suits_cluster) == ("main", "1.0.0", True)
    assert [w.registry for w in app.warnings] == ["a-broken"]
    assert load_addon(app.path).metadata.dependencies[0].name == "base"

    deps = regs.resolve_dependencies(app)
    # base: the highest available anywhere is 1.2.0 (only in `other`); main is asked first and lacks it.
    assert [(d.name, d.version, d.registry) for d in deps] == [("base", "1.2.0", "other")]
    assert load_addon(deps[0].path).metadata.version == "1.2.0"
    assert regs.resolve_dependencies(app, installed={"base": "1.0.0"}) == []
    with pytest.raises(DependencyError, match=r"does not match installed version '0.9.0'"):
        regs.resolve_dependencies(app, installed={"base": "0.9.0"})


def test_dependency_prefers_the_parent_registry(registries: dict[str, Any]) -> None:
    regs = Registries(registries["specs"], timeout=5)
    beta = regs.resolve("main/app@2.0.0-beta.1")
    assert beta.version == "2.0.0-beta.1"
    # Pin base to 1.0.0, which both registries have: the parent's registry (main) serves it.
    got = regs.resolve(AddonRef("base", None, "1.0.0"), prefer="other")
    assert got.registry == "other"
    got = regs.resolve(AddonRef("base", None, "1.0.0"), prefer="main")
    assert got.registry == "main"


def test_version_errors_are_not_ignored(registries: dict[str, Any]) -> None:
    regs = Registries(registries["specs"], timeout=5)
    assert regs.resolve("base", version="1.2.0").registry == "other"  # main lacks it, other has it
    with pytest.raises(VersionNotFoundError, match=r"specified version 9.9.9 for addon base not exist"):
        regs.resolve("base@9.9.9")
    with pytest.raises(
        AddonNotFoundError, match=r"addon: nope not found in all candidate registries"
    ) as info:
        regs.resolve("nope")
    assert "a-broken" in (info.value.hint or "")
    with pytest.raises(AddonNotFoundError, match=r"not found in registry main"):
        regs.resolve("main/extra")
    with pytest.raises(RegistryNotConfigured, match=r"specified registry nope not exist"):
        regs.resolve("nope/app")
    with pytest.raises(RegistryError, match=r"every registry asked failed"):
        regs.resolve("a-broken/app")


def test_folder_registry_and_unsupported_types(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "addons"
    write_addon(folder, "local-one", "0.3.0", system={"kubernetes": ">=1.30"})
    (folder / "not-an-addon").mkdir()
    specs = [
        RegistrySpec.local("dev", folder),
        RegistrySpec.from_json(
            {"name": "git-reg", "git": {"url": "https://github.com/o/r/tree/master/addons"}}
        ),
        RegistrySpec.local("indexed", catalog.other),
    ]
    regs = Registries(specs)
    listing = regs.list_available()
    assert [(a.registry, a.name) for a in listing.addons] == [
        ("dev", "local-one"),
        ("indexed", "base"),
        ("indexed", "extra"),
    ]
    assert [w.registry for w in listing.warnings] == ["git-reg"]
    assert "not supported by veladdon" in listing.warnings[0].reason
    got = regs.resolve("local-one", cluster=ClusterVersions(kubernetes="v1.29.0"))
    assert got.path == (folder / "local-one").resolve()
    assert not got.suits_cluster and "needs kubernetes >=1.30" in got.reason
    with pytest.raises(VersionUnavailableError, match=r"holding only version 0.3.0"):
        regs.resolve("local-one", version="0.4.0")
    assert resolve("indexed/extra", specs).version == "0.1.0"


def test_registry_spec_json_round_trip() -> None:
    docs = [
        {"name": "KubeVela", "helm": {"url": "https://kubevela.github.io/catalog/official"}},
        {
            "name": "p",
            "helm": {"url": "https://x", "insecureSkipTLS": True, "username": "u", "password": "p"},
        },
        {"name": "g", "gitlab": {"url": "https://gitlab.com/o/r", "repo": "r", "tokenSecretRef": "s"}},
        {"name": "o", "oss": {"end_point": "https://oss", "bucket": "", "path": ""}},
    ]
    for doc in docs:
        assert RegistrySpec.from_json(doc).to_json() == doc
    assert RegistrySpec.from_json(
        {"name": "o", "oss": {"end_point": "oss.example.com", "bucket": "b"}}
    ).url == ("https://b.oss.example.com")
    assert RegistrySpec.from_json(docs[0]).url == "https://kubevela.github.io/catalog/official"
    with pytest.raises(InputError, match=r"exactly one source"):
        RegistrySpec.from_json({"name": "x"})
