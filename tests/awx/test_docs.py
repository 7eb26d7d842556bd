"""docs/awx.md stays in step with the files it describes."""
import re

import yaml

from conftest import ROOT

DOC = ROOT / 'docs' / 'awx.md'


def yaml_blocks():
    return re.findall(r'```yaml\n(.*?)```', DOC.read_text(), re.S)


def test_every_yaml_block_parses():
    blocks = yaml_blocks()
    assert len(blocks) >= 8
    for block in blocks:
        yaml.safe_load(block)


def test_injector_block_is_the_credential_types(credential_type):
    injectors = [yaml.safe_load(b) for b in yaml_blocks() if b.lstrip().startswith('env:')]
    assert injectors == [credential_type['injectors']]


def test_documented_files_exist():
    for rel in set(re.findall(r'`((?:extensions|meta|tests)/[\w./-]+\.(?:yml|py))`', DOC.read_text())):
        assert (ROOT / rel).is_file(), rel
