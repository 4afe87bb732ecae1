"""Tenancy use cases: API keys for orgs and their agents, and who a key belongs to.

A key is ``spk_`` followed by 40 random URL-safe characters. It is shown once, when
created; the store keeps only its SHA-256, so a stolen database yields no usable key.
The key's id embeds the org (``key_<org>.<random>``) so an org admin can revoke its
own keys by id without being able to name, or even probe, another org's.

Org and agent names are slugs; an agent's id is ``<org>/<name>``, unique across orgs.
The org name ``local`` is reserved for the embedded single-user principal.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from spark_memory.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from spark_memory.models import (
    LOCAL_PRINCIPAL,
    Agent,
    ApiKey,
    Org,
    Principal,
    Role,
)
from spark_memory.results import (  # defined there; importable from here too
    NewKey as NewKey,
)
from spark_memory.service.base import ServiceBase

KEY_PREFIX = "spk_"
_SECRET_BYTES = 30  # 40 URL-safe characters
_KEY_FORMAT = re.compile(r"spk_[A-Za-z0-9_-]{40}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_KEY_ID = re.compile(r"key_(?P<org>[a-z0-9][a-z0-9_-]{0,62})\.[0-9a-f]{12}")


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def agent_id_of(org: str, agent: str) -> str:
    return f"{org}/{agent}"


class Tenancy(ServiceBase):
    def create_key(
        self,
        org: str,
        agent: str,
        role: Role | str = Role.WRITER,
        *,
        principal: Principal,
    ) -> NewKey:
        """A new key for ``agent`` of ``org``; the org and agent are created on first use.

        The local operator may create keys for any org; an org admin only for its own.
        """
        org, agent, role = _slug(org, "org"), _slug(agent, "agent"), _role(role)
        _may_manage(principal, org)
        if org == LOCAL_PRINCIPAL.org_id:
            raise InvalidInput(f"the org name {org!r} is reserved for the embedded local user")
        agent_id = agent_id_of(org, agent)
        self._ensure_agent(org, agent_id, agent)
        return self._issue(org, agent_id, role)

    def create_operator_key(self, *, principal: Principal) -> NewKey:
        """A key that acts as the local operator (org ``local``), e.g. to sign in to the
        web console of a local install; only the operator itself, on the store's machine,
        may make one. It holds the operator's powers over HTTP too: keep it like a root
        password, and revoke it (`spark keys revoke`) when done."""
        if principal != LOCAL_PRINCIPAL:
            raise Forbidden("only the operator, on the server's machine, makes an operator key")
        org, agent_id = LOCAL_PRINCIPAL.org_id, LOCAL_PRINCIPAL.agent_id
        self._ensure_agent(org, agent_id, agent_id)
        return self._issue(org, agent_id, Role.ADMIN)

    def _issue(self, org: str, agent_id: str, role: Role) -> NewKey:
        secret = KEY_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
        key_id = f"key_{org}.{secrets.token_hex(6)}"
        self.store.put_api_key(
            ApiKey(id=key_id, org_id=org, agent_id=agent_id, role=role, key_hash=hash_key(secret))
        )
        return NewKey(key_id, secret, org, agent_id, role)

    def revoke_key(self, key_id: str, *, principal: Principal) -> None:
        """Revoke a key by id; another org's key ids are reported as not found."""
        found = _KEY_ID.fullmatch(key_id)
        if found is None:
            raise NotFound(f"no API key {key_id!r}")
        if principal.org_id != LOCAL_PRINCIPAL.org_id and found["org"] != principal.org_id:
            raise NotFound(f"no API key {key_id!r}")
        _may_manage(principal, found["org"])
        self.store.revoke_api_key(key_id)

    def authenticate(self, raw_key: str) -> Principal:
        """The principal of a key; Unauthorized for a malformed, unknown or revoked key."""
        if not _KEY_FORMAT.fullmatch(raw_key):
            raise Unauthorized("malformed API key: expected spk_ followed by 40 characters")
        key = self.store.find_api_key(hash_key(raw_key))
        if key is None or key.revoked:
            # One message for both, so a caller cannot tell a revoked key from a wrong one.
            raise Unauthorized("unknown or revoked API key")
        return Principal(org_id=key.org_id, agent_id=key.agent_id, role=key.role)

    def _ensure_agent(self, org: str, agent_id: str, name: str) -> None:
        try:
            self.store.get_agent(agent_id)
        except NotFound:
            # Only on first sight: put_agent replaces, and would reset an earned standing.
            self.store.put_org(Org(id=org, name=org))
            self.store.put_agent(Agent(id=agent_id, org_id=org, name=name))


def _may_manage(principal: Principal, org: str) -> None:
    if principal.org_id == LOCAL_PRINCIPAL.org_id and principal.role is Role.ADMIN:
        return
    if principal.role is not Role.ADMIN:
        raise Forbidden("managing API keys needs an org admin key")
    if principal.org_id != org:
        raise Forbidden("an org admin manages only its own org's keys")


def _slug(value: str, what: str) -> str:
    if not _SLUG.fullmatch(value):
        raise InvalidInput(
            f"{what} name {value[:70]!r} must be 1-63 lower-case letters, digits, '-' or '_',"
            " starting with a letter or digit"
        )
    return value


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput(f"role must be one of {choices}; got {value!r}") from exc
