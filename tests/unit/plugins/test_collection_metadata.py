# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Metadata checks: the action group lists exactly the modules, and each shared option is
defined once in module_utils/options.py and documented once, identically, in its fragment."""

import os

import pytest
import yaml

from ansible_collections.provisioning.platform.plugins.doc_fragments import connection, wait
from ansible_collections.provisioning.platform.plugins.module_utils.options import CONNECTION_ARGSPEC, WAIT_ARGSPEC

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if f.endswith(".py") and not f.startswith("_"))


def test_action_group_lists_exactly_the_modules():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        runtime = yaml.safe_load(handle)
    assert sorted(runtime["action_groups"]["prov"]) == MODULES


@pytest.mark.parametrize("fragment, argspec", [(connection, CONNECTION_ARGSPEC), (wait, WAIT_ARGSPEC)])
def test_fragment_documents_the_argspec(fragment, argspec):
    doc = yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"]
    assert sorted(doc) == sorted(argspec)
    for name, spec in argspec.items():
        assert doc[name]["type"] == spec["type"], name
        assert doc[name].get("default") == spec.get("default"), name
        fallback = spec.get("fallback")
        if fallback:
            env = fallback[1][0]
            assert any(env in line for line in doc[name]["description"]), (name, env)


def test_secret_options_are_no_log():
    for name in ("token", "password", "mfa_code"):
        assert CONNECTION_ARGSPEC[name]["no_log"] is True


@pytest.mark.parametrize("module", MODULES)
def test_module_docs_declare_version_and_fragments(module):
    mod = __import__("ansible_collections.provisioning.platform.plugins.modules.%s" % module, fromlist=["x"])
    doc = yaml.safe_load(mod.DOCUMENTATION)
    assert doc["version_added"] == "0.1.0"
    for frag in ("provisioning.platform.connection", "provisioning.platform.wait", "provisioning.platform.attributes"):
        assert frag in doc["extends_documentation_fragment"]
    yaml.safe_load(mod.EXAMPLES)
    assert yaml.safe_load(mod.RETURN)
