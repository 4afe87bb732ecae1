"""The experiential learning loop (see docs/learning.md).

    intake          traces, memories and feedback built from request fields
    secrets         detect-secrets + gitleaks-derived rules (secret_rules): find, redact
    safety          unsafe advice, injected instructions, hidden text (safety_rules,
                    code_checks for code on its syntax tree)
    clustering      traces grouped by task embedding and error signature
    generalise      one org's traces -> a lesson (deterministic); llm_generalise (LLM)
    admission       filters, contradiction, near-duplicate merge, insert with provenance
    promotion       families of endorsements across orgs, public copies
    curation        one epoch end to end; epochlog its record
    trust           the Beta posterior; trust_upkeep keeps stored trust current
    undo            revert, unmerge, erase
    policy          the knobs

Imports only models, errors, config, signatures, the store protocol and providers.
"""
