"""/openapi.json, fetched over real HTTP, says what the server really does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from tests.conftest import StoreClient
from winback.api.schemas import (
    ActivityPage,
    CartView,
    CustomerPage,
    CustomerView,
    EventPage,
    OrderPage,
    OrderView,
    ProductView,
    SuppressionPage,
)
from winback.web.openapi import ErrorBody

READ_API = {
    "/api/v1/customers/{customer_id}": "CustomerView",
    "/api/v1/customers": "CustomerPage",
    "/api/v1/customers/{customer_id}/activity": "ActivityPage",
    "/api/v1/orders/{order_id}": "OrderView",
    "/api/v1/orders": "OrderPage",
    "/api/v1/products/{product_id}": "ProductView",
    "/api/v1/carts/{cart_id}": "CartView",
    "/api/v1/suppressions": "SuppressionPage",
    "/api/v1/events": "EventPage",
}
WEBHOOKS = ["/webhooks/store/{store_id}", "/webhooks"]
ERROR_REF = "#/components/schemas/ErrorBody"


@pytest.fixture
def document(store: StoreClient) -> dict[str, Any]:
    response = store.http.get("/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def json_schema(operation: dict[str, Any], status: str) -> dict[str, Any]:
    found: dict[str, Any] = operation["responses"][status]["content"]["application/json"]["schema"]
    return found


def test_every_reference_in_the_document_resolves(document: dict[str, Any]) -> None:
    found = set(refs(document))

    assert found, "the document references no schema at all"
    for ref in found:
        assert isinstance(resolve(document, ref), dict), ref


def test_no_operation_lists_a_422_validation_error_it_never_answers(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]

    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    listed = list(operations(document))
    assert len(listed) >= len(READ_API) + len(WEBHOOKS)
    for path, method, operation in listed:
        error = operation["responses"].get("422")
        assert error is None or json_schema(operation, "422") == {"$ref": ERROR_REF}, (
            f"{method} {path}"
        )
    # (so the shape above was checked on one at least: the CSV imports do answer 422)
    assert "422" in document["paths"]["/api/v1/imports/{kind}"]["post"]["responses"]


@pytest.mark.parametrize(("path", "model"), READ_API.items())
def test_read_api_answers_are_declared_as_their_json_objects(
    document: dict[str, Any], path: str, model: str
) -> None:
    operation = document["paths"][path]["get"]

    assert json_schema(operation, "200") == {"$ref": f"#/components/schemas/{model}"}
    assert resolve(document, json_schema(operation, "200")["$ref"])["type"] == "object"
    assert json_schema(operation, "401") == {"$ref": ERROR_REF}


def test_a_read_by_id_declares_404_and_a_list_declares_400_in_the_error_shape(
    document: dict[str, Any],
) -> None:
    paths = document["paths"]

    for path in ["/api/v1/customers/{customer_id}", "/api/v1/products/{product_id}"]:
        assert json_schema(paths[path]["get"], "404") == {"$ref": ERROR_REF}
    for path in ["/api/v1/customers", "/api/v1/orders", "/api/v1/events"]:
        assert json_schema(paths[path]["get"], "400") == {"$ref": ERROR_REF}


def test_the_error_shape_is_an_object_with_a_code_and_a_reason(document: dict[str, Any]) -> None:
    body = resolve(document, ERROR_REF)
    detail = resolve(document, body["properties"]["error"]["$ref"])

    assert body["required"] == ["error"]
    assert set(detail["required"]) == {"code", "reason"}
    assert {"pointer", "parameter"} <= set(detail["properties"])


def test_the_store_key_is_a_security_scheme_the_read_api_requires(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]

    assert {"type": "apiKey", "in": "header", "name": "x-api-key"}.items() <= schemes[
        "storeKey"
    ].items()
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["storeBearer"].items()
    for path in READ_API:
        operation = document["paths"][path]["get"]
        assert operation["security"] == [{"storeKey": []}, {"storeBearer": []}]
        header_names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert not header_names & {"x-api-key", "authorization"}, path


def test_the_log_filter_lists_the_outcomes_it_takes(document: dict[str, Any]) -> None:
    [outcome] = [
        p
        for p in document["paths"]["/api/v1/events"]["get"]["parameters"]
        if p["name"] == "outcome"
    ]
    schema = outcome["schema"]
    enum = schema.get("enum") or next(s["enum"] for s in schema["anyOf"] if "enum" in s)
    assert enum == ["applied", "duplicate", "failed", "pending", "rejected", "stale"]


def test_the_operator_routes_require_the_operator_token(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["operatorToken"]
    assert {"type": "http", "scheme": "bearer"}.items() <= scheme.items()
    operations = [
        (path, operation)
        for path, item in document["paths"].items()
        if path.startswith("/admin/")
        for operation in item.values()
    ]
    assert len(operations) >= 3
    for path, operation in operations:
        assert operation["security"] == [{"operatorToken": []}], path
        header_names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "authorization" not in header_names, path


@pytest.mark.parametrize("path", WEBHOOKS)
def test_the_webhook_documents_its_headers_body_answers_and_keys(
    document: dict[str, Any], path: str
) -> None:
    operation = document["paths"][path]["post"]
    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}

    assert headers["x-event-type"]["required"] is True
    assert {"x-token", "x-api-key", "x-event-time"} <= set(headers)
    body = operation["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"]["type"] == "object"
    accepted = resolve(document, json_schema(operation, "200")["$ref"])
    assert set(accepted["properties"]) == {"status", "event_id"}
    for status in ["400", "401", "404", "413", "415", "429"]:
        assert json_schema(operation, status) == {"$ref": ERROR_REF}, status
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert operation["security"] == [{"storeToken": []}, {"storeKey": []}]
    assert document["components"]["securitySchemes"]["storeToken"]["name"] == "x-token"


def test_the_query_form_of_the_webhook_documents_its_store_id(document: dict[str, Any]) -> None:
    parameters = document["paths"]["/webhooks"]["post"]["parameters"]

    assert {"name": "storeId", "in": "query", "required": True}.items() <= parameters[0].items()


def test_real_answers_are_what_the_document_says(store: StoreClient) -> None:
    # given a store with a customer, an order, a product, a cart, a suppression and
    # a rejected event
    for event_type, body in [
        ("customers/create", {"id": 7, "email": "ada@example.com", "gender": "F"}),
        ("products/create", {"id": "p1", "title": "Shirt", "price": "20"}),
        (
            "orders/create",
            {
                "id": 1001,
                "created_at": "2026-11-01T10:00:00Z",
                "customer": {"id": 7},
                "line_items": [{"product_id": "p1", "price": 20}],
                "discount_codes": [{"code": "WELCOME", "amount": 2}],
                "shipping_address": {"city": "Lyon"},
                "total_weight": 1.5,
            },
        ),
        ("carts/create", {"id": "c1", "customer": {"id": 7}, "cart_token": "t"}),
        ("newsletter/unsubscribe", {"email": "eve@example.com"}),
    ]:
        assert store.send(event_type, body).status_code == 200
    store.send("orders/create", {"id": 2})
    store.wait_applied()

    # then each answer validates against the model /openapi.json declares for it
    answers: list[tuple[type[BaseModel], str]] = [
        (CustomerView, "/api/v1/customers/7"),
        (CustomerPage, "/api/v1/customers"),
        (ActivityPage, "/api/v1/customers/7/activity"),
        (OrderView, "/api/v1/orders/1001"),
        (OrderPage, "/api/v1/orders"),
        (ProductView, "/api/v1/products/p1"),
        (CartView, "/api/v1/carts/c1"),
        (SuppressionPage, "/api/v1/suppressions"),
        (EventPage, "/api/v1/events"),
    ]
    for model, path in answers:
        model.model_validate(store.read(path))
    ErrorBody.model_validate(store.get("/api/v1/orders/404").json())
    ErrorBody.model_validate(store.get("/api/v1/customers", limit=0).json())
