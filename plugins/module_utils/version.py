# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, used in the User-Agent. Kept equal to galaxy.yml by a unit test."""

COLLECTION_VERSION = "0.1.0"
COLLECTION_NAME = "provisioning.platform"
