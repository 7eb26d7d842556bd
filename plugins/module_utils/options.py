# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared option groups. Each argspec is defined once here and documented once in
``plugins/doc_fragments/connection.py`` and ``plugins/doc_fragments/wait.py``."""

import copy

from ansible.module_utils.basic import env_fallback

DEFAULT_URL = "http://localhost:9090"

CONNECTION_ARGSPEC = dict(
    url=dict(type="str", default=DEFAULT_URL, fallback=(env_fallback, ["PROVISIONING_URL"])),
    auth_url=dict(type="str", fallback=(env_fallback, ["PROVISIONING_AUTH_URL"])),
    token=dict(type="str", no_log=True, fallback=(env_fallback, ["PROVISIONING_TOKEN"])),
    username=dict(type="str", fallback=(env_fallback, ["PROVISIONING_USERNAME"])),
    password=dict(type="str", no_log=True, fallback=(env_fallback, ["PROVISIONING_PASSWORD"])),
    mfa_code=dict(type="str", no_log=True, fallback=(env_fallback, ["PROVISIONING_MFA_CODE"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["PROVISIONING_VALIDATE_CERTS"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["PROVISIONING_CA_PATH"])),
    proxy=dict(type="str", fallback=(env_fallback, ["PROVISIONING_PROXY"])),
    request_timeout=dict(type="float", default=30.0, fallback=(env_fallback, ["PROVISIONING_REQUEST_TIMEOUT"])),
    max_retries=dict(type="int", default=5, fallback=(env_fallback, ["PROVISIONING_MAX_RETRIES"])),
)

WAIT_ARGSPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=1800),
    poll_interval=dict(type="float", default=0.25),
    poll_max_interval=dict(type="float", default=5.0),
)

# username and password come together; a token alone is enough.
CONNECTION_REQUIRED_TOGETHER = [("username", "password")]

CONNECTION_OPTION_NAMES = tuple(CONNECTION_ARGSPEC)
WAIT_OPTION_NAMES = tuple(WAIT_ARGSPEC)


def connection_argspec():
    """A fresh copy of the connection argspec."""
    return copy.deepcopy(CONNECTION_ARGSPEC)


def wait_argspec(**overrides):
    """A fresh copy of the wait argspec; ``overrides`` replace option defaults (e.g. wait=False)."""
    spec = copy.deepcopy(WAIT_ARGSPEC)
    for name, default in overrides.items():
        spec[name]["default"] = default
    return spec


def module_argspec(own, include_wait=True, **wait_overrides):
    """Module options + connection options (+ wait options)."""
    spec = connection_argspec()
    if include_wait:
        spec.update(wait_argspec(**wait_overrides))
    spec.update(copy.deepcopy(own))
    return spec


def module_kwargs():
    """Keyword arguments every module passes to AnsibleModule besides argument_spec."""
    return dict(supports_check_mode=True, required_together=list(CONNECTION_REQUIRED_TOGETHER))
