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
    OptionalId,
    OptionalTime,
    PhoneE164,
    Tags,
    is_true,
)


class CustomerPayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    email: Email
    id: OptionalId = None
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
    pos_id: OptionalId = None
    sms_phone_number_e164: PhoneE164 = None
    info: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_guest_placeholder(cls, data: Any) -> Any:
        """A guest has no account: the 0 many platforms send as a guest's id names no
        one (else every guest of the store would be one customer, "0")."""
        if isinstance(data, dict) and is_true(data.get("guest")):
            placeholder = str(data.get("id")).strip() in ("0", "0.0")
            if placeholder:
                return {**data, "id": None}
        return data


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
    customerId: OptionalId = None  # noqa: N815 - the contract's spelling
    tags: Tags = Field(default_factory=list)
    sms_phone_number_e164: PhoneE164 = None
    double_optin_required: OptionalFlag = None


class UnsubscribePayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    email: Email
