"""The workflow node playbooks of extensions/awx/workflow/, chained the way an AWX workflow chains them.

Each node is a separate ansible-runner job with the credential's injected variables; the
set_stats artifacts of a node become the extra variables of the next (AWX passes a node's
artifacts to its children). Layout under test (docs/awx.md):
  submit servers -> wait -> submit taskserv [containerd, kubernetes] -> wait -> report
plus a relaunch of a submit node after its stage completed (nothing is resubmitted).
"""
from conftest import PASSWORD, ROOT, USERNAME

WORKFLOW = ROOT / 'extensions' / 'awx' / 'workflow'


def test_submit_and_wait_nodes_split_the_work(run_job, simulator):
    cred = {'url': simulator.url, 'username': USERNAME, 'password': PASSWORD, 'validate_certs': True}
    infra = {'prov_infra': 'awx-workflow'}
    created = simulator.stats()['tasks_created']

    submit = run_job(cred, WORKFLOW / 'submit.yml', extravars=dict(infra, prov_stage='servers'))
    assert submit.status == 'successful', submit.stdout
    artifacts = submit.artifacts
    assert artifacts['prov_wait_stage'] == 'servers' and artifacts['prov_infra'] == 'awx-workflow'
    assert len(artifacts['prov_wait_ids']) == 1
    assert simulator.stats()['tasks_created']['servers'] == created['servers'] + 1

    wait = run_job(cred, WORKFLOW / 'wait.yml', extravars=artifacts)
    assert wait.status == 'successful', wait.stdout
    assert simulator.stats()['tasks_created'] == dict(created, servers=created['servers'] + 1), \
        'a wait node must not submit anything'

    # Relaunching the submit node once its stage completed: converged, same task, nothing new.
    again = run_job(cred, WORKFLOW / 'submit.yml', extravars=dict(infra, prov_stage='servers'))
    assert again.status == 'successful', again.stdout
    assert again.artifacts['prov_wait_ids'] == artifacts['prov_wait_ids']
    assert simulator.stats()['tasks_created']['servers'] == created['servers'] + 1

    # Next node: one dependency layer of task services; its artifacts replace the parent's ids.
    layer = run_job(cred, WORKFLOW / 'submit.yml',
                    extravars=dict(wait.artifacts or artifacts, prov_stage='taskserv',
                                   prov_names=['containerd', 'kubernetes']))
    assert layer.status == 'successful', layer.stdout
    ids = layer.artifacts['prov_wait_ids']
    assert len(ids) == 2 and not set(ids) & set(artifacts['prov_wait_ids'])
    done = run_job(cred, WORKFLOW / 'wait.yml', extravars=layer.artifacts)
    assert done.status == 'successful', done.stdout
    assert simulator.stats()['tasks_created']['taskserv'] == created['taskserv'] + 2

    # The failure-path node reports on the stage's tasks (through provisioning.platform.status).
    report = run_job(cred, WORKFLOW / 'report.yml', extravars=layer.artifacts)
    assert report.status == 'successful', report.stdout
    assert [t['id'] for t in report.results('runner_on_ok')['Look the tasks up']['tasks']] == ids


def test_wait_node_without_a_submit_node_fails_clearly(run_job, simulator):
    job = run_job({'url': simulator.url, 'username': USERNAME, 'password': PASSWORD}, WORKFLOW / 'wait.yml')
    assert job.status == 'failed'
    failed = job.results('runner_on_failed')
    assert 'put a submit node' in failed['Check that a submit node ran before this one']['msg']
