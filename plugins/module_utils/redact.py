# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redaction of secrets (tokens, passwords, Authorization headers, JWTs) in any structure.

Used on every ``response`` and message the collection returns, and on task records before
they become results or facts.
"""

import re

REDACTED = "<redacted>"

# Key names whose values are always secret (compared lower-cased, "-" treated as "_").
_SECRET_KEY_PARTS = (
    "token", "password", "passwd", "secret", "authorization", "api_key", "apikey",
    "mfa_code", "cookie", "credential", "private_key",
)
# Keys that contain a secret-looking part but are not secret.
_NOT_SECRET_KEYS = frozenset(("token_type", "expires_in", "expires_at"))

_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_KV_RE = re.compile(
    r"(?i)(\"?(?:access_token|refresh_token|token|password|passwd|secret|api_key|apikey|mfa_code)\"?"
    r"\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&}\]]+)"
)
_FLAG_RE = re.compile(r"(?i)(--(?:password|token|secret|api-key|mfa-code)[= ])(\S+)")


def is_secret_key(key):
    """True when a mapping key names a secret value."""
    if not isinstance(key, str):
        return False
    norm = key.lower().replace("-", "_")
    if norm in _NOT_SECRET_KEYS:
        return False
    return any(part in norm for part in _SECRET_KEY_PARTS)


def redact_text(text, secrets=()):
    """Mask secret-looking substrings (and any explicitly known secret values) in a string."""
    if not isinstance(text, str) or not text:
        return text
    for secret in secrets or ():
        if secret and isinstance(secret, str) and len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    text = _JWT_RE.sub(REDACTED, text)
    text = _BEARER_RE.sub(lambda m: m.group(1) + " " + REDACTED, text)
    text = _KV_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _FLAG_RE.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def redact(value, secrets=()):
    """Return a copy of ``value`` (any JSON-like structure) with secrets masked."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if is_secret_key(key) and item not in (None, "", [], {}):
                out[key] = REDACTED
            else:
                out[key] = redact(item, secrets)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(item, secrets) for item in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value
