"""A refused event's log line: enough to find it in the integration log, and no
address, phone number or date of birth of a person, which no erasure could reach
there."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.processes import (
    line_naming,
    listening_ports,
    run_winback,
    running,
    winback_environment,
)
from winback.reasons import without_personal_value


def test_a_refused_address_or_phone_number_stays_out_of_the_servers_log(tmp_path: Path) -> None:
    store = json.loads(run_winback(["store", "create", "--name", "Shop"], tmp_path).stdout)
    env = winback_environment(tmp_path, WINBACK_LOG_LEVEL="info", WINBACK_LOG_JSON="1")
    refused = {"id": "c1", "email": "jo.doe@@example.com", "sms_phone_number_e164": "+1 555 x"}

    with running(["serve", "--port", "0"], env) as process:
        [port] = listening_ports(process)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/store/{store['store_id']}",
            headers={"x-event-type": "customers/create", "x-token": store["api_key"]},
            json=refused,
        )
        line = json.loads(line_naming(process, "event refused"))

    assert answer.status_code == 400
    assert "jo.doe@@example.com" in answer.json()["error"]["reason"]
    assert (line["store_id"], line["status"], line["pointer"]) == (store["store_id"], 400, "/email")
    assert line["reason"].startswith("the value is not a valid email address")
    assert "jo.doe" not in json.dumps(line)


def test_a_quoted_date_of_birth_is_left_out_too() -> None:
    assert without_personal_value("'14/07/1985' is not a date written YYYY-MM-DD") == (
        "the value is not a date written YYYY-MM-DD"
    )
    assert without_personal_value("'1985-02-30' is not a real date") == (
        "the value is not a real date"
    )


def test_only_the_quoted_address_or_phone_number_is_left_out() -> None:
    assert (
        without_personal_value('"o\'neil@@x.org" is not a valid email address: two @-signs')
        == "the value is not a valid email address: two @-signs"
    )
    assert without_personal_value("'+1 5x' is not a phone number in E.164 form") == (
        "the value is not a phone number in E.164 form"
    )
    assert without_personal_value("must be a number, got 'abc'") == "must be a number, got 'abc'"
    assert without_personal_value("'kind' is not a field of this request") == (
        "'kind' is not a field of this request"
    )


def test_a_delivery_to_an_unknown_store_is_said_in_the_log_and_counted(tmp_path: Path) -> None:
    # (it has no store whose integration log could keep it: the operator is told)
    run_winback(["store", "create", "--name", "Shop"], tmp_path)
    env = winback_environment(tmp_path, WINBACK_LOG_LEVEL="info", WINBACK_LOG_JSON="1")

    with running(["serve", "--port", "0"], env) as process:
        [port] = listening_ports(process)
        base = f"http://127.0.0.1:{port}"
        answer = httpx.post(
            f"{base}/webhooks/store/st_mistyped",
            headers={"x-event-type": "customers/create", "x-token": "k"},
            json={"email": "ada@example.com"},
        )
        line = json.loads(line_naming(process, "event refused"))
        metrics = httpx.get(f"{base}/metrics").text

    assert answer.status_code == 404
    assert (line["store_id"], line["status"]) == ("st_mistyped", 404)
    counted = 'winback_events_received_total{outcome="unknown_store",source="webhook"} 1.0'
    assert counted in metrics
