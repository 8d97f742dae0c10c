"""The customer, newsletter and erasure payloads of the contract (integration.md 1)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from winback.fields import (
    PAYLOAD_CONFIG,
    Birthdate,
    Email,
    ExternalId,
    FlagOrNull,
    OptionalFlag,
    OptionalTime,
    PhoneE164,
    Tags,
)


class CustomerPayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    email: Email
    id: ExternalId | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    gender: str | None = None
    birthdate: Birthdate = None
    created_at: OptionalTime = None
    updated_at: OptionalTime = None
    accepts_marketing: OptionalFlag = None
    tags: Tags = Field(default_factory=list)
    append_tags: FlagOrNull = False
    groups: list[dict[str, Any]] | None = None
    default_address: dict[str, Any] | None = None
    rewards: dict[str, Any] | None = None
    verified_email: OptionalFlag = None
    guest: OptionalFlag = None
    pos_id: ExternalId | None = None
    sms_phone_number_e164: PhoneE164 = None
    info: dict[str, Any] | None = None


class EmbeddedCustomer(CustomerPayload):
    """A customer inside an order or cart: the email may sit on the order instead."""

    email: Email | None = None  # type: ignore[assignment]


class ContactPayload(CustomerPayload):
    """A contact from a contacts import: known by its id, its email, its point-of-sale
    id or its phone number (integration.md 3).

    Applied as a ``customers/update``: the id finds the customer first, then the
    email, exactly as for a webhook's customer; only a contact named by neither is
    found by its pos_id, then its phone (``find_customer``).
    """

    email: Email | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _needs_identity(self) -> ContactPayload:
        if not any((self.id, self.email, self.pos_id, self.sms_phone_number_e164)):
            raise ValueError("a contact needs an id, an email, a pos_id or a phone number")
        return self


class CustomerDeletePayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    id: ExternalId | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _needs_identity(self) -> CustomerDeletePayload:
        if self.id is None and self.email is None:
            raise ValueError("a customer delete needs an id or an email")
        return self


class SubscribePayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    email: Email
    first_name: str | None = None
    last_name: str | None = None
    customerId: ExternalId | None = None  # noqa: N815 - the contract's spelling
    tags: Tags = Field(default_factory=list)
    sms_phone_number_e164: PhoneE164 = None
    double_optin_required: OptionalFlag = None


class UnsubscribePayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    email: Email
