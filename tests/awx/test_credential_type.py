"""extensions/awx/credential_type.yml: valid for AWX, and rendered the way AWX renders it."""
import os
import re
import stat
from pathlib import Path

import pytest

import awx_injection

ROOT = Path(__file__).resolve().parents[2]

# credential input -> the environment variable it must reach
EXPECTED_ENV = {
    'url': 'PROVISIONING_URL',
    'auth_url': 'PROVISIONING_AUTH_URL',
    'token': 'PROVISIONING_TOKEN',
    'username': 'PROVISIONING_USERNAME',
    'password': 'PROVISIONING_PASSWORD',
    'validate_certs': 'PROVISIONING_VALIDATE_CERTS',
    'ca_cert': 'PROVISIONING_CA_PATH',
}
CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----\n'


def module_env_names():
    """Every PROVISIONING_* name the modules fall back to (env_fallback in plugins/module_utils)."""
    names = set()
    for path in (ROOT / 'plugins' / 'module_utils').glob('*.py'):
        for group in re.findall(r'env_fallback\s*,\s*\[([^\]]*)\]', path.read_text()):
            names.update(re.findall(r'["\'](PROVISIONING_\w+)["\']', group))
    return names


def test_awx_would_accept_the_credential_type(credential_type):
    awx_injection.validate(credential_type)
    assert credential_type['kind'] == 'cloud'
    assert credential_type['inputs']['required'] == ['url']


def test_the_validator_refuses_what_awx_refuses(credential_type):
    import copy
    typo = copy.deepcopy(credential_type)
    typo['injectors']['env']['PROVISIONING_URL'] = '{{ uri }}'
    with pytest.raises(awx_injection.CredentialTypeError, match='undefined field'):
        awx_injection.validate(typo)
    reserved = copy.deepcopy(credential_type)
    reserved['injectors']['env']['ANSIBLE_CONFIG'] = '{{ url }}'
    with pytest.raises(awx_injection.CredentialTypeError, match='ANSIBLE_CONFIG'):
        awx_injection.validate(reserved)
    secret_bool = copy.deepcopy(credential_type)
    next(f for f in secret_bool['inputs']['fields'] if f['id'] == 'validate_certs')['secret'] = True
    with pytest.raises(awx_injection.CredentialTypeError, match='secret not allowed for boolean'):
        awx_injection.validate(secret_bool)


def test_inputs_are_the_documented_ones(credential_type):
    fields = {f['id']: f for f in credential_type['inputs']['fields']}
    assert list(fields) == list(EXPECTED_ENV)
    assert awx_injection.secret_fields(credential_type) == ['token', 'password']
    assert fields['validate_certs']['type'] == 'boolean' and fields['validate_certs']['default'] is True
    assert fields['ca_cert']['multiline'] is True and fields['ca_cert']['secret'] is False


def test_injectors_set_exactly_variables_the_modules_read(credential_type):
    injected = set(credential_type['injectors']['env'])
    read = module_env_names()
    assert injected == set(EXPECTED_ENV.values())
    assert injected <= read, 'injected but not read by any module: %s' % sorted(injected - read)
    assert set(credential_type['injectors']['file']) == {'template.ca_cert'}
    assert 'extra_vars' not in credential_type['injectors']


def test_full_credential_renders_every_variable_and_the_ca_file(credential_type, tmp_path):
    inputs = {'url': 'https://orch.example.com:9090', 'auth_url': 'https://cc.example.com:9080',
              'token': 'tok-123', 'username': 'svc', 'password': 's3cret', 'validate_certs': True,
              'ca_cert': CA_PEM}
    env, safe_env = awx_injection.inject(credential_type, inputs, str(tmp_path))
    ca_path = env.pop('PROVISIONING_CA_PATH')
    assert env == {'PROVISIONING_URL': 'https://orch.example.com:9090',
                   'PROVISIONING_AUTH_URL': 'https://cc.example.com:9080',
                   'PROVISIONING_TOKEN': 'tok-123', 'PROVISIONING_USERNAME': 'svc',
                   'PROVISIONING_PASSWORD': 's3cret', 'PROVISIONING_VALIDATE_CERTS': 'True'}
    assert Path(ca_path).parent == tmp_path / 'env'
    assert Path(ca_path).read_text() == CA_PEM
    assert stat.S_IMODE(os.stat(ca_path).st_mode) == 0o660
    # What AWX stores and shows as the job's environment: secrets masked, the rest as is.
    assert safe_env['PROVISIONING_TOKEN'] == safe_env['PROVISIONING_PASSWORD'] == awx_injection.HIDDEN
    assert safe_env['PROVISIONING_USERNAME'] == 'svc' and safe_env['PROVISIONING_CA_PATH'] == ca_path


def test_unset_inputs_render_empty_and_no_ca_path(credential_type, tmp_path):
    """A credential with only url + token, as created through the API (no validate_certs)."""
    env, _ = awx_injection.inject(credential_type, {'url': 'http://orch:9090', 'token': 'tok'}, str(tmp_path))
    assert env == {'PROVISIONING_URL': 'http://orch:9090', 'PROVISIONING_AUTH_URL': '',
                   'PROVISIONING_TOKEN': 'tok', 'PROVISIONING_USERNAME': '', 'PROVISIONING_PASSWORD': '',
                   # AWX turns an unset boolean into False, whatever the field's default says.
                   'PROVISIONING_VALIDATE_CERTS': 'False',
                   # The CA file is still written (empty), but the guarded injector does not name it.
                   'PROVISIONING_CA_PATH': ''}
    written = list((tmp_path / 'env').iterdir())
    assert len(written) == 1 and written[0].read_text() == ''


def test_empty_string_inputs_behave_like_unset_ones(credential_type, tmp_path):
    """The UI saves cleared fields as ''; AWX leaves them out of the namespace as well."""
    env, _ = awx_injection.inject(
        credential_type, {'url': 'http://orch:9090', 'username': 'svc', 'password': 'pw', 'token': '',
                          'ca_cert': '', 'validate_certs': True}, str(tmp_path))
    assert env['PROVISIONING_TOKEN'] == '' and env['PROVISIONING_CA_PATH'] == ''
    assert env['PROVISIONING_VALIDATE_CERTS'] == 'True'
