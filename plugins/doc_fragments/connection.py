# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment(object):
    """Connection options shared by every module (argspec: module_utils/options.py)."""

    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the orchestrator REST API.
      - If not set, the value of the E(PROVISIONING_URL) environment variable is used.
    type: str
    default: http://localhost:9090
  auth_url:
    description:
      - Base URL that serves C(/auth/login) and C(/auth/refresh) (the control center).
      - Defaults to O(url).
      - If not set, the value of the E(PROVISIONING_AUTH_URL) environment variable is used.
    type: str
  token:
    description:
      - Bearer token (JWT) sent as C(Authorization) on every request.
      - Takes precedence over O(username) and O(password) until the orchestrator rejects it;
        then the module refreshes it once (or logs in again with O(username)/O(password)).
      - If not set, the value of the E(PROVISIONING_TOKEN) environment variable is used.
    type: str
  username:
    description:
      - User to log in as (C(POST /auth/login) on O(auth_url)) when no O(token) is given.
      - Requires O(password).
      - If not set, the value of the E(PROVISIONING_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(PROVISIONING_PASSWORD) environment variable is used.
    type: str
  mfa_code:
    description:
      - One-time MFA code sent with the login request.
      - If not set, the value of the E(PROVISIONING_MFA_CODE) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate.
      - The setting is passed on every request, so E(REQUESTS_CA_BUNDLE) cannot override V(false).
      - If not set, the value of the E(PROVISIONING_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the server certificate (for private CAs).
      - If not set, the value of the E(PROVISIONING_CA_PATH) environment variable is used.
    type: path
  proxy:
    description:
      - HTTP(S) proxy URL used for both http and https requests, for example V(http://proxy:3128).
      - Without it the usual E(HTTPS_PROXY)/E(HTTP_PROXY)/E(NO_PROXY) variables apply.
      - If not set, the value of the E(PROVISIONING_PROXY) environment variable is used.
    type: str
  request_timeout:
    description:
      - Seconds to wait for the orchestrator to answer one HTTP request (socket timeout).
      - This is not the time to wait for a workflow; see O(wait_timeout).
      - If not set, the value of the E(PROVISIONING_REQUEST_TIMEOUT) environment variable is used.
    type: float
    default: 30.0
  max_retries:
    description:
      - How many times an idempotent request (a read, a cancel) is retried after a connection
        error or HTTP 429, 502, 503 or 504, with exponential backoff and jitter, honouring
        C(Retry-After), and never beyond the O(wait_timeout) deadline.
      - A request that creates a workflow is never re-sent blindly; see the idempotency notes.
      - V(0) disables retries.
      - If not set, the value of the E(PROVISIONING_MAX_RETRIES) environment variable is used.
    type: int
    default: 5
requirements:
  - requests
  - tenacity
"""
