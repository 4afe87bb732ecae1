"""An org admin governs its org's lessons: approve, quarantine, reject, erase; the
operator also the shared knowledge base: remove a library.

The web console's actions beyond the agent verbs. Each needs an admin key of the org
that owns the insight (public insights change only through curation, or by the local
operator), takes a reason, and is written to the audit log with the status before.
Another org's insight, or one the caller may not see, is reported as not found.
Removing documentation changes what every org is served, so only the operator may, as
only the operator may re-embed the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_memory.errors import Forbidden, InvalidInput
from spark_memory.learning.admission import insight_text
from spark_memory.learning.undo import Undo, delete_insights, detail, settle_publics
from spark_memory.models import LOCAL_PRINCIPAL, Insight, InsightStatus, Principal, Scope, utcnow
from spark_memory.service.console_reads import is_admin, visible_insight
from spark_memory.store.protocol import AuditEntry, WriteResult

if TYPE_CHECKING:
    from spark_memory.service.facade import Spark

# action -> (the statuses it applies to, the status it sets)
_MOVES = {
    "approve": ((InsightStatus.QUARANTINED,), InsightStatus.ACTIVE),
    "quarantine": ((InsightStatus.ACTIVE,), InsightStatus.QUARANTINED),
    "reject": ((InsightStatus.QUARANTINED, InsightStatus.ACTIVE), InsightStatus.RETIRED),
}
ACTIONS = tuple(_MOVES)


def set_status(
    spark: Spark, insight_id: str, action: str, *, reason: str = "", principal: Principal
) -> Insight:
    """Move an insight between quarantine, active and retired; audited with the reason."""
    if action not in _MOVES:
        raise InvalidInput(f"unknown action {action!r}; expected one of {', '.join(_MOVES)}")
    insight = _governed(spark, insight_id, principal)
    sources, target = _MOVES[action]
    if insight.status not in sources:
        raise InvalidInput(f"cannot {action} an insight that is {insight.status.value}")
    # Read unscoped: the scoped view of another org's public insight hides provenance.
    stored = spark.store.unscoped_insights([insight.id])[insight.id]
    updated = stored.model_copy(update={"status": target, "updated": utcnow()})
    spark.store.put_insight(updated, None, None)
    info = detail(before=insight.status.value, after=target.value, reason=reason.strip())
    _audit(spark, principal, f"insight.{action}", insight.id, info)
    return updated


def erase_insight(spark: Spark, insight_id: str, *, reason: str = "", principal: Principal) -> None:
    """Delete an insight for good (public copies built from it are rebuilt or demoted)."""
    insight = _governed(spark, insight_id, principal)
    undo = Undo(
        spark.store,
        spark.learning_policy,
        spark.standing,
        spark.embedder.embed,
        spark.space,
        insight_text,
    )
    settle_publics(undo, delete_insights(spark.store, [insight.id]))
    info = detail(title=insight.title, status=insight.status.value, reason=reason.strip())
    _audit(spark, principal, "insight.erase", insight.id, info)


def remove_library(
    spark: Spark, library: str, version: str | None, *, reason: str = "", principal: Principal
) -> WriteResult:
    """Remove a library (or one version of it) from the knowledge base; audited."""
    if principal != LOCAL_PRINCIPAL:
        raise Forbidden(
            "the knowledge base is shared by every org: only the operator removes from it"
            " (a key from `spark keys create --operator`)"
        )
    result = spark.kb_remove(library, version)
    target = library if version is None else f"{library}=={version}"
    info = detail(deleted=result.deleted, reason=reason.strip())
    _audit(spark, principal, "kb.remove", target, info)
    return result


def _governed(spark: Spark, insight_id: str, principal: Principal) -> Insight:
    insight = visible_insight(spark, insight_id, principal=principal)
    if not is_admin(principal):
        raise Forbidden("governing lessons needs an org admin key")
    operator = principal.org_id == LOCAL_PRINCIPAL.org_id
    if not operator and (insight.scope is Scope.PUBLIC or insight.org_id != principal.org_id):
        raise Forbidden(
            f"{insight_id} is not your org's: public insights change only through curation"
        )
    return insight


def _audit(spark: Spark, principal: Principal, action: str, target_id: str, info: str) -> None:
    entry = AuditEntry(0, utcnow(), principal.org_id, principal.agent_id, action, target_id, info)
    spark.store.audit(entry)
