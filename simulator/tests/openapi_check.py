"""Validate live responses against docs/openapi.yaml.

For every response of a documented route: its status code must be listed for that operation,
its JSON body must match the schema of that status, and a documented Retry-After must be sent.
The schemas are OpenAPI 3.1, i.e. JSON Schema 2020-12, validated with jsonschema_rs (formats on).
"""

from __future__ import annotations

import pathlib
import re
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import yaml


class OpenApiChecker:
    def __init__(self, path: pathlib.Path) -> None:
        self.doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.routes: list[tuple[str, re.Pattern, str, dict]] = []
        for template, item in self.doc["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
            for method, operation in item.items():
                self.routes.append((method.upper(), pattern, template, operation))
        self._validators: dict[tuple[str, str, str], Any] = {}
        self.checked: set[tuple[str, str, str]] = set()  # (method, template, status) seen live

    def operation(self, method: str, path: str) -> tuple[str, dict] | None:
        path = urlsplit(path).path
        # Literal templates first: /batch/operations/{id} must not shadow a longer literal path.
        for want, pattern, template, operation in sorted(self.routes, key=lambda r: "{" in r[2]):
            if want == method and pattern.match(path):
                return template, operation
        return None

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            node = self.doc
            for part in parts:
                node = node[part]
        return node

    def check(self, method: str, path: str, response) -> None:
        found = self.operation(method, path)
        if found is None:
            return  # undocumented paths (404 probes) have nothing to conform to
        template, operation = found
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{method} {template}: status {status} is not documented (body: {response.text[:300]})")
        self.checked.add((method, template, status))
        spec = self._resolve(operation["responses"][status])
        for header in spec.get("headers", {}):
            if header == "Retry-After" and status == "429":
                assert header in response.headers, f"{method} {template} {status}: header {header} missing"
        content = spec.get("content", {})
        if "application/json" not in content:
            return
        body = response.json()
        key = (method, template, status)
        if key not in self._validators:
            schema = dict(content["application/json"]["schema"])
            schema["components"] = self.doc["components"]  # so '#/components/...' refs resolve
            self._validators[key] = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
                  for e in self._validators[key].iter_errors(body)]
        assert not errors, f"{method} {template} {status} violates the OpenAPI schema: {errors[:5]}"
