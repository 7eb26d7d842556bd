#!/usr/bin/env python3
"""Release dry run of changelogs/ on a staged copy of the collection (make changelog-lint).

`antsibull-changelog lint` checks fragments one by one; this checks what a release would make of
them: it runs `antsibull-changelog release` for galaxy.yml's version in COLLECTION_DIR (a throwaway
copy made by tools/stage.py, never the checkout) and asserts that
  * the release has a release_summary,
  * every module in plugins/modules is announced as a new module of the version it documents in
    version_added (taken from the docs, so no fragment is needed for a new module),
  * no fragment announces a new module by hand (the project's rule: fragments for changes only),
  * CHANGELOG.rst is rendered.

usage: tools/changelog-check.py COLLECTION_DIR
"""
import os
import re
import shutil
import subprocess
import sys

import yaml


def fail(msg):
    print('changelog-check: FAIL: %s' % msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    coll = os.path.abspath(sys.argv[1])
    if not coll.endswith(os.path.join('ansible_collections', 'provisioning', 'platform')):
        fail('%s is not a staged ansible_collections/provisioning/platform copy' % coll)
    version = str(yaml.safe_load(open(os.path.join(coll, 'galaxy.yml')))['version'])
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(coll, 'plugins', 'modules'))
                     if name.endswith('.py') and not name.startswith('_'))

    recorded = yaml.safe_load(open(os.path.join(coll, 'changelogs', 'changelog.yaml'))) or {}
    if version in (recorded.get('releases') or {}):
        print('changelog-check: %s is already released in changelogs/changelog.yaml; bump galaxy.yml\'s version '
              'for the next release (nothing to dry-run)' % version)
        return
    fragments_dir = os.path.join(coll, 'changelogs', 'fragments')
    fragments = sorted(f for f in os.listdir(fragments_dir) if f.endswith(('.yml', '.yaml')))
    if not fragments:
        fail('changelogs/fragments holds no fragment for the unreleased changes')
    for name in fragments:
        text = open(os.path.join(fragments_dir, name)).read()
        for module in modules:
            if re.search(r'(?i)new module.*\b%s\b|\b%s\b.*new module' % (module, module), text):
                fail('fragment %s announces module %s; new modules need no fragment '
                     '(version_added in the module docs announces them)' % (name, module))

    bindir = os.path.dirname(sys.executable)
    tool = os.path.join(bindir, 'antsibull-changelog')
    if not os.path.exists(tool):
        tool = shutil.which('antsibull-changelog')
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run([tool, 'release', '--version', version, '--date', '2000-01-01'],
                          cwd=coll, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        fail('antsibull-changelog release --version %s failed:\n%s%s' % (version, proc.stdout, proc.stderr))

    changelog = yaml.safe_load(open(os.path.join(coll, 'changelogs', 'changelog.yaml')))
    release = (changelog.get('releases') or {}).get(version)
    if not release:
        fail('the release dry run recorded no release %s' % version)
    if not (release.get('changes') or {}).get('release_summary'):
        fail('release %s has no release_summary fragment' % version)
    announced = sorted(m['name'] for m in release.get('modules', []))
    new_here = []
    for module in modules:
        source = open(os.path.join(coll, 'plugins', 'modules', module + '.py')).read()
        match = re.search(r'^version_added:\s*["\']?([0-9][^"\'\s]*)', source, re.M)
        if not match:
            fail('plugins/modules/%s.py documents no version_added' % module)
        if match.group(1) == version:
            new_here.append(module)
    if announced != sorted(new_here):
        fail('release %s announces modules %s, but version_added says %s' % (version, announced, new_here))
    rst = os.path.join(coll, 'CHANGELOG.rst')
    if not os.path.exists(rst) or 'v%s' % version not in open(rst).read():
        fail('CHANGELOG.rst was not rendered for v%s' % version)
    print('changelog-check: release %s dry run OK: %d fragment(s), release summary, %d new module(s) from '
          'version_added (%s)' % (version, len(fragments), len(announced), ', '.join(announced)))


if __name__ == '__main__':
    main()
