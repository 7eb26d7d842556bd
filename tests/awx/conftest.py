"""Fixtures for the AWX tests: the credential type, an installed collection, simulators, jobs.

Plain pytest from the dev venv (`make awx-test`); tools/stage.py keeps tests/awx out of the
ansible-test copies and galaxy.yml out of the tarball.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import trustme
import yaml

import awx_injection

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SCENARIO = ROOT / 'simulator' / 'scenarios' / 'fast.yaml'
USERNAME = 'admin'
PASSWORD = 'admin-demo-password'


def tool(name):
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name)


@pytest.fixture(scope='session')
def credential_type():
    return yaml.safe_load((ROOT / 'extensions' / 'awx' / 'credential_type.yml').read_text())


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """This checkout installed as provisioning.platform into a private collections path."""
    path = tmp_path_factory.mktemp('collections')
    subprocess.run([tool('ansible-galaxy'), 'collection', 'install', '--offline', '--force', '-p', str(path), '.'],
                   cwd=ROOT, check=True, capture_output=True, text=True)
    assert (path / 'ansible_collections' / 'provisioning' / 'platform' / 'plugins' / 'modules').is_dir()
    return path


class Simulator(object):
    """provsim serve on a free port, as a subprocess."""

    def __init__(self, workdir, tls=None):
        self.workdir = Path(workdir)
        self.ca_file = None
        args = [tool('provsim'), 'serve', '--host', '127.0.0.1', '--port', '0',
                '--data-dir', str(self.workdir / 'data'), '--ready-file', str(self.workdir / 'ready')]
        if SCENARIO.is_file():
            args += ['--scenario', str(SCENARIO)]
        if tls is not None:
            cert, key, self.ca_file = tls
            args += ['--tls-cert', str(cert), '--tls-key', str(key)]
        (self.workdir / 'data').mkdir(parents=True)
        self.log = open(self.workdir / 'provsim.log', 'w')
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        ready = self.workdir / 'ready'
        deadline = time.monotonic() + 20
        while not (ready.exists() and ready.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('provsim did not start: %s' % (self.workdir / 'provsim.log').read_text())
            time.sleep(0.05)
        self.url = ready.read_text().strip()

    @property
    def verify(self):
        return str(self.ca_file) if self.ca_file else True

    def login_token(self):
        resp = requests.post(self.url + '/auth/login', json={'username': USERNAME, 'password': PASSWORD},
                             verify=self.verify, timeout=10)
        resp.raise_for_status()
        body = resp.json()
        data = body.get('data', body) if isinstance(body, dict) else body
        return data.get('token') or data['access_token']

    def stats(self):
        resp = requests.get(self.url + '/_sim/stats', verify=self.verify, timeout=10)
        resp.raise_for_status()
        body = resp.json()
        return body.get('data', body) if isinstance(body, dict) and 'success' in body else body

    def logins(self):
        """How many POST /auth/login requests the simulator has answered (any status)."""
        resp = requests.get(self.url + '/_sim/stats', verify=self.verify, timeout=10)
        resp.raise_for_status()
        body = resp.json()
        stats = body.get('data', body) if isinstance(body, dict) and 'success' in body else body
        return sum(stats['requests'].get('POST /auth/login', {}).values())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope='module')
def simulator(tmp_path_factory):
    sim = Simulator(tmp_path_factory.mktemp('sim-http'))
    yield sim
    sim.stop()


@pytest.fixture(scope='module')
def tls_ca():
    """The CA that signs the TLS simulator's certificate, made now (nothing is checked in)."""
    return trustme.CA()


@pytest.fixture(scope='module')
def tls_simulator(tmp_path_factory, tls_ca):
    work = tmp_path_factory.mktemp('sim-https')
    server = tls_ca.issue_cert('127.0.0.1', 'localhost')
    cert, key, ca = work / 'server.pem', work / 'server.key', work / 'ca.pem'
    cert.write_bytes(b''.join(blob.bytes() for blob in server.cert_chain_pems))
    server.private_key_pem.write_to_path(str(key))
    tls_ca.cert_pem.write_to_path(str(ca))
    sim = Simulator(work, tls=(cert, key, ca))
    assert sim.url.startswith('https://127.0.0.1:')
    yield sim
    sim.stop()


class Job(object):
    """What AWX does for a job that uses one credential of our type, minus the container."""

    def __init__(self, private_data_dir, env, safe_env, runner):
        self.private_data_dir = private_data_dir
        self.env = env
        self.safe_env = safe_env
        self.runner = runner
        self.events = list(runner.events)
        self.stdout = (Path(runner.config.artifact_dir) / 'stdout').read_text()

    @property
    def status(self):
        return self.runner.status

    @property
    def artifacts(self):
        """The set_stats data of the job: what AWX hands to the next workflow node as extra vars."""
        stats = [e for e in self.events if e.get('event') == 'playbook_on_stats']
        return stats[-1]['event_data'].get('artifact_data') or {} if stats else {}

    def results(self, event):
        """{task name: res} of the runner events of that kind (runner_on_ok, runner_on_failed...)."""
        return {e['event_data'].get('task'): e['event_data'].get('res', {})
                for e in self.events if e.get('event') == event}

    def artifacts_text(self):
        """What a user of AWX can see of the job: stdout, the events, the stored (safe) environment.

        That is every file ansible-runner wrote, except ``artifacts/<ident>/command``: runner's
        record of the process environment (mode 0600, in the private data dir AWX deletes after
        the job; AWX shows the masked ``safe_env`` instead, included here).
        """
        chunks = [json.dumps(self.events), json.dumps(self.safe_env)]
        for path in sorted(Path(self.runner.config.artifact_dir).rglob('*')):
            if path.is_file() and path.name != 'command':
                chunks.append(path.read_text(errors='replace'))
        command = Path(self.runner.config.artifact_dir) / 'command'
        assert stat.S_IMODE(command.stat().st_mode) == 0o600
        return '\n'.join(chunks)


@pytest.fixture
def run_job(tmp_path, monkeypatch, credential_type, collections_path):
    """run_job(inputs, playbook='prov_job.yml' or an absolute path, extravars=None) -> Job.

    Renders the credential type's injectors with awx_injection (AWX's semantics), then runs the
    playbook with ansible_runner.run() in a process environment that holds only PATH, HOME and
    LANG plus what AWX itself would add: the injected variables and the collections path.
    """
    import ansible_runner

    def run(inputs, playbook='prov_job.yml', extravars=None):
        pdd = tmp_path / ('job-%d' % len(list(tmp_path.glob('job-*'))))
        (pdd / 'project').mkdir(parents=True)
        (pdd / 'inventory').mkdir()
        # AWX's "Demo Inventory": localhost, local connection, the interpreter that runs ansible.
        (pdd / 'inventory' / 'hosts').write_text(
            'localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
        source = Path(playbook) if os.path.isabs(str(playbook)) else HERE / 'playbooks' / playbook
        playbook = source.name
        shutil.copy(source, pdd / 'project' / playbook)
        env, safe_env = awx_injection.inject(credential_type, inputs, str(pdd))
        home = tmp_path / 'home'
        home.mkdir(exist_ok=True)
        for name in list(os.environ):
            monkeypatch.delenv(name)
        monkeypatch.setenv('PATH', '%s:/usr/local/bin:/usr/bin:/bin' % BIN)
        monkeypatch.setenv('HOME', str(home))
        monkeypatch.setenv('LANG', 'C.UTF-8')
        envvars = dict(env)
        # AWX points Ansible at the collections of the EE / the project's requirements the same way.
        envvars['ANSIBLE_COLLECTIONS_PATH'] = str(collections_path)
        runner = ansible_runner.run(
            private_data_dir=str(pdd), playbook=playbook, envvars=envvars, extravars=extravars or {},
            quiet=True, suppress_env_files=True)
        # suppress_env_files: runner writes no env/ files; only the injected (mkstemp) files are there.
        assert all(p.name.startswith('tmp') for p in (pdd / 'env').iterdir())
        job = Job(pdd, env, safe_env, runner)
        monkeypatch.undo()
        return job

    return run
