"""AWX's handling of a custom credential type, reimplemented for tests (AWX itself is not installable here).

Two parts, written after AWX's own code (awx/main/fields.py and awx/main/models/credential/__init__.py):

* ``validate(credential_type)``: what the API checks when the type is created (input-field schema,
  injector schema, forbidden environment variables, and a render of every injector template with
  StrictUndefined against a namespace where every input is 'EXAMPLE', so a typo in a field name is
  refused);
* ``inject(credential_type, inputs, private_data_dir)``: what a job launch does
  (``CredentialType.inject_credential``):
  - the template namespace holds the credential's inputs; an input that is unset *or empty* is
    left out, so it is undefined in the template and renders as '' (Jinja2's default Undefined);
  - a boolean input the credential does not set is False (not the field's ``default``);
  - each file injector is rendered, written with mkstemp into ``<private_data_dir>/env/`` (mode
    0660), and its path exposed as ``tower.filename`` (single file) or ``tower.filename.<name>``
    (``template.<name>``); files are written even when the template renders empty;
  - env injectors are rendered twice: with real values (the job's environment) and with secret
    inputs replaced by '**********' (the ``safe_env`` AWX stores and shows in the job details);
  - both use jinja2.sandbox.ImmutableSandboxedEnvironment.
Under an execution environment AWX rewrites file paths to the container's /runner/...; here jobs
run on the host, so the host path is used (AWX without containers does the same).
"""
import os
import re
import stat
import tempfile

from jinja2 import StrictUndefined, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

HIDDEN = '**********'

# awx/main/constants.py ENV_BLOCKLIST (variables AWX itself sets for a job); ANSIBLE_* is refused too.
ENV_BLOCKLIST = frozenset((
    'VIRTUAL_ENV', 'PATH', 'PYTHONPATH', 'JOB_ID', 'INVENTORY_ID', 'INVENTORY_SOURCE_ID',
    'INVENTORY_UPDATE_ID', 'AD_HOC_COMMAND_ID', 'REST_API_URL', 'REST_API_TOKEN', 'MAX_EVENT_RES',
    'CALLBACK_QUEUE', 'CALLBACK_CONNECTION', 'CACHE', 'JOB_CALLBACK_DEBUG', 'INVENTORY_HOSTVARS',
    'AWX_HOST', 'PROJECT_REVISION', 'SUPERVISOR_CONFIG_PATH',
))
FIELD_KEYS = {'id', 'label', 'type', 'format', 'choices', 'help_text', 'multiline', 'secret',
              'ask_at_runtime', 'default'}
NAME_RE = re.compile(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$')
FILE_KEY_RE = re.compile(r'^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$')


class CredentialTypeError(ValueError):
    pass


def _fields(credential_type):
    return credential_type.get('inputs', {}).get('fields', [])


def secret_fields(credential_type):
    return [f['id'] for f in _fields(credential_type) if f.get('secret', False) is True]


def validate(credential_type):
    """Raise CredentialTypeError where AWX's API would refuse the credential type."""
    if credential_type.get('kind') not in ('cloud', 'net'):
        raise CredentialTypeError('custom credential types must be kind cloud or net')
    inputs = credential_type.get('inputs', {})
    if set(inputs) - {'fields', 'required'}:
        raise CredentialTypeError('unknown inputs keys: %s' % sorted(set(inputs) - {'fields', 'required'}))
    seen = set()
    for field in _fields(credential_type):
        extra = set(field) - FIELD_KEYS
        if extra:
            raise CredentialTypeError('field %s: unknown keys %s' % (field.get('id'), sorted(extra)))
        if 'id' not in field or 'label' not in field:
            raise CredentialTypeError('every field needs id and label: %r' % field)
        if not NAME_RE.match(field['id']):
            raise CredentialTypeError('%s is an invalid variable name' % field['id'])
        if field['id'] == 'tower':
            raise CredentialTypeError('"tower" is a reserved field name')
        if field['id'] in seen:
            raise CredentialTypeError('field IDs must be unique (%s)' % field['id'])
        seen.add(field['id'])
        ftype = field.get('type', 'string')
        if ftype not in ('string', 'boolean'):
            raise CredentialTypeError('field %s: type must be string or boolean' % field['id'])
        if field.get('format') not in (None, 'ssh_private_key', 'url'):
            raise CredentialTypeError('field %s: unknown format %s' % (field['id'], field['format']))
        if 'default' in field and type(field['default']) is not {'string': str, 'boolean': bool}[ftype]:
            raise CredentialTypeError('field %s: default %r is not a %s' % (field['id'], field['default'], ftype))
        for key in ('choices', 'multiline', 'format', 'secret'):
            if key in field and ftype != 'string':
                raise CredentialTypeError('%s not allowed for %s type (%s)' % (key, ftype, field['id']))
        for key in ('multiline', 'secret', 'ask_at_runtime'):
            if key in field and not isinstance(field[key], bool):
                raise CredentialTypeError('field %s: %s must be a boolean' % (field['id'], key))
    for name in inputs.get('required', []):
        if name not in seen:
            raise CredentialTypeError('required field %s is not defined' % name)

    injectors = credential_type.get('injectors', {})
    if set(injectors) - {'file', 'env', 'extra_vars'}:
        raise CredentialTypeError('unknown injector kinds: %s' % sorted(set(injectors) - {'file', 'env', 'extra_vars'}))
    for key in injectors.get('file', {}):
        if not FILE_KEY_RE.match(key):
            raise CredentialTypeError('file injector key %s must be template or template.<name>' % key)
    for key, value in injectors.get('env', {}).items():
        if not NAME_RE.match(key):
            raise CredentialTypeError('%s is not a valid environment variable name' % key)
        if key.startswith('ANSIBLE_'):
            raise CredentialTypeError('Environment variable %s may affect Ansible configuration' % key)
        if key in ENV_BLOCKLIST:
            raise CredentialTypeError('Environment variable %s is not allowed to be used in credentials' % key)
        if not isinstance(value, str) or not all(ord(c) < 128 for c in value):
            raise CredentialTypeError('env injector %s must be an ASCII string' % key)

    # The render check of CredentialTypeInjectorField.validate.
    namespace = {name: 'EXAMPLE' for name in seen}

    class Exploding(object):
        def __str__(self):
            raise UndefinedError('Must define unnamed file injector in order to reference `tower.filename`.')

    class Tower(object):
        def __init__(self):
            self.filename = Exploding()

        def __str__(self):
            raise UndefinedError('Cannot directly reference reserved `tower` namespace container.')

    namespace['tower'] = Tower()
    names = [k for k in injectors.get('file', {}) if k.startswith('template')]
    if 'template' in names:
        if len(names) > 1:
            raise CredentialTypeError('Must use multi-file syntax when injecting multiple files')
        namespace['tower'].filename = 'EXAMPLE_FILENAME'
    else:
        for name in names:
            setattr(namespace['tower'].filename, name.split('.', 1)[1], 'EXAMPLE_FILENAME')
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind, injector in injectors.items():
        for key, template in injector.items():
            try:
                sandbox.from_string(template).render(namespace)
            except UndefinedError as exc:
                raise CredentialTypeError('%s uses an undefined field (%s)' % (key, exc))


def inject(credential_type, inputs, private_data_dir):
    """(env, safe_env) for a job that uses a credential with ``inputs``; files go to private_data_dir/env."""

    class Namespace(object):
        pass

    tower = Namespace()
    namespace = {'tower': tower}
    safe_namespace = {'tower': tower}
    secrets = secret_fields(credential_type)
    for name, value in inputs.items():
        if type(value) is bool:
            namespace[name] = safe_namespace[name] = value
            continue
        if name in secrets:
            safe_namespace[name] = HIDDEN
        elif len(value):
            safe_namespace[name] = value
        if len(value):
            namespace[name] = value
    for field in _fields(credential_type):
        if field.get('type', 'string') == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = safe_namespace[field['id']] = False

    sandbox = ImmutableSandboxedEnvironment()
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, exist_ok=True)
    for label, template in credential_type.get('injectors', {}).get('file', {}).items():
        data = sandbox.from_string(template).render(**namespace)
        _, path = tempfile.mkstemp(dir=env_dir)
        with open(path, 'w') as handle:
            handle.write(data)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP)
        if '.' not in label:
            tower.filename = path
        else:
            if not hasattr(tower, 'filename'):
                tower.filename = Namespace()
            setattr(tower.filename, label.split('.', 1)[1], path)

    env, safe_env = {}, {}
    for name, template in credential_type.get('injectors', {}).get('env', {}).items():
        env[name] = sandbox.from_string(template).render(**namespace)
        safe_env[name] = sandbox.from_string(template).render(**safe_namespace)
    return env, safe_env
