"""The execution environment definition (execution-environment.yml, ansible-builder v3).

No container engine exists on the project's machines, so `ansible-builder build` cannot run.
These tests run `ansible-builder create` on the real definition and then replay, on this host,
the two build stages that decide what the image contains:

* the galaxy stage: `ansible-galaxy collection install -r requirements.yml` from the generated
  context's _build/ directory (which is what the image's WORKDIR /build holds);
* the builder stage: the generated context's own introspect.py, with the same arguments the
  generated Containerfile passes, over the collections the galaxy stage installed. This is
  where meta/execution-environment.yml of the installed collection is read.

Run with the dev venv: `make ee-test` (plain pytest, not ansible-test).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EE_FILE = ROOT / 'execution-environment.yml'


def _tool(name):
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name)


def _requirements(path):
    """The requirement lines of a pip requirements file, comments stripped (markers kept)."""
    lines = []
    for line in Path(path).read_text().splitlines():
        line = re.sub(r'(^|\s)#.*$', '', line).strip()
        if line:
            lines.append(line)
    return lines


def _pins(path):
    """{package: [pinned requirement lines]}: every `name==version[; marker]` line per package."""
    pins = {}
    for line in _requirements(path):
        match = re.match(r'^([A-Za-z0-9_.\-]+)\s*==\s*[^\s;]+', line)
        if match:
            pins.setdefault(match.group(1).lower(), []).append(line)
    return pins


@pytest.fixture(scope='module')
def definition():
    return yaml.safe_load(EE_FILE.read_text())


@pytest.fixture(scope='module')
def version():
    return yaml.safe_load((ROOT / 'galaxy.yml').read_text())['version']


@pytest.fixture(scope='module')
def tarball(version):
    """The collection tarball, built where execution-environment.yml expects it (.tmp/ee/)."""
    out = ROOT / '.tmp' / 'ee'
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', str(out)],
                   cwd=ROOT, check=True, capture_output=True, text=True)
    path = out / ('provisioning-platform-%s.tar.gz' % version)
    assert path.is_file()
    return path


@pytest.fixture(scope='module')
def context(tmp_path_factory, tarball):
    ctx = tmp_path_factory.mktemp('ee') / 'context'
    proc = subprocess.run(
        [_tool('ansible-builder'), 'create', '-f', str(EE_FILE), '-c', str(ctx),
         '--output-filename', 'Containerfile', '-v', '3'],
        cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # A missing additional_build_files source is only a warning in ansible-builder: make it fatal.
    assert 'No matches for' not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return ctx


def test_definition_is_v3_with_pinned_public_base_image(definition):
    assert definition['version'] == 3
    image = definition['images']['base_image']['name']
    registry, _, tag = image.rpartition(':')
    assert '.' in registry.split('/')[0], 'base image must name its public registry: %s' % image
    assert tag and tag != 'latest' and '/' not in tag, 'pin the base image tag: %s' % image
    deps = definition['dependencies']
    assert deps['python'] == 'requirements.txt'
    assert deps['system'] == 'bindep.txt'


def test_definition_installs_this_version_of_the_collection(definition, version):
    name = 'provisioning-platform-%s.tar.gz' % version
    collections = definition['dependencies']['galaxy']['collections']
    assert collections == [{'name': 'collections/' + name, 'type': 'file'}], \
        'execution-environment.yml must install %s (bump it with galaxy.yml)' % name
    assert definition['additional_build_files'] == [{'src': '.tmp/ee/' + name, 'dest': 'collections'}]


def test_collection_metadata_points_at_requirement_files():
    meta = yaml.safe_load((ROOT / 'meta' / 'execution-environment.yml').read_text())
    assert meta['version'] == 1
    assert meta['dependencies'] == {'python': 'requirements.txt', 'system': 'bindep.txt'}
    assert set(_pins(ROOT / 'requirements.txt')) >= {'requests', 'tenacity'}
    assert all('==' in line for line in _requirements(ROOT / 'requirements.txt')), 'pin every requirement'
    bindep = [line for line in (ROOT / 'bindep.txt').read_text().splitlines()
              if line.strip() and not line.startswith('#')]
    assert bindep and all(re.match(r'^[a-z0-9.+\-]+( \[[a-z0-9:!. -]+\])?$', line) for line in bindep), bindep


def test_create_writes_a_context_with_our_python_and_system_deps(context, tarball):
    build = context / '_build'
    wanted = _pins(ROOT / 'requirements.txt')
    got = _pins(build / 'requirements.txt')
    for package in ('requests', 'tenacity'):
        assert wanted.get(package), 'requirements.txt must pin %s' % package
        assert got.get(package) == wanted[package], (package, got)
    assert 'ca-certificates' in (build / 'bindep.txt').read_text()
    galaxy = yaml.safe_load((build / 'requirements.yml').read_text())
    assert galaxy == {'collections': [{'name': 'collections/' + tarball.name, 'type': 'file'}]}
    shipped = build / 'collections' / tarball.name
    assert shipped.is_file() and shipped.read_bytes() == tarball.read_bytes()


def test_containerfile_builds_from_the_base_image_and_runs_the_stages(context, definition):
    text = (context / 'Containerfile').read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % definition['images']['base_image']['name'] in text
    assert 'FROM $EE_BASE_IMAGE AS base' in text
    assert re.search(r'^COPY _build /build$', text, re.M)
    assert re.search(r'^RUN .*ansible-galaxy collection install .*-r requirements\.yml', text, re.M)
    assert re.search(r'^COPY _build/requirements\.txt requirements\.txt$', text, re.M)
    assert re.search(r'^RUN .*introspect\.py introspect --user-pip=requirements\.txt --user-bindep=bindep\.txt',
                     text, re.M)
    assert re.search(r'^LABEL ansible-execution-environment=true$', text, re.M)


def test_galaxy_and_builder_stages_replayed_locally(context, tmp_path, version):
    """What the image would get: the collection installed from the tarball, and our pins."""
    build = context / '_build'
    collections = tmp_path / 'usr-share-ansible-collections'
    env = dict(os.environ, ANSIBLE_GALAXY_DISABLE_GPG_VERIFY='1')
    env.pop('ANSIBLE_COLLECTIONS_PATH', None)
    subprocess.run([_tool('ansible-galaxy'), 'collection', 'install', '--offline', '-r', 'requirements.yml',
                    '--collections-path', str(collections)],
                   cwd=build, env=env, check=True, capture_output=True, text=True)
    installed = collections / 'ansible_collections' / 'provisioning' / 'platform'
    manifest = yaml.safe_load((installed / 'MANIFEST.json').read_text())
    assert manifest['collection_info']['version'] == version
    for rel in ('meta/execution-environment.yml', 'requirements.txt', 'bindep.txt',
                'plugins/modules/prov_server.py', 'extensions/awx/credential_type.yml'):
        assert (installed / rel).is_file(), rel

    out = tmp_path / 'out'
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, str(build / 'scripts' / 'introspect.py'), 'introspect',
         '--user-pip=%s' % (build / 'requirements.txt'), '--user-bindep=%s' % (build / 'bindep.txt'),
         '--write-pip=%s' % (out / 'requirements.txt'), '--write-bindep=%s' % (out / 'bindep.txt'),
         str(collections)],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    final_pip = (out / 'requirements.txt').read_text()
    wanted = _pins(ROOT / 'requirements.txt')
    for package in ('requests', 'tenacity'):
        # Once from the installed collection's meta/execution-environment.yml, once from the EE
        # definition's own python: entry (introspect reports each source on its own line).
        for requirement in wanted[package]:
            for source in ('provisioning.platform', 'user'):
                assert '%s  # from collection %s' % (requirement, source) in final_pip.splitlines(), final_pip
    final_bindep = (out / 'bindep.txt').read_text()
    assert re.search(r'^ca-certificates .*# from collection provisioning\.platform', final_bindep, re.M), final_bindep
