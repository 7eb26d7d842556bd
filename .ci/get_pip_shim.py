"""Offline stand-in for the get-pip.py bootstrap that ansible-test --venv downloads.

ansible-test fetches get-pip from ci-files.testing.ansible.com, which build machines without
general internet access cannot reach. It runs the file as __main__ inside a venv created
--without-pip, passing pip-install arguments; ensurepip plus a normal pip install does the same.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'],
                      stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q'] + args)
