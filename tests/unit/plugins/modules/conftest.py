# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures (fake orchestrator, fake clock, module runner) live in tests/unit/harness.py."""

from ansible_collections.provisioning.platform.tests.unit.harness import (  # noqa: F401 pylint: disable=unused-import
    clock, fake, run_module, wired,
)
