"""`spark keys`: API keys for agents of orgs. The secret is printed once, never stored.

    spark keys create --org acme --agent ci-bot [--role reader|writer|admin]
    spark keys create --operator     # signs the local operator in to the web console
    spark keys revoke KEY_ID

On the server's machine this is the operator's tool (any org). With ``--server`` it
acts for the org of ``$SPARK_API_KEY``, which must be an admin key of that org.
"""

from __future__ import annotations

import click

from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.models import LOCAL_PRINCIPAL, Role
from spark_memory.service.tenancy import NewKey


@click.group("keys")
def keys_group() -> None:
    """Create and revoke API keys."""


@keys_group.command("create")
@click.option("--org", default=None, help="The agent's org (omit with --server: the key's org).")
@click.option("--agent", default=None, help="The agent's name within the org.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.WRITER.value,
    show_default=True,
)
@click.option(
    "--operator",
    is_flag=True,
    help="A key of the local operator (org `local`, admin), e.g. to sign in to the web"
    " console: it sees what local agents wrote and governs every org. Local store only.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def create(
    obj: CliContext, org: str | None, agent: str | None, role: str, operator: bool, as_json: bool
) -> None:
    """Create a key; its secret is shown now and never again."""
    if operator:
        named_role = click.get_current_context().get_parameter_source("role")
        if (
            obj.server is not None
            or org is not None
            or agent is not None
            or (named_role is click.core.ParameterSource.COMMANDLINE)
        ):
            raise click.UsageError(
                "--operator makes the local operator's key: no --server, --org, --agent or --role"
            )
        _show(obj.local.create_operator_key(principal=LOCAL_PRINCIPAL), as_json)
        return
    if agent is None:
        raise click.UsageError("--agent is required (or --operator for the operator's key)")
    if obj.server is not None:
        if org is not None:
            # The org of a request comes from its key; naming another one changes nothing.
            raise click.UsageError("with --server the org is your key's: omit --org")
        key = obj.client.create_key(agent, role)
    elif org is None:
        raise click.UsageError("--org is required on the local store")
    else:
        key = obj.local.create_key(org, agent, role, principal=LOCAL_PRINCIPAL)
    _show(key, as_json)


def _show(key: NewKey, as_json: bool) -> None:
    if as_json:
        emit_json(key.as_dict())
        return
    click.echo(f"key for {key.agent_id} ({key.role.value}), id {key.id}:")
    click.echo(key.secret)
    click.echo("Store it now: it is not shown again. Agents send it as SPARK_API_KEY.", err=True)


@keys_group.command("revoke")
@click.argument("key_id")
@pass_ctx
def revoke(obj: CliContext, key_id: str) -> None:
    """Revoke a key by id; requests with it get 401 from now on."""
    if obj.server is not None:
        obj.client.revoke_key(key_id)
    else:
        obj.local.revoke_key(key_id, principal=LOCAL_PRINCIPAL)
    click.echo(f"revoked {key_id}")
