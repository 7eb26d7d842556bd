"""Jobs under ansible-runner with only the credential's injected variables: the modules authenticate.

Each test renders extensions/awx/credential_type.yml for one credential (awx_injection, AWX's
semantics: unset inputs are empty strings, the CA arrives as a file in the job's private data
dir), runs tests/awx/playbooks/prov_job.yml with ansible_runner.run() in an environment of
PATH/HOME/LANG + those variables + the collections path, against the simulator.
"""
import pytest

from conftest import PASSWORD, USERNAME

JOB_TASKS = ('List the orchestrator\'s newest tasks', 'Servers of the infra exist', 'Read the task back by id',
             'The workflow completed')


def assert_successful(job):
    assert job.status == 'successful', job.stdout
    assert job.runner.rc == 0
    assert set(job.results('runner_on_ok')) == set(JOB_TASKS), job.stdout
    assert not job.results('runner_on_failed')


def assert_no_secret(job, *secrets):
    text = job.stdout + job.artifacts_text()
    for secret in secrets:
        assert secret and secret not in text, 'a secret leaked into the runner output or events'


def only_credential_env(job):
    """The job environment came from the credential alone: every PROVISIONING_* var is the injected value."""
    assert sorted(job.env) == ['PROVISIONING_AUTH_URL', 'PROVISIONING_CA_PATH', 'PROVISIONING_PASSWORD',
                               'PROVISIONING_TOKEN', 'PROVISIONING_URL', 'PROVISIONING_USERNAME',
                               'PROVISIONING_VALIDATE_CERTS']


def test_username_and_password(run_job, simulator):
    logins = simulator.logins()
    job = run_job({'url': simulator.url, 'username': USERNAME, 'password': PASSWORD, 'validate_certs': True},
                  extravars={'prov_job_infra': 'awx-login'})
    only_credential_env(job)
    # Unset inputs arrive as empty variables and must not disturb the modules.
    assert job.env['PROVISIONING_TOKEN'] == '' and job.env['PROVISIONING_CA_PATH'] == ''
    assert job.env['PROVISIONING_AUTH_URL'] == ''
    assert_successful(job)
    assert simulator.logins() > logins
    assert_no_secret(job, PASSWORD)


def test_token(run_job, simulator):
    """A credential created through the API with url + token only (validate_certs unset: 'False')."""
    token = simulator.login_token()
    logins = simulator.logins()
    job = run_job({'url': simulator.url, 'token': token}, extravars={'prov_job_infra': 'awx-token'})
    only_credential_env(job)
    assert job.env['PROVISIONING_USERNAME'] == '' and job.env['PROVISIONING_PASSWORD'] == ''
    assert job.env['PROVISIONING_VALIDATE_CERTS'] == 'False'
    assert_successful(job)
    assert simulator.logins() == logins, 'a token credential must not log in'
    assert_no_secret(job, token)


def test_tls_with_the_injected_ca(run_job, tls_simulator, tls_ca):
    ca_pem = tls_ca.cert_pem.bytes().decode()
    job = run_job({'url': tls_simulator.url, 'username': USERNAME, 'password': PASSWORD,
                   'validate_certs': True, 'ca_cert': ca_pem}, extravars={'prov_job_infra': 'awx-tls'})
    ca_path = job.env['PROVISIONING_CA_PATH']
    assert ca_path.startswith(str(job.private_data_dir / 'env') + '/')
    with open(ca_path) as handle:
        assert handle.read() == ca_pem
    assert_successful(job)
    assert_no_secret(job, PASSWORD)


@pytest.mark.parametrize('case', ['wrong CA', 'no CA'])
def test_tls_fails_clearly_without_the_right_ca(run_job, tls_simulator, case):
    import trustme
    inputs = {'url': tls_simulator.url, 'username': USERNAME, 'password': PASSWORD, 'validate_certs': True}
    if case == 'wrong CA':
        inputs['ca_cert'] = trustme.CA().cert_pem.bytes().decode()
    job = run_job(inputs)
    assert job.status == 'failed'
    failed = job.results('runner_on_failed')
    assert list(failed) == [JOB_TASKS[0]], job.stdout
    msg = failed[JOB_TASKS[0]]['msg']
    assert 'TLS error talking to orchestrator at %s' % tls_simulator.url in msg, msg
    assert 'CERTIFICATE_VERIFY_FAILED' in msg or 'certificate verify failed' in msg, msg
    assert 'PROVISIONING_CA_PATH' in msg, msg
    assert_no_secret(job, PASSWORD)


def test_tls_without_verification_when_the_credential_says_so(run_job, tls_simulator):
    job = run_job({'url': tls_simulator.url, 'username': USERNAME, 'password': PASSWORD,
                   'validate_certs': False}, extravars={'prov_job_infra': 'awx-insecure'})
    assert job.env['PROVISIONING_VALIDATE_CERTS'] == 'False'
    assert_successful(job)
    assert_no_secret(job, PASSWORD)


def test_wrong_password_fails_with_the_variable_names(run_job, simulator):
    job = run_job({'url': simulator.url, 'username': USERNAME, 'password': 'not-the-password',
                   'validate_certs': True})
    assert job.status == 'failed'
    msg = job.results('runner_on_failed')[JOB_TASKS[0]]['msg']
    assert 'PROVISIONING_USERNAME' in msg and 'PROVISIONING_PASSWORD' in msg, msg
    assert_no_secret(job, 'not-the-password')
