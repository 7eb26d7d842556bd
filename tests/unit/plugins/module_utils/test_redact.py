# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.provisioning.platform.plugins.module_utils.redact import REDACTED, redact, redact_text

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVl"


def test_secret_keys_are_masked_at_any_depth():
    data = {"token": "abc", "nested": [{"Authorization": "Bearer x"}, {"refresh_token": "r"}],
            "user": {"password": "p", "name": "admin"}, "token_type": "Bearer", "expires_in": 900}
    out = redact(data)
    assert out["token"] == REDACTED
    assert out["nested"][0]["Authorization"] == REDACTED
    assert out["nested"][1]["refresh_token"] == REDACTED
    assert out["user"] == {"password": REDACTED, "name": "admin"}
    assert out["token_type"] == "Bearer" and out["expires_in"] == 900
    assert data["token"] == "abc"  # input untouched


def test_jwt_bearer_and_key_value_in_text():
    text = "auth failed for Bearer %s; password=hunter22 token: %s --password swordfish" % (JWT, JWT)
    out = redact_text(text)
    assert JWT not in out and "hunter22" not in out and "swordfish" not in out
    assert "auth failed" in out


def test_known_secret_values_are_masked_anywhere():
    out = redact({"output": "logged in with opaque-token-123"}, secrets=["opaque-token-123"])
    assert out["output"] == "logged in with " + REDACTED


def test_non_strings_pass_through():
    assert redact({"a": 1, "b": None, "c": [True, 2.5]}) == {"a": 1, "b": None, "c": [True, 2.5]}
