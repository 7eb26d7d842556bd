"""Scenario files: who may log in, what the infrastructure looks like, how long work takes,
what fails, and which faults are armed.

A scenario is YAML or JSON.  Every section is optional; `Scenario.from_dict` fills in the
defaults documented in simulator/README.md and rejects unknown keys and wrong types with a
message that names the offending key, so a typo in a test scenario fails loudly instead of
silently meaning "default".
"""

from __future__ import annotations

import copy
import json
import pathlib
from dataclasses import dataclass, field
from typing import Any

import yaml

WORKFLOW_KINDS = ("servers", "taskserv", "cluster", "batch_op")
RESTART_POLICIES = ("resume", "fail")
RATE_LIMIT_CATEGORIES = ("auth", "submissions", "status")
# Sections given partially keep their other keys; `infras` and the lists are replaced whole.
MERGED_SECTIONS = ("auth", "durations", "rate_limits")

DEFAULT_USER = {
    "username": "admin",
    "password": "admin-demo-password",
    "email": "admin@example.com",
    "roles": ["admin"],
}

DEFAULTS: dict[str, Any] = {
    "users": [DEFAULT_USER],
    "auth": {"token_ttl": 900, "refresh_ttl": 7 * 24 * 3600},
    "infras": {},
    "default_servers": 2,
    "durations": {"servers": 2.0, "taskserv": 1.5, "cluster": 3.0, "batch_op": 1.0},
    "duration_overrides": [],
    "queue_delay": 0.1,
    "failures": [],
    "denials": [],
    "rate_limits": {"enabled": False, "window": 60, "auth": 10, "submissions": 100, "status": 1000},
    "faults": [],
    "on_restart": "resume",
    "seed": None,
}


class ScenarioError(ValueError):
    """A scenario (file or runtime update) is invalid; the message names the key."""


def _expect(value: Any, types: type | tuple[type, ...], where: str) -> Any:
    # bool is an int subclass; a duration of `true` is a typo, not one second.
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise ScenarioError(f"{where}: expected {_type_names(types)}, got boolean")
    if not isinstance(value, types):
        raise ScenarioError(f"{where}: expected {_type_names(types)}, got {type(value).__name__}")
    return value


def _type_names(types: type | tuple[type, ...]) -> str:
    types = types if isinstance(types, tuple) else (types,)
    names = {int: "number", float: "number", str: "string", list: "list", dict: "mapping", bool: "boolean"}
    return " or ".join(sorted({names.get(t, t.__name__) for t in types}))


def _non_negative(value: Any, where: str) -> float:
    _expect(value, (int, float), where)
    if value < 0:
        raise ScenarioError(f"{where}: must be >= 0")
    return float(value)


def _only_keys(mapping: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _str_list(value: Any, where: str) -> list[str]:
    _expect(value, list, where)
    for i, item in enumerate(value):
        _expect(item, str, f"{where}[{i}]")
    return list(value)


@dataclass
class Scenario:
    """The validated scenario.  `raw` keeps the normalised dict for GET /_sim/scenario."""

    users: dict[str, dict[str, Any]]
    token_ttl: float
    refresh_ttl: float
    infras: dict[str, dict[str, Any]]
    default_servers: int
    durations: dict[str, float]
    duration_overrides: list[dict[str, Any]]
    queue_delay: float
    failures: list[dict[str, Any]]
    denials: list[dict[str, Any]]
    rate_limits: dict[str, Any]
    faults: list[dict[str, Any]]
    on_restart: str
    seed: int | None
    raw: dict[str, Any] = field(repr=False)

    # ---- loading -------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | pathlib.Path | None) -> "Scenario":
        if path is None:
            return cls.from_dict({})
        text = pathlib.Path(path).read_text(encoding="utf-8")
        try:
            data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise ScenarioError(f"{path}: not valid YAML/JSON: {exc}") from None
        return cls.from_dict(data or {})

    @classmethod
    def from_dict(cls, data: Any) -> "Scenario":
        _expect(data, dict, "scenario")
        _only_keys(data, set(DEFAULTS), "scenario")
        merged = copy.deepcopy(DEFAULTS)
        for key, value in copy.deepcopy(data).items():
            if key in MERGED_SECTIONS and isinstance(value, dict):
                merged[key].update(value)  # partial sections keep the other defaults
            else:
                merged[key] = value
        return cls(
            users=_parse_users(merged["users"]),
            token_ttl=_positive(merged["auth"], "token_ttl"),
            refresh_ttl=_positive(merged["auth"], "refresh_ttl"),
            infras=_parse_infras(merged["infras"]),
            default_servers=int(_non_negative(merged["default_servers"], "default_servers")),
            durations=_parse_durations(merged["durations"]),
            duration_overrides=_parse_overrides(merged["duration_overrides"]),
            queue_delay=_non_negative(merged["queue_delay"], "queue_delay"),
            failures=_parse_failures(merged["failures"]),
            denials=_parse_denials(merged["denials"]),
            rate_limits=_parse_rate_limits(merged["rate_limits"]),
            faults=_parse_fault_list(merged["faults"]),
            on_restart=_parse_restart(merged["on_restart"]),
            seed=None if merged["seed"] is None else int(_expect(merged["seed"], int, "seed")),
            raw=merged,
        )

    def updated(self, changes: Any) -> "Scenario":
        """A new scenario with the top-level sections in `changes` replaced (PUT /_sim/scenario)."""
        _expect(changes, dict, "scenario")
        _only_keys(changes, set(DEFAULTS), "scenario")
        data = copy.deepcopy(self.raw)
        for key, value in copy.deepcopy(changes).items():
            if key in MERGED_SECTIONS and isinstance(value, dict):
                data[key].update(value)  # {"durations": {"servers": 1}} leaves the other kinds alone
            else:
                data[key] = value
        return Scenario.from_dict(data)

    def public(self) -> dict[str, Any]:
        """The scenario as served by GET /_sim/scenario: passwords and MFA codes masked."""
        data = copy.deepcopy(self.raw)
        for user in data["users"]:
            for secret in ("password", "mfa_code"):
                if user.get(secret) is not None:
                    user[secret] = "***"
        return data

    # ---- queries used by the engine ----------------------------------------------------

    def planned_servers(self, infra: str) -> list[str]:
        spec = self.infras.get(infra)
        if spec is not None:
            return list(spec["servers"])
        return [f"{infra}-{i:02d}" for i in range(1, self.default_servers + 1)]

    def duration(self, kind: str, infra: str | None, name: str | None) -> float:
        for rule in self.duration_overrides:
            if rule["kind"] not in (None, kind):
                continue
            if rule["infra"] not in (None, infra) or rule["name"] not in (None, name):
                continue
            return rule["seconds"]
        return self.durations[kind]


def _positive(section: dict, key: str) -> float:
    value = _non_negative(section.get(key), f"auth.{key}")
    if value == 0:
        raise ScenarioError(f"auth.{key}: must be > 0")
    return value


def _parse_users(value: Any) -> dict[str, dict[str, Any]]:
    _expect(value, list, "users")
    users = {}
    for i, user in enumerate(value):
        where = f"users[{i}]"
        _expect(user, dict, where)
        _only_keys(user, {"username", "password", "email", "roles", "mfa_code", "id"}, where)
        for key in ("username", "password"):
            _expect(user.get(key), str, f"{where}.{key}")
        name = user["username"]
        if name in users:
            raise ScenarioError(f"{where}.username: duplicate user {name!r}")
        users[name] = {
            "id": str(user.get("id") or f"user-{name}"),
            "username": name,
            "password": user["password"],
            "email": _expect(user.get("email", f"{name}@example.com"), str, f"{where}.email"),
            "roles": _str_list(user.get("roles", ["developer"]), f"{where}.roles"),
            "mfa_code": None if user.get("mfa_code") is None else str(user["mfa_code"]),
        }
    return users


def _parse_infras(value: Any) -> dict[str, dict[str, Any]]:
    _expect(value, dict, "infras")
    infras = {}
    for name, spec in value.items():
        where = f"infras.{name}"
        spec = spec or {}
        _expect(spec, dict, where)
        _only_keys(spec, {"servers", "existing"}, where)
        existing = spec.get("existing") or {}
        _expect(existing, dict, f"{where}.existing")
        _only_keys(existing, {"servers", "taskservs", "clusters"}, f"{where}.existing")
        infras[str(name)] = {
            "servers": _str_list(spec.get("servers", []), f"{where}.servers"),
            "existing": {k: _str_list(existing.get(k, []), f"{where}.existing.{k}")
                         for k in ("servers", "taskservs", "clusters")},
        }
    return infras


def _parse_durations(value: Any) -> dict[str, float]:
    _expect(value, dict, "durations")
    _only_keys(value, set(WORKFLOW_KINDS), "durations")
    return {kind: _non_negative(value[kind], f"durations.{kind}") for kind in WORKFLOW_KINDS}


def _parse_kind(value: Any, where: str, allow_any: bool) -> str | None:
    if value is None and allow_any:
        return None
    if value not in WORKFLOW_KINDS:
        raise ScenarioError(f"{where}: must be one of {', '.join(WORKFLOW_KINDS)}")
    return value


def _optional_str(value: Any, where: str) -> str | None:
    return None if value is None else _expect(value, str, where)


def _parse_overrides(value: Any) -> list[dict[str, Any]]:
    _expect(value, list, "duration_overrides")
    rules = []
    for i, rule in enumerate(value):
        where = f"duration_overrides[{i}]"
        _expect(rule, dict, where)
        _only_keys(rule, {"kind", "infra", "name", "seconds"}, where)
        rules.append({
            "kind": _parse_kind(rule.get("kind"), f"{where}.kind", allow_any=True),
            "infra": _optional_str(rule.get("infra"), f"{where}.infra"),
            "name": _optional_str(rule.get("name"), f"{where}.name"),
            "seconds": _non_negative(rule.get("seconds"), f"{where}.seconds"),
        })
    return rules


def _parse_failures(value: Any) -> list[dict[str, Any]]:
    _expect(value, list, "failures")
    rules = []
    for i, rule in enumerate(value):
        where = f"failures[{i}]"
        _expect(rule, dict, where)
        _only_keys(rule, {"kind", "infra", "name", "operation", "at_progress", "error", "times"}, where)
        at = rule.get("at_progress")
        if at is not None:
            _non_negative(at, f"{where}.at_progress")
            if at > 100:
                raise ScenarioError(f"{where}.at_progress: must be between 0 and 100")
        times = rule.get("times")
        if times is not None and (_expect(times, int, f"{where}.times") < 1):
            raise ScenarioError(f"{where}.times: must be >= 1")
        rules.append({
            "kind": _parse_kind(rule.get("kind"), f"{where}.kind", allow_any=False),
            "infra": _optional_str(rule.get("infra"), f"{where}.infra"),
            "name": _optional_str(rule.get("name"), f"{where}.name"),
            "operation": _optional_str(rule.get("operation"), f"{where}.operation"),
            "at_progress": None if at is None else float(at),
            "error": _expect(rule.get("error", "simulated failure"), str, f"{where}.error"),
            "times": times,
        })
    return rules


def _parse_denials(value: Any) -> list[dict[str, Any]]:
    _expect(value, list, "denials")
    rules = []
    for i, rule in enumerate(value):
        where = f"denials[{i}]"
        _expect(rule, dict, where)
        _only_keys(rule, {"user", "route", "infra"}, where)
        rules.append({
            "user": _expect(rule.get("user"), str, f"{where}.user"),
            "route": _optional_str(rule.get("route"), f"{where}.route"),
            "infra": _optional_str(rule.get("infra"), f"{where}.infra"),
        })
    return rules


def _parse_rate_limits(value: Any) -> dict[str, Any]:
    _expect(value, dict, "rate_limits")
    _only_keys(value, {"enabled", "window", *RATE_LIMIT_CATEGORIES}, "rate_limits")
    limits = {"enabled": _expect(value["enabled"], bool, "rate_limits.enabled")}
    limits["window"] = _non_negative(value["window"], "rate_limits.window")
    if limits["window"] == 0:
        raise ScenarioError("rate_limits.window: must be > 0")
    for category in RATE_LIMIT_CATEGORIES:
        limit = _expect(value[category], int, f"rate_limits.{category}")
        if limit < 1:
            raise ScenarioError(f"rate_limits.{category}: must be >= 1")
        limits[category] = limit
    return limits


def _parse_fault_list(value: Any) -> list[dict[str, Any]]:
    from .faults import parse_fault  # faults.py owns the fault schema; imported late to avoid a cycle

    _expect(value, list, "faults")
    return [parse_fault(item, f"faults[{i}]") for i, item in enumerate(value)]


def _parse_restart(value: Any) -> str:
    if value not in RESTART_POLICIES:
        raise ScenarioError(f"on_restart: must be one of {', '.join(RESTART_POLICIES)}")
    return value
