# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import requests

from ansible_collections.provisioning.platform.plugins.module_utils.errors import (
    ApiError, ConnectionFailure, TaskFailed, TLSFailure, WaitTimeout, describe_cause,
)


def test_api_error_message_format():
    exc = ApiError(503, "Service Unavailable", "queue full", url="http://h:9090/x", response={"error": "queue full"})
    assert exc.msg == "HTTP 503 Service Unavailable: queue full"
    assert exc.result_fields() == {"status": 503, "url": "http://h:9090/x", "response": {"error": "queue full"}}


def test_connection_failure_names_host_and_innermost_cause():
    err = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    exc = ConnectionFailure("http://h:9090", err)
    assert exc.msg.startswith("Failed to connect to orchestrator at http://h:9090: ConnectionRefusedError")
    assert "Connection refused" in exc.msg


def test_tls_failure_says_how_to_fix():
    exc = TLSFailure("https://h", requests.exceptions.SSLError("certificate verify failed"))
    assert "ca_path" in exc.msg and "validate_certs" in exc.msg


def test_describe_cause_plain_string():
    assert describe_cause("boom") == "boom"
    assert describe_cause(None) == "unknown error"


def test_task_failed_and_timeout_carry_details():
    failed = TaskFailed({"id": "t1", "status": "Failed", "error": "quota", "output": "log"})
    assert failed.msg == "task t1 ended Failed: quota"
    assert failed.result_fields()["output"] == "log"
    timeout = WaitTimeout("t1", "Running", 12.5, {"id": "t1", "status": "Running"})
    assert "t1" in timeout.msg and "Running" in timeout.msg and "12.5" in timeout.msg
    assert timeout.result_fields()["last_status"] == "Running"
