"""`veladdon registry add|update|delete|get|list`: the addon registries a cluster knows (shared with vela)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from veladdon.cli.console import Terminal
from veladdon.cli.help import Group
from veladdon.cli.options import Context, Kubeconfig, Output, OutputFormat, plain_table
from veladdon.errors import InputError

if TYPE_CHECKING:
    from veladdon.registry import RegistrySpec

registry_app = typer.Typer(
    name="registry",
    help="Manage addon registries (stored in the cluster).",
    no_args_is_help=True,
    cls=Group,
    rich_markup_mode=None,
)


class Kind(StrEnum):
    helm = "helm"
    local = "local"
    git = "git"
    gitee = "gitee"
    gitlab = "gitlab"
    oss = "OSS"


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app)


Endpoint = Annotated[
    str | None,
    typer.Option("--endpoint", metavar="URL", help="The registry URL (a folder for --type local)."),
]
TypeOpt = Annotated[Kind, typer.Option("--type", help="helm, local, git, gitee, gitlab or OSS.")]
Username = Annotated[str, typer.Option("--username", metavar="USER", help="Helm: basic-auth user.")]
Password = Annotated[str, typer.Option("--password", metavar="PASSWORD", help="Helm: basic-auth password.")]
Insecure = Annotated[
    bool,
    typer.Option("--insecure-skip-tls", "--insecureSkipTLS", help="Helm: do not verify TLS certificates."),
]
CaFile = Annotated[
    str, typer.Option("--ca-file", metavar="FILE", help="Helm: a CA bundle for a private registry.")
]
PathOpt = Annotated[
    str, typer.Option("--path", metavar="PATH", help="git/gitee/gitlab/OSS: the folder of addons.")
]
Token = Annotated[
    str, typer.Option("--git-token", "--gitToken", metavar="TOKEN", help="git/gitee/gitlab: an access token.")
]
Repo = Annotated[
    str,
    typer.Option("--gitlab-repo-name", "--gitlabRepoName", metavar="REPO", help="gitlab: the repository."),
]
Bucket = Annotated[str, typer.Option("--bucket", metavar="BUCKET", help="OSS: the bucket.")]


def _spec(
    name: str, kind: Kind, endpoint: str | None, username: str, password: str, insecure: bool, ca_file: str,
    path: str, token: str, repo: str, bucket: str,
) -> RegistrySpec:  # fmt: skip
    from veladdon.registry import RegistrySpec

    if not endpoint:
        raise InputError(
            "addon registry must set --endpoint flag", hint="e.g. --endpoint https://charts.example.com"
        )
    if kind is Kind.helm:
        return RegistrySpec.helm(
            name, endpoint, username=username, password=password, insecure_skip_tls=insecure, ca_file=ca_file
        )
    if kind is Kind.local:
        return RegistrySpec.local(name, endpoint)
    body: dict[str, Any]
    if kind is Kind.oss:
        body = {"oss": {"end_point": endpoint, "bucket": bucket, "path": path}}
    else:
        body = {kind.value: {"url": endpoint, "path": path, "token": token, "repo": repo}}
    return RegistrySpec.from_json({"name": name, **body})


def _save(
    ctx: typer.Context, spec: RegistrySpec, kubeconfig: str | None, context: str | None, update: bool
) -> None:
    from veladdon.addon.model import system_namespace
    from veladdon.kube.cluster import Cluster
    from veladdon.kube.registry_store import save_registry
    from veladdon.registry import Registries, RegistryError

    term: Terminal = ctx.obj
    if not update and spec.kind in ("helm", "local"):
        try:
            Registries([spec], refresh=True).open(spec.name).list_addons()
        except RegistryError as exc:
            raise RegistryError(f"fail to add registry {spec.name}: {exc.message}", hint=exc.hint) from exc
    with Cluster.connect(kubeconfig, context) as cluster:
        save_registry(cluster, system_namespace(), spec, must_exist=update)
    term.write(f"Registry {spec.name} {'updated' if update else 'added'} successfully.\n")


def _saver(*, update: bool, doc: str) -> Callable[..., None]:
    """`add` and `update` take the same flags; they differ in whether the registry must exist."""

    def command(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(metavar="NAME", help="The registry's name.")],
        kind: TypeOpt = Kind.helm,
        endpoint: Endpoint = None,
        username: Username = "",
        password: Password = "",
        insecure: Insecure = False,
        ca_file: CaFile = "",
        path: PathOpt = "",
        token: Token = "",
        repo: Repo = "",
        bucket: Bucket = "",
        kubeconfig: Kubeconfig = None,
        context: Context = None,
    ) -> None:
        spec = _spec(name, kind, endpoint, username, password, insecure, ca_file, path, token, repo, bucket)
        _save(ctx, spec, kubeconfig, context, update=update)

    command.__doc__ = doc
    return command


registry_app.command("add")(
    _saver(update=False, doc="Add a registry (a Helm one is checked by fetching its index).")
)
registry_app.command("update")(_saver(update=True, doc="Replace an existing registry's settings."))


@registry_app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The registry's name.")],
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """Delete a registry (and its token Secret). Deleting one that does not exist is not an error."""
    from veladdon.addon.model import system_namespace
    from veladdon.kube.cluster import Cluster
    from veladdon.kube.registry_store import delete_registry

    term: Terminal = ctx.obj
    with Cluster.connect(kubeconfig, context) as cluster:
        delete_registry(cluster, system_namespace(), name)
    term.write(f"Registry {name} deleted successfully.\n")


def _row(spec: RegistrySpec) -> dict[str, Any]:
    return {"name": spec.name, "type": spec.kind, "url": spec.url}


HEADER = ["NAME", "TYPE", "URL"]


def _show(term: Terminal, rows: list[dict[str, Any]], output: OutputFormat) -> None:
    from veladdon.addon.yamlutil import dump_json, dump_yaml

    if output is OutputFormat.json:
        term.write(dump_json(rows))
    elif output is OutputFormat.yaml:
        term.write(dump_yaml(rows))
    else:
        term.write(plain_table(HEADER, [[str(row[h.lower()]) for h in HEADER] for row in rows]))


@registry_app.command("list")
def list_cmd(
    ctx: typer.Context,
    output: Output = OutputFormat.text,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """The registries the cluster knows, sorted by name."""
    from veladdon.addon.model import system_namespace
    from veladdon.kube.cluster import Cluster
    from veladdon.kube.registry_store import list_registries

    term: Terminal = ctx.obj
    with Cluster.connect(kubeconfig, context) as cluster:
        specs, warnings = list_registries(cluster, system_namespace())
    for warning in warnings:
        term.warn(warning)
    _show(term, [_row(s) for s in specs], output)


@registry_app.command("get")
def get(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The registry's name.")],
    output: Output = OutputFormat.text,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """One registry's settings (passwords and tokens are not shown)."""
    from veladdon.addon.model import system_namespace
    from veladdon.kube.cluster import Cluster
    from veladdon.kube.registry_store import get_registry

    term: Terminal = ctx.obj
    with Cluster.connect(kubeconfig, context) as cluster:
        spec = get_registry(cluster, system_namespace(), name)
    body = spec.to_json()[spec.kind]
    for secret in ("password", "token"):
        if secret in body:
            body[secret] = "***"
    if output is OutputFormat.text:
        _show(term, [_row(spec)], output)
    else:
        _show(term, [{"name": spec.name, "type": spec.kind, spec.kind: body}], output)


__all__ = ["register"]
