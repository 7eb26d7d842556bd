"""extensions/awx/credential_type_task.yml against a stub awx.awx collection.

awx.awx and an AWX server are not available here. The stub modules take the real modules'
options (awx_collection/plugins/modules/credential_type.py and credential.py, plus the
awx.awx.auth options) and record what they receive, which proves the playbook is valid, reads
extensions/awx/credential_type.yml, and hands the injector templates to AWX unrendered.
"""
import json
import os
import subprocess

import pytest
import yaml

from conftest import ROOT, tool

AUTH_OPTIONS = """
    controller_host=dict(aliases=['tower_host'], fallback=(env_fallback, ['CONTROLLER_HOST'])),
    controller_username=dict(aliases=['tower_username'], fallback=(env_fallback, ['CONTROLLER_USERNAME'])),
    controller_password=dict(no_log=True, aliases=['tower_password'], fallback=(env_fallback, ['CONTROLLER_PASSWORD'])),
    controller_oauthtoken=dict(type='raw', no_log=True, aliases=['tower_oauthtoken'],
                               fallback=(env_fallback, ['CONTROLLER_OAUTH_TOKEN'])),
    validate_certs=dict(type='bool', aliases=['tower_verify_ssl'], fallback=(env_fallback, ['CONTROLLER_VERIFY_SSL'])),
    request_timeout=dict(type='float'),
    controller_config_file=dict(type='path', aliases=['tower_config_file']),
"""
STUB = '''#!/usr/bin/python
import json
import os

from ansible.module_utils.basic import AnsibleModule, env_fallback


def main():
    module = AnsibleModule(argument_spec=dict(%s
        %s
    ))
    with open(os.environ['AWX_STUB_RECORD'], 'a') as handle:
        handle.write(json.dumps({'module': %r, 'params': module.params}) + '\\n')
    module.exit_json(changed=True)


main()
'''
MODULES = {
    'credential_type': """
        name=dict(required=True),
        description=dict(),
        kind=dict(choices=['ssh', 'vault', 'net', 'scm', 'cloud', 'insights']),
        inputs=dict(type='dict'),
        injectors=dict(type='dict'),
        state=dict(choices=['present', 'absent'], default='present'),""",
    'credential': """
        name=dict(required=True),
        new_name=dict(),
        copy_from=dict(),
        description=dict(),
        organization=dict(),
        credential_type=dict(),
        inputs=dict(type='dict', no_log=True),
        update_secrets=dict(type='bool', default=True, no_log=False),
        user=dict(),
        team=dict(),
        state=dict(choices=['present', 'absent', 'exists'], default='present'),""",
}


@pytest.fixture
def stub_awx(tmp_path):
    base = tmp_path / 'collections' / 'ansible_collections' / 'awx' / 'awx'
    (base / 'plugins' / 'modules').mkdir(parents=True)
    (base / 'MANIFEST.json').write_text(json.dumps({'collection_info': {
        'namespace': 'awx', 'name': 'awx', 'version': '24.6.1'}, 'file_manifest_file': {}, 'format': 1}))
    for name, spec in MODULES.items():
        (base / 'plugins' / 'modules' / (name + '.py')).write_text(STUB % (spec, AUTH_OPTIONS, name))
    return tmp_path / 'collections'


def run_playbook(tmp_path, stub_awx, *extra):
    record = tmp_path / 'record.jsonl'
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(stub_awx), AWX_STUB_RECORD=str(record),
               CONTROLLER_HOST='https://awx.example.com', CONTROLLER_OAUTH_TOKEN='controller-token',
               ANSIBLE_NOCOLOR='1')
    proc = subprocess.run(
        [tool('ansible-playbook'), str(ROOT / 'extensions' / 'awx' / 'credential_type_task.yml')] + list(extra),
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return proc, calls


def test_credential_type_task_sends_the_definition_verbatim(tmp_path, stub_awx, credential_type):
    proc, calls = run_playbook(tmp_path, stub_awx)
    assert [c['module'] for c in calls] == ['credential_type']
    params = calls[0]['params']
    assert params['name'] == credential_type['name'] == 'Provisioning Platform'
    assert params['kind'] == 'cloud' and params['state'] == 'present'
    assert params['description'] == credential_type['description']
    assert params['inputs'] == credential_type['inputs']
    # Ansible must not render the templates meant for AWX.
    assert params['injectors'] == credential_type['injectors']
    assert params['injectors']['env']['PROVISIONING_CA_PATH'] == \
        '{% if ca_cert %}{{ tower.filename.ca_cert }}{% endif %}'
    assert params['controller_host'] == 'https://awx.example.com'


def test_credential_task_forces_validate_certs_and_hides_secrets(tmp_path, stub_awx):
    varfile = tmp_path / 'prov_credential.yml'
    varfile.write_text(yaml.safe_dump({'prov_awx_credential': {
        'name': 'Orchestrator prod', 'organization': 'Ops',
        'inputs': {'url': 'https://orch.example.com:9090', 'username': 'svc', 'password': 'pw-in-vault'}}}))
    proc, calls = run_playbook(tmp_path, stub_awx, '-e', '@%s' % varfile)
    assert [c['module'] for c in calls] == ['credential_type', 'credential']
    params = calls[1]['params']
    assert params['credential_type'] == 'Provisioning Platform' and params['organization'] == 'Ops'
    assert params['inputs'] == {'url': 'https://orch.example.com:9090', 'username': 'svc',
                                'password': 'pw-in-vault', 'validate_certs': True}
    assert 'pw-in-vault' not in proc.stdout + proc.stderr
