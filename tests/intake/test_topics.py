"""Unit: which topic an x-event-type names (integration.md 1, "Event types")."""

from __future__ import annotations

import pytest

from winback.intake.topics import BROWSER_TOPICS, Topic, topic_for

NAMES_AND_ALIASES = [
    ("customers/create", "customers/created", Topic.CUSTOMER_CREATE),
    ("customers/update", "customers/updated", Topic.CUSTOMER_UPDATE),
    ("customers/delete", "customers/deleted", Topic.CUSTOMER_DELETE),
    ("orders/create", "orders/created", Topic.ORDER_CREATE),
    ("orders/update", "orders/updated", Topic.ORDER_UPDATE),
    ("orders/delete", "orders/deleted", Topic.ORDER_DELETE),
    ("products/create", "products/created", Topic.PRODUCT_CREATE),
    ("products/update", "products/updated", Topic.PRODUCT_UPDATE),
    ("products/delete", "products/deleted", Topic.PRODUCT_DELETE),
    ("carts/create", "carts/created", Topic.CART_CREATE),
    ("carts/update", "carts/updated", Topic.CART_UPDATE),
    ("newsletter/subscribe", "newsletter/subscribed", Topic.SUBSCRIBE),
    ("newsletter/unsubscribe", "newsletter/unsubscribed", Topic.UNSUBSCRIBE),
]


@pytest.mark.parametrize(("name", "alias", "topic"), NAMES_AND_ALIASES)
def test_a_documented_name_and_its_past_tense_alias_mean_the_same_topic(
    name: str, alias: str, topic: Topic
) -> None:
    assert topic_for(name) is topic
    assert topic_for(alias) is topic
    assert topic.value == name


def test_every_topic_but_custom_has_a_documented_name() -> None:
    assert {topic for _, _, topic in NAMES_AND_ALIASES} == set(Topic) - {Topic.CUSTOM}


@pytest.mark.parametrize("sent", ["Orders/Create", "  orders/created  ", "ORDERS/CREATED"])
def test_case_and_surrounding_spaces_do_not_change_the_topic(sent: str) -> None:
    assert topic_for(sent) is Topic.ORDER_CREATE


@pytest.mark.parametrize(
    "sent",
    ["product_viewed", "Signed Up", "order/create", "orders/creates", "orders", "custom", ""],
)
def test_any_other_type_is_a_custom_event(sent: str) -> None:
    assert topic_for(sent) is Topic.CUSTOM


def test_a_browser_may_not_create_orders_or_products_or_erase_people() -> None:
    assert BROWSER_TOPICS.isdisjoint(
        {
            Topic.ORDER_CREATE,
            Topic.ORDER_UPDATE,
            Topic.ORDER_DELETE,
            Topic.PRODUCT_CREATE,
            Topic.PRODUCT_UPDATE,
            Topic.PRODUCT_DELETE,
            Topic.CUSTOMER_CREATE,
            Topic.CUSTOMER_DELETE,
            Topic.UNSUBSCRIBE,
        }
    )
