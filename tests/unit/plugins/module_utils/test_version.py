# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import os
import re

from ansible_collections.provisioning.platform.plugins.module_utils import client
from ansible_collections.provisioning.platform.plugins.module_utils.version import COLLECTION_VERSION

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_version_matches_galaxy_yml():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        match = re.search(r"^version:\s*['\"]?([^'\"\s]+)", handle.read(), re.M)
    assert match.group(1) == COLLECTION_VERSION


def test_user_agent_names_collection_and_core():
    assert client.USER_AGENT.startswith("provisioning.platform/%s (+ansible-core/" % COLLECTION_VERSION)
