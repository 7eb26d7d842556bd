# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest

from ansible_collections.provisioning.platform.plugins.module_utils import client as client_mod
from ansible_collections.provisioning.platform.plugins.module_utils import runner as runner_mod
from ansible_collections.provisioning.platform.tests.unit.fake_orchestrator import (
    FakeClock, FakeOrchestrator, make_session,
)

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    import contextlib

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fake(clock):
    return FakeOrchestrator(clock)


@pytest.fixture
def wired(monkeypatch, fake, clock):
    """Route every session the collection makes to the fake, and every clock to the fake clock."""
    monkeypatch.setattr(client_mod, "SESSION_FACTORY", lambda: make_session(fake))
    monkeypatch.setattr(runner_mod, "TIMEBASE", runner_mod.Timebase(clock.monotonic, clock.sleep, clock.time))
    for var in ("PROVISIONING_URL", "PROVISIONING_TOKEN", "PROVISIONING_USERNAME", "PROVISIONING_PASSWORD",
                "PROVISIONING_AUTH_URL", "PROVISIONING_VALIDATE_CERTS", "PROVISIONING_CA_PATH", "PROVISIONING_PROXY",
                "PROVISIONING_MFA_CODE", "PROVISIONING_REQUEST_TIMEOUT", "PROVISIONING_MAX_RETRIES"):
        monkeypatch.delenv(var, raising=False)
    return fake


class ModuleResult(dict):
    @property
    def failed(self):
        return bool(self.get("failed"))


@pytest.fixture
def run_module(wired, capsys):
    """run_module(main, args, check_mode=False, diff=False) -> result dict (exit or fail)."""

    def _run(main, args, check_mode=False, diff=False):
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        capsys.readouterr()
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                main()
        out = capsys.readouterr().out
        return ModuleResult(json.loads(out))

    return _run
