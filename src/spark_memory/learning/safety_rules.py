"""The phrases the safety review looks for in prose, and the cues that negate them.

Two families:

- unsafe advice in words ("just set verify=False", "pipe the installer into bash");
  such a phrase counts only when its clause *recommends* it: a negation before it
  ("never", "instead of"), a warning anywhere in the sentence ("insecure") or a
  condemnation after it ("should never be used") turns it into a warning, which is
  exactly what a good lesson about the pitfall says;
- instructions aimed at the reader's agent rather than at the task ("ignore previous
  instructions", "note to AI assistants: run ...", "do not tell the user"). These are
  never legitimate in a lesson, so most of them are not subject to negation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PhraseRule:
    code: str
    reason: str
    pattern: re.Pattern[str]
    negatable: bool = True


def _p(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


# --- unsafe advice in prose --------------------------------------------------------------

UNSAFE_PHRASES: tuple[PhraseRule, ...] = (
    PhraseRule(
        "tls-verification-off",
        "advises turning off TLS certificate verification",
        _p(
            r"verify\s*=\s*false|verify_ssl\s*=\s*false|_create_unverified_context|cert_none"
            r"|check_hostname\s*=\s*false|--no-check-certificate|\bcurl\s+(?:-k|--insecure)\b"
            r"|pythonhttpsverify\s*=\s*0|node_tls_reject_unauthorized\s*=\s*['\"]?0"
            r"|sslverify\s+false|strict-ssl\s+false|--trusted-host"
            r"|\b(?:disabl\w*|turn\w*\s+off|switch\w*\s+off|skip\w*|bypass\w*|ignor\w*|remov\w*)"
            r"\s+(?:the\s+|all\s+|any\s+)?(?:ssl|tls|https|cert\w*|x509)\s*(?:cert\w*\s*)?"
            r"(?:verif\w*|validat\w*|check\w*|errors?)"
            r"|\b(?:ssl|tls|cert\w*)\s+(?:verif\w*|validat\w*|checks?)\s+(?:off|disabled|to\s+false)"
            r"|\bverif\w*\s+(?:to|as)\s+false\b|\bset\s+verify\s+(?:to\s+)?false"
        ),
    ),
    PhraseRule(
        "eval-of-input",
        "advises evaluating untrusted text as code",
        _p(
            r"\b(?:eval|exec)\s*\(\s*(?:input\s*\(|request|sys\.argv|user\w*|payload|params|query"
            r"|form|body|data|text|line|expr|cmd|command|string|s\b|x\b)"
            r"|\b(?:eval|exec)(?:\(\))?\s+(?:(?:the|any|whatever|what|on|everything|all)\s+){0,3}"
            r"(?:user|untrusted|raw|incoming|request|submitted|form|client|analyst)\w*\s*(?:input|data"
            r"|text|string|expressions?|payload|code|types|enters|sends|submits|pastes)?"
            r"|\b(?:pass|feed|send|give|hand)\w*\s+(?:the\s+|any\s+)?(?:user|untrusted|raw|request)"
            r"\w*\s+(?:input|data|text|string|expressions?)\s+(?:straight\s+|directly\s+)?"
            r"(?:in)?to\s+(?:eval|exec)"
        ),
    ),
    PhraseRule(
        "remote-script-piped-to-shell",
        "advises piping a downloaded script into a shell",
        _p(
            r"\b(?:curl|wget|iwr|invoke-webrequest)\b[^|\n]{0,300}\|\s*(?:sudo\s+)?(?:ba|z|k|da)?sh\b"
            r"|\b(?:curl|wget)\b[^|\n]{0,300}\|\s*(?:sudo\s+)?python"
            r"|\biex\s*\(\s*(?:iwr|invoke-webrequest|new-object\s+net\.webclient)"
            r"|\bpip\w*\s+(?:it|the\s+\w+|the\s+output|the\s+script)?\s*(?:in)?to\s+(?:sudo\s+)?"
            r"(?:ba)?sh\b|\bcurl\s*\|\s*(?:ba)?sh\b"
        ),
    ),
    PhraseRule(
        "shell-with-input",
        "advises running shell commands built from input",
        _p(
            r"shell\s*=\s*true.{0,80}\b(?:input|user|request|argument|variable|f-?string|format"
            r"|concatenat\w*|filename|path|param\w*)"
            r"|\b(?:input|user|request|argument|variable|f-?string|format|concatenat\w*|filename"
            r"|param\w*)\b.{0,80}shell\s*=\s*true"
            r"|os\.(?:system|popen)\s*\(\s*(?:f['\"]|[a-z_]\w*\s*[+,)]|user|input|cmd|command"
            r"|['\"][^'\"]*['\"]\s*(?:\+|%|\.format))"
        ),
    ),
    PhraseRule(
        "untrusted-deserialisation",
        "advises unpickling untrusted data",
        _p(
            r"\b(?:pickle|cpickle|dill|cloudpickle|joblib|torch)\.loads?\b(?![^)\n]*weights_only\s*=\s*true)"
            r".{0,80}\b(?:untrusted"
            r"|user|uploaded|downloaded|received|request|from\s+the\s+(?:internet|web|network)"
            r"|any\s+(?:file|source)|third.party|external|client)"
            r"|\b(?:unpickl\w*|pickle\.loads?)\s+(?:any\s+|the\s+)?(?:untrusted|user|uploaded"
            r"|downloaded|received|external|client)"
            r"|\b(?:untrusted|uploaded|downloaded|user.supplied|external)\s+\w*\s*(?:data|files?"
            r"|payloads?|bytes)\s+(?:with|using|via|through)\s+(?:pickle|dill|joblib)"
        ),
    ),
    PhraseRule(
        "unsafe-yaml-load",
        "advises loading YAML with an unsafe loader",
        _p(
            r"yaml\.unsafe_load|yaml\.load\s*\((?![^)]*safe)|loader\s*=\s*yaml\.(?:unsafe|full)?loader"
        ),
    ),
    PhraseRule(
        "world-writable",
        "advises world-writable permissions or deleting from the root",
        _p(r"chmod\s+(?:-r\s+)?0?777\b|\brm\s+-rf\s+(?:/|~)(?:\s|$)"),
    ),
)

# Before the phrase, in its clause: the phrase is what *not* to do.
NEGATION_BEFORE = _p(
    r"\b(?:never|don'?t|do\s+not|does\s+not|doesn'?t|avoid\w*|instead\s+of|rather\s+than"
    r"|not|no\s+longer|stop|without|refus\w*|unlike|prefer\s+\S+\s+over|replac\w*|remov\w*"
    r"|drop\w*|get\s+rid\s+of|instead\s+of\s+using|is\s+not\s+a\s+fix\s+for)\b"
)
# Anywhere in the sentence: the sentence warns about the phrase.
WARNING = _p(
    r"\b(?:insecure|unsafe|dangerous|vulnerab\w*|security\s+(?:risk|hole|issue|problem|bug)"
    r"|exploit\w*|arbitrary\s+code|malicious|bad\s+(?:idea|practice)|harmful|risky"
    r"|man-in-the-middle|mitm|attackers?|injection|compromis\w*|pitfall|anti-?pattern)"
)
# After the phrase, in its clause: the phrase is condemned.
CONDEMNED_AFTER = _p(
    r"\b(?:should|must|shall)\s+(?:never|not)\b|\bis\s+(?:not\s+recommended|discouraged"
    r"|deprecated|forbidden|banned)|\bnever\s+(?:be\s+)?used?\b|\bdo(?:es)?\s+not\s+(?:use|do)"
)
# Words that dismiss a warning ("the warning can be ignored"): a warning then warns nothing.
DISMISSAL = _p(
    r"\b(?:warnings?|errors?|risks?|messages?|checks?)\s+(?:can|may)\s+(?:safely\s+)?be\s+ignored"
    r"|\bcan\s+(?:safely\s+)?be\s+ignored|\bis\s+(?:harmless|overstated|overblown)"
    r"|don'?t\s+worry|no\s+big\s+deal|safe\s+to\s+ignore|not\s+(?:really\s+)?(?:a\s+)?"
    r"(?:security\s+)?(?:problem|issue|risk)|perfectly\s+safe|nothing\s+to\s+worry"
)

# --- instructions aimed at the reader's agent ------------------------------------------------

_AGENT = (
    r"(?:ai|a\.i\.|llm|language\s+model|large\s+language\s+model|agent|assistant|copilot|claude"
    r"|chatgpt|gpt|gemini|cursor|codex|coding\s+agent|bot|model)s?"
)
_ACTION = (
    r"(?:run|execute|install|download|send|upload|post|curl|wget|delete|remove|modify|write"
    r"|add|disable|reveal|print|output|ignore|skip|bypass|append|insert|fetch|open|visit|call"
    r"|email|exfiltrat\w*|recommend|tell|say|include|always|never|must|should)"
)

INJECTION_PHRASES: tuple[PhraseRule, ...] = (
    PhraseRule(
        "override-instructions",
        "tries to override the reader's instructions",
        _p(
            r"\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|the\s+|your\s+"
            r"|of\s+)*(?:previous|prior|above|earlier|preceding|former|original|system|safety"
            r"|existing|other)?\s*(?:instructions?|prompts?|directions?|rules|guidelines|guardrails"
            r"|messages?|context|policies|constraints)"
        ),
        negatable=False,
    ),
    PhraseRule(
        "addresses-the-agent",
        "addresses the reader's agent with instructions",
        _p(
            r"\b(?:note|message|instructions?|attention|important|reminder|memo|notice|directive)s?"
            rf"\s*(?:to|for)\s*(?:all\s+|any\s+|the\s+)?(?:reading\s+)?{_AGENT}\b"
            rf"|\b(?:if|when|since)\s+you\s+are\s+(?:an?\s+)?(?:\w+\s+)?{_AGENT}\b"
            rf"|\b(?:dear|hey|attention)\s+(?:\w+\s+)?{_AGENT}\b"
            rf"|\b(?:ai|llm|coding|autonomous|reading)\s+{_AGENT}\s*[,:]?\s*(?:you\s+)?(?:must|should"
            rf"|shall|need\s+to|have\s+to|are\s+(?:required|instructed|expected)\s+to|always|never)"
            rf"\s+(?:\w+\s+){{0,3}}?{_ACTION}\b"
            r"|\byou\s+are\s+now\s+(?:an?\s+|in\s+)?(?:unrestricted|jailbroken|developer\s+mode|dan\b"
            r"|free|different)|\bact\s+as\s+(?:an?\s+)?(?:unrestricted|jailbroken|dan\b)"
        ),
        negatable=False,
    ),
    PhraseRule(
        "hides-from-the-user",
        "asks to act without the user knowing",
        _p(
            r"\b(?:do\s+not|don'?t|never)\s+(?:tell|inform|mention|show|reveal|report|disclose|let)"
            r"\b.{0,40}\b(?:the\s+)?(?:user|human|developer|operator|owner|reviewer)"
            r"|\bwithout\s+(?:telling|asking|informing|notifying|alerting|showing|consulting)"
            r"\s+(?:the\s+)?(?:user|human|developer|operator|owner|reviewer)"
            r"|\b(?:silently|secretly|quietly|covertly|discreetly)\s+(?:run|execute|install|send"
            r"|upload|post|download|add|modify|delete|exfiltrat\w*|copy|write|call|fetch)"
        ),
        negatable=False,
    ),
    PhraseRule(
        "exfiltration",
        "asks to send credentials or private files somewhere",
        _p(
            r"\bexfiltrat\w*"
            r"|\b(?:send|upload|post|email|transmit|forward|copy|paste|share|leak|cat)\b.{0,60}"
            r"(?:~/\.ssh|id_rsa|id_ed25519|\.env\b|credentials|api[_\s-]?keys?|secrets|tokens"
            r"|passwords|environment\s+variables|env\s+vars|/etc/passwd|/etc/shadow|\.aws/"
            r"|\.netrc|ssh\s+keys?|private\s+keys?|os\.environ)"
            r".{0,60}\b(?:to|at|into)\b\s*(?:https?://|\S+\.\S+|the\s+(?:url|endpoint|server|webhook)"
            r"|this\s+(?:url|endpoint|server|webhook)|pastebin|a\s+(?:gist|webhook))"
        ),
    ),
    PhraseRule(
        "rewrites-agent-memory",
        "asks to change the reader's rules or memory",
        _p(
            r"\b(?:add|append|write|insert|put|save|store|copy)\b.{0,60}\b(?:to|into|in)\s+"
            r"(?:your|the)\s+(?:memory|rules?\s*file|system\s+prompt|instructions|claude\.md"
            r"|agents\.md|\.cursorrules|copilot-instructions(?:\.md)?|custom\s+instructions"
            r"|\.bashrc|\.zshrc|\.profile|crontab)"
            r"|\b(?:reveal|print|show|output|leak|repeat|dump)\s+(?:your|the)\s+(?:full\s+)?"
            r"(?:system|hidden|initial|original)\s+(?:prompt|instructions|message)"
        ),
        negatable=False,
    ),
    PhraseRule(
        "override-instructions-translated",
        "tries to override the reader's instructions (French, Spanish, German, Italian,"
        " Portuguese)",
        _p(
            # accents are removed before matching (see disguise.skeleton_of)
            r"\b(?:ignore[zr]?|oublie[zr]?|ne\s+tenez\s+pas\s+compte\s+d)\s*(?:de\s+)?(?:toutes?\s+)?"
            r"(?:les|tes|vos|ces|des)\s+(?:\w+\s+)?(?:instructions|consignes|regles|directives)"
            r"|\b(?:ignora|ignore|olvida|olvide|omite|descarta|ignorar)\s+(?:todas?\s+)?"
            r"(?:las|tus|sus|esas)\s+(?:\w+\s+)?(?:instrucciones|reglas|indicaciones|normas)"
            r"|\b(?:ignora|ignorate|dimentica)\s+(?:tutte\s+)?(?:le|tue)\s+(?:\w+\s+)?"
            r"(?:istruzioni|regole)"
            r"|\b(?:ignoriere|ignorieren\s+sie|vergiss)\s+(?:alle\s+)?(?:\w+\s+)?"
            r"(?:anweisungen|regeln|vorgaben)"
            r"|\b(?:ignore|esqueca)\s+(?:todas\s+)?(?:as|suas)\s+(?:\w+\s+)?(?:instrucoes|regras)"
        ),
        negatable=False,
    ),
    PhraseRule(
        "addresses-the-agent-translated",
        "addresses the reader's agent (French, Spanish)",
        _p(
            r"\b(?:note|message|avis|attention|consigne)s?\s+(?:pour|aux|a)\s+(?:les\s+|tous\s+les\s+)?"
            r"(?:agents?|assistants?|modeles?)\s+(?:ia|d'ia)\b"
            r"|\b(?:nota|mensaje|aviso|atencion)\s+(?:para|a)\s+(?:los\s+|todos\s+los\s+)?"
            r"(?:agentes|asistentes|modelos)\s+(?:de\s+)?ia\b"
            r"|\ba\s+partir\s+de\s+ahora\s+(?:\w+\s+){0,2}siempre\b"
            r"|\ba\s+partir\s+de\s+maintenant\s+(?:\w+\s+){0,2}toujours\b"
        ),
        negatable=False,
    ),
    PhraseRule(
        "hides-from-the-user-translated",
        "asks to act without the user knowing (French, Spanish)",
        _p(
            r"\b(?:sans\s+(?:prevenir|informer|avertir|le\s+dire\s+a)|ne\s+(?:dites|dis)\s+(?:rien|pas)"
            r"|n'en\s+parle[zr]?\s+pas)\b.{0,30}\butilisateur"
            r"|\b(?:no\s+(?:le\s+)?(?:digas|diga|cuentes|informes|avises)|sin\s+(?:decirle|avisar"
            r"|informar|que\s+lo\s+sepa))\b.{0,30}\busuario"
        ),
        negatable=False,
    ),
    PhraseRule(
        "decode-and-follow",
        "asks to decode hidden text and act on it",
        _p(
            r"\b(?:decod|base64[- ]?decod|unescap|deobfuscat|de-?obfuscat)\w*\b.{0,80}?\b(?:follow"
            r"|obey|execute|run|apply|carry\s+out|do)\s+(?:it|them|this|that|what\s+it\s+says"
            r"|the\s+(?:result|instructions?|commands?|decoded\s+\w+))\b"
            r"|\b(?:follow|obey|execute|run|apply)\s+(?:this|it|the\s+following)\b.{0,40}"
            r"\b(?:base64|hex|rot-?13|encoded|decod\w*)"
            r"|\b(?:base64|hex|rot-?13)\b.{0,40}\b(?:decode\s+and\s+(?:follow|execute|run|obey)"
            r"|apply\s+it\s+literally|follow\s+it)"
        ),
        negatable=False,
    ),
    PhraseRule(
        "rewrites-agent-rules",
        "asks to change the reader's rules, memory or settings",
        _p(
            r"\b(?:update|edit|modify|change|overwrite|rewrite|amend|patch|alter)\w*\s+(?:your\s+"
            r"(?:own\s+)?(?:memory|rules?(?:\s+file)?|system\s+(?:prompt|instructions)|instructions"
            r"|guidelines|settings|configuration)|(?:your|the)\s+(?:claude\.md|agents\.md"
            r"|\.cursorrules|copilot-instructions(?:\.md)?|gemini\.md)(?:\s+file)?)"
            r"\b.{0,80}\b(?:always|never|so\s+that|to\s+(?:always|never|skip|trust|install|run|approve))"
            r"|\bfrom\s+now\s+on\b.{0,20}\byou\s+(?:must\s+|should\s+|will\s+)?(?:always|never)\b"
        ),
        negatable=False,
    ),
    PhraseRule(
        "fakes-results",
        "asks to skip verification and report success",
        _p(
            r"\b(?:skip|don'?t|do\s+not|without|never)\s+(?:run\w*\s+)?(?:the\s+)?(?:tests?|test\s+suite"
            r"|suite|checks?|ci|build|linters?)\b.{0,60}?\b(?:report|say|claim|tell|mark|pretend"
            r"|declare|state)\w*\b.{0,40}?\b(?:success\w*|pass\w*|green|done|complete\w*)\b"
            r"|\b(?:report|say|claim|tell\s+\w+|mark|declare|pretend)\w*\s+(?:that\s+)?(?:the\s+)?"
            r"(?:all\s+)?(?:tests?|build|suite|checks?|ci|task)\s+(?:\w+\s+){0,3}?(?:as\s+)?"
            r"(?:pass\w*|green|succeed\w*|complete\w*|done)\b.{0,40}?\b(?:even\s+(?:if|when|though)"
            r"|regardless|anyway|without\s+(?:running|testing|checking))"
            r"|\bmark\w*\s+(?:the\s+)?(?:task|ticket|job|build|pr|issue)\s+(?:as\s+)?(?:complete\w*"
            r"|done|passed|green|fixed)\s+without\s+(?:running|testing|checking|verifying)"
        ),
        negatable=False,
    ),
    PhraseRule(
        "prompt-markup",
        "contains chat-template or system-prompt markup",
        _p(
            r"<\|(?:system|im_start|im_end|endoftext|start_header_id)\|>|\[/?(?:system|inst)\]"
            r"|<</?sys>>|</?system>|^\s*#{1,3}\s*(?:system|new\s+instructions?)\s*:|\bnew\s+"
            r"(?:system\s+)?instructions?\s*:|\b(?:begin|end)\s+system\s+prompt\b"
        ),
        negatable=False,
    ),
)

# Characters that render as nothing or reorder text hide content from a human reviewer:
# zero-width and bidirectional controls, Unicode tag characters (U+E0000-E007F, which
# spell ASCII invisibly), variation selectors beyond the emoji ones, Hangul fillers.
HIDDEN_CHARACTERS = re.compile(
    "[\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164"
    "\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
HTML_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
