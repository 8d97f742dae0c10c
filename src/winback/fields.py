"""Field types shared by every payload: ids, money, emails, tags, timestamps.

The contract lets senders send numbers as strings and ids as numbers; these
types accept both and hand on one exact form (``str`` ids, ``Decimal`` money,
lower-case emails, aware UTC datetimes).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from winback.reasons import (
    NOT_A_DATE,
    NOT_A_PHONE,
    NOT_A_REAL_DATE,
    NOT_AN_EMAIL,
    TIME_FORM,
    json_kind,
)

MAX_ID_LENGTH = 255
# What every database keeps exactly with 4 places (SQLite: as a 64-bit integer).
MAX_AMOUNT = 10**14
# The decimal places storage keeps of money and quantities (storage/schema.py): a
# value with more would be rounded there, so it is refused here instead.
MAX_PLACES = 4

# Payload models keep unknown fields (real senders add their own) and accept
# numbers where strings are expected and the other way round.
PAYLOAD_CONFIG = ConfigDict(extra="allow", coerce_numbers_to_str=True, str_strip_whitespace=True)


def to_external_id(value: Any) -> str:
    """An id as kept: a string of at most ``MAX_ID_LENGTH``, from a string or a whole number."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError("an id must be a string or a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("a numeric id must be a whole number")
        # As the sender wrote it (the shortest text that reads back as this double):
        # 1e23 is 10**23, where int() would give the double's 99999999999999991611392.
        value = int(Decimal(repr(value)))
    text = str(value).strip()
    if not text:
        raise ValueError("an id must not be empty")
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"an id must be at most {MAX_ID_LENGTH} characters")
    return text


# A number as JSON writes one, as text: ASCII digits, a point, an exponent.
NUMERIC_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def to_decimal(value: Any) -> Decimal:
    """Exact decimal from a JSON number or a numeric string (``"129.90"``, ``"1,299.00"`` no)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr of a float is the shortest string that round-trips: 129.9 -> "129.9".
        result = Decimal(repr(value))
    elif isinstance(value, str):
        # (Decimal itself also takes "1_000", other scripts' digits and "NaN": no
        # shop writes an amount that way, and the reader of a 400 learns more)
        if not NUMERIC_TEXT.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a number")
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError("expected a number or a numeric string")
    if not result.is_finite():
        raise ValueError("the number must be finite")
    # (copy_abs, not abs(): abs() rounds to the context, and 1e99999999 overflows it)
    if result.copy_abs() >= MAX_AMOUNT:
        raise ValueError(f"the amount must be less than {MAX_AMOUNT:,} in absolute value")
    return result


_STORED_STEP = Decimal(1).scaleb(-MAX_PLACES)


def decimal_places(value: Decimal) -> int:
    """Digits after the point once trailing zeros are dropped: ``10.1200`` has 2.

    Counted on the digits themselves: ``normalize()`` would first round to the
    context's 28 digits, and a long enough value would pass as having none.
    """
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or not any(digits):
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


def check_places(value: Decimal, what: str) -> Decimal:
    """``value`` if storage keeps it as it is; a ValueError naming ``what`` if it would round it."""
    try:
        # Most values pass: quantizing (a C call) tells at once, where counting the
        # digits costs ten times more, and is left for the refusal's message.
        if value.quantize(_STORED_STEP) == value:
            return value
    except InvalidOperation:  # too many digits to quantize: counted below
        pass
    places = decimal_places(value)
    if places > MAX_PLACES:
        raise ValueError(f"{what} has at most {MAX_PLACES} decimal places, this has {places}")
    return value


def to_money(value: Any) -> Decimal:
    """Exact money: a number under ``MAX_AMOUNT`` with at most 4 places, kept as sent."""
    return check_places(to_decimal(value), "money")


def check_money(value: Decimal) -> Decimal:
    """``to_money`` for a finite ``Decimal`` already read (a feed's price, by the million)."""
    if value.copy_abs() >= MAX_AMOUNT:
        raise ValueError(f"the amount must be less than {MAX_AMOUNT:,} in absolute value")
    return check_places(value, "money")


def to_email(value: Any) -> str:
    """A valid address, normalized and lower-case; a ValueError saying why not otherwise.

    New input is held to RFC 5321's limit on the part before the @-sign; an event
    stored before the limit was kept is applied as it was accepted (``stored_input``),
    and ``email_as_stored`` finds such addresses too.
    """
    if not isinstance(value, str):
        raise ValueError("an email must be a string")
    if _READING_STORED.get():
        return _normalized_email(value)
    return _new_email(value)


def email_as_stored(text: str) -> str:
    """An address a reader gives, as winback would have stored it (normalized and
    lower-case), so that it finds what a store sent in any of its spellings; text
    that is no address is only lower-cased (it matches nothing stored)."""
    try:
        return _normalized_email(text)
    except ValueError:
        return text.strip().lower()


# RFC 5321 (and RFC 6531 for UTF-8 addresses): a mail server need not take a
# longer local part, so an address with one may never be delivered to.
MAX_LOCAL_PART_OCTETS = 64

# Set while events already stored are applied: what was acknowledged with a 200 is
# applied by the rules it was accepted under, on a replay too.
_READING_STORED: ContextVar[bool] = ContextVar("reading_stored", default=False)


@contextmanager
def stored_input() -> Iterator[None]:
    """Read payloads as stored events: the checks added since they were accepted are off."""
    token = _READING_STORED.set(True)
    try:
        yield
    finally:
        _READING_STORED.reset(token)


# (cached as the address itself is: the same addresses come back again and again)
@functools.lru_cache(maxsize=100_000)
def _new_email(value: str) -> str:
    address = _normalized_email(value)
    _check_local_part(value, address)
    return address


def _check_local_part(value: str, address: str) -> None:
    octets = len(address.rsplit("@", 1)[0].encode("utf-8"))
    if octets > MAX_LOCAL_PART_OCTETS:
        raise ValueError(
            f"{value!r} {NOT_AN_EMAIL}: the part before the @-sign must be"
            f" at most {MAX_LOCAL_PART_OCTETS} bytes long in UTF-8 (RFC 5321), this one"
            f" is {octets}"
        )


# Checking an address costs about 0.1 ms and the same addresses come back again and
# again (a shopper's every order, a store's history import); bounded, so memory is too.
@functools.lru_cache(maxsize=100_000)
def _normalized_email(value: str) -> str:
    """``value`` normalized and lower-cased if it is an address (of any length
    before the @-sign, as email_validator allows); a ValueError saying why not."""
    plain = _plain_email(value.strip())
    if plain is not None:
        return plain
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{value!r} {NOT_AN_EMAIL}: {error}") from None
    return checked.normalized.lower()


# Most addresses are plain ASCII ones of this shape, which the full check accepts as
# they are (lower-cased), unless they are too long, have a label with "--" (which
# IDNA rules cover) or a reserved top-level domain: those, and any other address,
# go through the full check. This one costs a few per cent of it.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.ASCII | re.IGNORECASE,
)
_RESERVED_DOMAINS = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_MAX_EMAIL_LENGTH = 254


def _plain_email(value: str) -> str | None:
    """The address lower-cased, if it is a plain one (see above); else None."""
    if len(value) > _MAX_EMAIL_LENGTH or _PLAIN_EMAIL.fullmatch(value) is None:
        return None
    local_part, domain = value.lower().rsplit("@", 1)
    if len(local_part) > MAX_LOCAL_PART_OCTETS or "--" in domain:
        return None
    if domain.rsplit(".", 1)[1] in _RESERVED_DOMAINS:
        return None
    return f"{local_part}@{domain}"


def _tag_list(value: Any) -> Any:
    """Tags as a list to check one by one: a comma-separated string split, null none."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, list):
        return value
    raise ValueError("tags must be a list or a comma-separated string")


def _tag(value: Any) -> str:
    # (checked here, each on its own, so that a refusal points at the tag: /tags/1)
    if not isinstance(value, (str, int)):
        raise ValueError(f"a tag must be a string, got {json_kind(value)}")
    return str(value).strip()


def _distinct_tags(tags: list[str]) -> list[str]:
    """The tags in the order sent, each once, blank ones dropped."""
    return list(dict.fromkeys(tag for tag in tags if tag))


def _aware(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is before year 1 in UTC, 9999-12-31T23:59-01:00 after 9999.
        raise ValueError(
            f"the time {value.isoformat()} is out of range: in UTC it must fall "
            "between 0001-01-01 and 9999-12-31"
        ) from None


# A zone offset as ISO 8601 also writes it (+02, +0200) or as Ruby's Time#to_s
# does (a space before it), after a time of day: the parser takes only +02:00.
_OFFSET_AFTER_TIME = re.compile(
    r"(?P<time>[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) ?"
    r"(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})?$"
)


def _with_iso_offset(text: str) -> str:
    found = _OFFSET_AFTER_TIME.search(text)
    if found is None:
        return text
    zone = f"{found['sign']}{found['hours']}:{found['minutes'] or '00'}"
    return text[: found.start()] + found["time"] + zone


# A UNIX time sent as text: digits, with a fraction if any. "+5", ".5" or "1.e5" are
# numbers too, but no store writes a time so; taken as one, each would be a 1970 date.
_UNIX_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)


def _time(value: Any, parse: ValidatorFunctionWrapHandler) -> Any:
    """A time as the validator reads it; text it cannot read is read again by Python's
    ISO 8601 parser, which takes the basic form (20261129T100000Z) and says what is
    wrong with the rest (an hour of 24, a 30th of February)."""
    if _negative_number(value) and not _READING_STORED.get():
        raise ValueError(
            f"a UNIX time counts seconds since 1970-01-01 and cannot be negative; got {value!r}"
        )
    if not isinstance(value, str) or not value.strip():
        return parse(value)  # (refused as what it is: "got an empty string")
    text = _with_iso_offset(value.strip())
    if NUMERIC_TEXT.fullmatch(text) and not _UNIX_TEXT.fullmatch(text):
        raise ValueError(
            "a UNIX time sent as text must be digits, with a fraction if any, like"
            f" '1795780800'; got {value[:60]!r}"
        )
    try:
        return parse(text)
    except ValidationError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        problem = _iso_problem(str(error))
        raise ValueError(f"must be {TIME_FORM}{problem}; got {value[:60]!r}") from None
    return parse(parsed)


def _negative_number(value: Any) -> bool:
    # (text such as "-5" is refused by its form, a bool is no time at all)
    return isinstance(value, int | float) and not isinstance(value, bool) and value < 0


def _iso_problem(message: str) -> str:
    """Python's word on a time it could not read, where it says more than the value does."""
    if message.startswith("Invalid isoformat string"):
        return ""
    if message.startswith("offset must be"):
        return ": the zone offset must be less than 24 hours"
    return f": {message}"  # (an hour of 24, a 30th of February)


# An update is ordered by its updated_at: one far ahead would make every later update
# of the record stale, for good. A day covers any zone a sender may have got wrong
# (offsets reach 14 hours); a clock further off is wrong, and is told so.
MAX_VERSION_AHEAD = timedelta(days=1)


def version_ahead(updated_at: datetime, now: datetime) -> str | None:
    """What is wrong with a version time ``updated_at`` received at ``now``, if anything."""
    if updated_at - now <= MAX_VERSION_AHEAD:
        return None
    hours = int((updated_at - now).total_seconds() // 3600)
    return (
        f"is {hours:,} hours ahead of this server's clock; it must say when the record last"
        " changed (up to a day ahead is taken as a time zone error): a later one would make"
        " every update of the record until then stale"
    )


def calendar_date(text: str) -> str:
    """A calendar date written ``YYYY-MM-DD``, as written (a webhook's and a file's rule)."""
    stripped = text.strip()
    if _DATE.fullmatch(stripped) is None:
        raise ValueError(f"{text!r} {NOT_A_DATE}")
    try:
        date.fromisoformat(stripped)
    except ValueError:
        raise ValueError(f"{text!r} {NOT_A_REAL_DATE}") from None
    return stripped


# (not fromisoformat alone: it also takes week dates such as 2020-W01-1)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def phone_e164(text: str) -> str:
    """A phone number in international form, normalised to E.164 (``+4915112345678``).

    The same rule for a webhook's ``sms_phone_number_e164`` and an import's
    ``sms_phone_number``: a number one store can send either way is one number.
    """
    compact = _PHONE_SEPARATORS.sub("", text)
    if compact.startswith("00"):
        # 00 is how most of the world dials out: "0049..." is "+49..."
        compact = "+" + compact[2:]
    if _E164.fullmatch(compact) is None:
        raise ValueError(
            f"{text!r} {NOT_A_PHONE} in E.164 form: + (or 00), the country code and"
            " the number, 7 to 15 digits in all"
        )
    return compact


# E.164 allows 15 digits; the shortest numbers in use (country code and
# subscriber number together) have 7.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# What people write between the digits of a phone number.
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _birthdate(value: Any) -> str | None:
    return None if _blank(value) else calendar_date(str(value))


def _e164(value: Any) -> str | None:
    return None if _blank(value) else phone_e164(str(value))


def iso_time(value: datetime | None) -> str | None:
    """A time on the wire: ISO 8601 with its offset, or null."""
    return value.isoformat() if value else None


def format_money(value: Decimal | None) -> str | None:
    """Money on the wire: a decimal string with at least two places (``"129.90"``)."""
    if value is None:
        return None
    # Most amounts have at most two places: one rounding (a C call) tells, and is the text.
    cents = value.quantize(_CENT)
    if cents == value:
        return str(cents)
    return format(value.normalize(), "f")


_CENT = Decimal("0.01")


ExternalId = Annotated[str, BeforeValidator(to_external_id)]
# A SKU names a product when a line has no product id, so it is bounded like an id.
Sku = Annotated[str, StringConstraints(max_length=MAX_ID_LENGTH)]
# An ISO 4217 code; stored upper-case in a column of three characters.
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
Money = Annotated[Decimal, BeforeValidator(to_money), PlainSerializer(format_money)]
# Senders that send a discount negative mean the same amount.
Discount = Annotated[Money, AfterValidator(abs)]
Email = Annotated[str, BeforeValidator(to_email)]
Tags = Annotated[
    list[Annotated[str, BeforeValidator(_tag)]],
    BeforeValidator(_tag_list),
    AfterValidator(_distinct_tags),
]
Birthdate = Annotated[str | None, BeforeValidator(_birthdate)]
PhoneE164 = Annotated[str | None, BeforeValidator(_e164)]


def none_as_empty(value: Any) -> Any:
    """Senders often send ``null`` for "none": an optional list sent so is empty."""
    return [] if value is None else value


def _blank_as_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _none_as_false(value: Any) -> Any:
    return False if _blank_as_none(value) is None else value


# An optional flag sent as ``null`` (or empty) has its default, ``false``.
FlagOrNull = Annotated[bool, BeforeValidator(_none_as_false)]
# A three-state flag sent empty (as PHP writes a null) is unknown, as null is.
OptionalFlag = Annotated[bool | None, BeforeValidator(_blank_as_none)]
# A shopper's id sent empty names no one: the shopper is then known by the email.
OptionalId = Annotated[ExternalId | None, BeforeValidator(_blank_as_none)]
_FLAG_TRUE = TypeAdapter(bool)


def is_true(value: Any) -> bool:
    """Whether a flag as sent says true (in any of the spellings a flag takes)."""
    try:
        return _FLAG_TRUE.validate_python(value) is True
    except ValidationError:
        return False


UTCTime = Annotated[AwareDatetime, WrapValidator(_time), AfterValidator(_aware)]


# An optional time sent empty (as many platforms write "none") is no time.
OptionalTime = Annotated[UTCTime | None, BeforeValidator(_blank_as_none)]


def sender_fields(extra: dict[str, Any] | None) -> dict[str, Any]:
    """A payload's unknown fields, to keep beside winback's own bookkeeping: not those
    whose names start with ``_``, the bookkeeping's own prefix, which a sender's
    field must not overwrite (the raw log keeps every field as sent)."""
    return {name: value for name, value in (extra or {}).items() if not name.startswith("_")}


def image_urls(*images: Any) -> list[str]:
    """Each image's address, in order and once: an image is a URL, or an object
    with its URL in ``src`` or ``url`` (as platforms send them)."""
    urls: list[str] = []
    for image in images:
        if isinstance(image, dict):
            image = image.get("src") or image.get("url")
        if isinstance(image, str) and image and image not in urls:
            urls.append(image)
    return urls
