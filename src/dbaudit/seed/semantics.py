"""What a column means: its name (snake and camel case split, plurals and common abbreviations undone), its
table's name and its type give a *kind* (``email``, ``price``, ``birth_date``...) with a plausible range.

The classifier only reads names and types; it never looks at data.  It knows nothing of CHECKs either: the
caller keeps a kind's values only where the column's rules accept them (CHECKs and types win over meaning).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: Kinds whose text may carry the mock marker: free text a person reads, never an identifier, code or number.
FREE_TEXT = frozenset(
    {"description", "note", "title", "label", "name", "company", "full_name", "first_name", "last_name"}
)
#: Marker preference among free-text kinds: prose first, then names of things, then names of people.
MARKER_ORDER = (
    "description",
    "note",
    "title",
    "label",
    "name",
    "company",
    "full_name",
    "last_name",
    "first_name",
)

NUMERIC = frozenset({"int", "decimal", "float", "year"})
TEXT = frozenset({"str"})
TEMPORAL = frozenset({"date", "datetime"})


@dataclass(frozen=True)
class Semantic:
    """A column's kind and, for numbers, years and durations, the range real values fall into."""

    kind: str
    low: float | None = None
    high: float | None = None

    @property
    def free_text(self) -> bool:
        return self.kind in FREE_TEXT


UNKNOWN = Semantic("unknown")

_ABBREVIATIONS = {
    "qty": "quantity",
    "amt": "amount",
    "desc": "description",
    "descr": "description",
    "addr": "address",
    "num": "number",
    "no": "number",
    "nr": "number",
    "pct": "percent",
    "perc": "percent",
    "percentage": "percent",
    "dob": "birthdate",
    "tel": "phone",
    "telephone": "phone",
    "mobile": "phone",
    "cell": "phone",
    "fax": "phone",
    "msg": "message",
    "lat": "latitude",
    "lng": "longitude",
    "lon": "longitude",
    "long": "longitude",
    "seq": "sequence",
    "cnt": "count",
    "dur": "duration",
    "ccy": "currency",
    "lang": "language",
    "ver": "version",
    "pwd": "password",
    "passwd": "password",
    "pw": "password",
    "fname": "firstname",
    "lname": "lastname",
    "zip": "postcode",
    "zipcode": "postcode",
    "postalcode": "postcode",
    "mail": "email",
    "ip": "ip",
    "ipaddr": "ip",
    "mac": "mac",
    "uri": "url",
    "pass": "password",
    "href": "url",
    "homepage": "url",
    "website": "url",
    "img": "image",
    "ext": "extension",
    "tz": "timezone",
    "colour": "color",
    "utc": "",
    "fk": "",
    "pk": "",
}
_SINGULAR_KEEP = {"status", "address", "class", "alias", "bus", "gas", "news", "series", "canvas", "analysis"}


def _singular(token: str) -> str:
    if len(token) <= 3 or token in _SINGULAR_KEEP or token.endswith(("ss", "us", "is")):
        return token
    if token.endswith("ies"):
        return token[:-3] + "y"
    if token.endswith(("ches", "shes", "xes", "sses")):
        return token[:-2]
    if token.endswith("s"):
        return token[:-1]
    return token


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def tokens(name: str) -> tuple[str, ...]:
    """``InvoiceLineId`` -> ``("invoice", "line", "id")``; ``unit_prices`` -> ``("unit", "price")``;
    abbreviations spelled out (``qty`` -> ``quantity``)."""
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", _CAMEL.sub("_", name)):
        if not part:
            continue
        lowered = part.lower()
        for prefix in ("min", "max"):
            if lowered.startswith(prefix) and lowered[len(prefix) :] in _BOUNDED:
                out.append(prefix)  # minqty, maxprice: a bound glued to its quantity
                lowered = lowered[len(prefix) :]
        word = _singular(lowered)
        word = _ABBREVIATIONS.get(word, word)
        if word:
            out.append(word)
    return tuple(out)


_BOUNDED = {"qty", "quantity", "price", "amount", "age", "value", "count", "size", "length", "items", "users"}


_PERSON_TABLES = {
    "user",
    "customer",
    "employee",
    "staff",
    "person",
    "people",
    "member",
    "actor",
    "artist",
    "author",
    "contact",
    "client",
    "student",
    "teacher",
    "patient",
    "player",
    "owner",
    "manager",
    "driver",
    "editor",
    "account",
    "profile",
}
_COMPANY_TABLES = {"company", "vendor", "supplier", "organization", "organisation", "org", "partner", "brand"}
_PLACE_TABLES = {"city": "city", "country": "country", "language": "language", "currency": "currency"}

_MONEY = {
    "price": (0.99, 99.99),
    "cost": (1, 500),
    "amount": (1, 200),
    "fee": (1, 50),
    "total": (5, 1000),
    "subtotal": (5, 1000),
    "balance": (0, 5000),
    "salary": (30000, 150000),
    "wage": (15, 80),
    "budget": (1000, 100000),
    "revenue": (100, 100000),
    "payment": (1, 200),
    "tax": (0.5, 50),
    "charge": (1, 200),
    "refund": (1, 200),
    "credit": (1, 500),
    "debit": (1, 500),
    "tip": (1, 30),
}
_STATUS_WORDS = {"status", "state", "stage", "phase"}


def _has(words: tuple[str, ...], *wanted: str) -> bool:
    return any(w in words for w in wanted)


def _last(words: tuple[str, ...], *wanted: str) -> bool:
    return bool(words) and words[-1] in wanted


def _joined(words: tuple[str, ...]) -> str:
    return "".join(words)


_TITLED_TABLES = {
    "track",
    "song",
    "album",
    "film",
    "movie",
    "book",
    "episode",
    "release",
    "recording",
    "work",
}
_JOB_TABLES = {"employee", "staff", "title", "position"}
_FILE_TABLES = {"file", "upload", "document", "image", "attachment_file"}
_TAG_TABLES = {"tag", "keyword", "hashtag"}
_NOTE_TABLES = {"note", "comment", "remark", "memo"}
_CODE_TABLES = {
    "language": "language_code",
    "country": "country_code",
    "currency": "currency_code",
    "3166": "country_code",
}
_ADDRESS_KINDS = {"city", "postcode", "street", "street2", "country"}


def classify_table(table: str, columns: dict[str, tuple[str, int | None]]) -> dict[str, Semantic]:
    """The kind of every column of a table (name -> (type kind, length)), read with its neighbours: a bare
    ``state`` beside a city or postcode is a region, elsewhere a status."""
    kinds = {name: classify_column(name, table, kind, length) for name, (kind, length) in columns.items()}
    has_address = any(k.kind in _ADDRESS_KINDS for k in kinds.values())
    for name, sem in kinds.items():
        if sem.kind == "status" and tokens(name) == ("state",) and has_address:
            kinds[name] = Semantic("region")
    return kinds


@functools.lru_cache(maxsize=8192)
def classify_column(column: str, table: str, type_kind: str, length: int | None = None) -> Semantic:
    """The kind of value ``column`` of ``table`` holds, given its type kind (``str``, ``int``, ``decimal``,
    ``float``, ``date``, ``datetime``, ``bool``, ``year``...) and its length."""
    words = tokens(column)
    if not words:
        return UNKNOWN
    table_words = tokens(table)
    joined = _joined(words)
    if type_kind in TEMPORAL:
        return _temporal(words, joined)
    if type_kind == "bool":
        return Semantic("boolean")
    if type_kind in NUMERIC:
        sem = _number(words, joined, table_words, type_kind)
        if sem.kind == "unknown" and _plural_noun(column):
            return Semantic("count", 0, 500)  # edits_pending, attempts: a plural noun counts things
        return sem
    if type_kind in TEXT:
        return _text(words, joined, table_words, length)
    return UNKNOWN


def _plural_noun(column: str) -> bool:
    first = re.split(r"[^A-Za-z]+", _CAMEL.sub("_", column))[0].lower()
    return len(first) > 3 and _singular(first) != first


def _temporal(words: tuple[str, ...], joined: str) -> Semantic:
    if "birth" in joined or joined in ("born", "bornon", "birthday"):
        return Semantic("birth_date")
    if _has(words, "hire", "hired"):
        return Semantic("hire_date")
    if _has(words, "expire", "expiry", "expiration", "expired", "expires"):
        return Semantic("expiry_date")
    if _has(words, "due"):
        return Semantic("due_date")
    return Semantic("timestamp")


def _number(words: tuple[str, ...], joined: str, table_words: tuple[str, ...], type_kind: str) -> Semantic:
    whole = type_kind in ("int", "year")
    expiring = _has(words, "expiry", "expiration", "expire", "exp")
    if _last(words, "id", "key", "ref", "fk", "uid"):
        return Semantic("identifier")
    if _has(words, "http") and _has(words, "status", "code"):
        return Semantic("http_status", 200, 504)
    if whole and _last(
        words, "status", "state", "type", "kind", "category", "role", "mode", "method", "reason"
    ):
        return Semantic("enum_code", 0, 5)  # a status or type kept as a small number (an ORM's enum)
    if _has(words, "year") or type_kind == "year":
        if expiring:
            return Semantic("expiry_year", 2025, 2032)
        if _has(words, "birth"):
            return Semantic("year", 1950, 2005)
        return Semantic("year", 1970, 2024)
    if (_has(words, "month") and expiring) or joined == "expmonth":
        return Semantic("expiry_month", 1, 12)
    if _last(words, "month"):
        return Semantic("month", 1, 12)
    if _last(words, "day") and _has(words, "date", "birth", "begin", "end", "start"):
        return Semantic("day_of_month", 1, 28)
    if _has(words, "age"):
        return Semantic("age", 18, 90)
    if _has(words, "latitude"):
        return Semantic("latitude", -60, 70)
    if _has(words, "longitude"):
        return Semantic("longitude", -170, 170)
    if _has(words, "port"):
        return Semantic("port", 1024, 65535)
    if _has(words, "percent") or joined.endswith("percent"):
        return Semantic("percent", 0, 100)
    if _last(words, "rate", "ratio"):
        return _rate(words, whole)
    if _has(words, "ratio", "share", "fraction", "probability") and not whole:
        return Semantic("ratio", 0, 1)
    if _has(words, "discount") and not _has(words, "amount", "cent"):
        return Semantic("percent", 0, 30) if whole else Semantic("ratio", 0, 0.3)
    if _has(words, "rating", "star"):
        return Semantic("rating", 1, 5)
    if _has(words, "score"):
        return Semantic("score", 0, 100)
    if _has(words, "version", "revision"):
        return Semantic("version", 1, 20)
    ranked = _has(
        words, "position", "order", "rank", "sequence", "sort", "priority", "index", "ordinal", "level"
    )
    if ranked and not _has(words, "total", "amount", "value", "cent"):
        return Semantic("position", 1, 50)
    if _has(words, "duration", "length", "runtime", "millisecond", "second", "minute", "hour", "ms"):
        return _duration(words)
    spans = _has(words, "day", "week", "period", "term", "timeout", "interval", "ttl", "delay")
    if (spans or (expiring and _last(words, "in"))) and not _has(words, "count"):
        return _duration(words)
    if _has(words, "attempt", "retry", "retries", "failure"):
        return Semantic("count", 0, 10)
    count_words = ("count", "number", "total", "token", "view", "hit", "click", "visit", "attempt", "retry")
    if _last(words, *count_words[3:]) and not _has(words, "cent"):
        return Semantic("count", 0, 500)
    money = _money(words, table_words)
    if money is not None:
        return money
    if _has(words, "quantity", "unit", "seat", "copy", "item", "piece", "stock", "inventory"):
        return Semantic("quantity", 1, 10)
    if _has(words, *count_words):
        return Semantic("count", 0, 500)
    if _has(words, "size", "byte", "filesize"):
        return Semantic("file_size", 1_000, 5_000_000)
    if _has(words, "width", "height"):
        return Semantic("dimension", 16, 4000)
    if _has(words, "min", "minimum", "max", "maximum", "limit", "threshold"):
        return Semantic("quantity", 1, 100)
    if _has(words, "is", "has", "can", "should", "enabled", "active", "flag", "deleted", "visible"):
        return Semantic("boolean", 0, 1)
    if _has(words, "postcode"):
        return Semantic("postcode_number", 10000, 99999)
    return Semantic("unknown", 1, 100)


def _rate(words: tuple[str, ...], whole: bool) -> Semantic:
    if _has(words, "rental", "hourly", "daily", "nightly", "room", "base", "unit", "flat"):
        return Semantic("money", 0.99, 4.99 if _has(words, "rental") else 99.99)
    if _has(words, "exchange", "conversion", "fx"):
        return Semantic("exchange_rate", 0.5, 2)
    if _has(words, "tax", "vat", "interest", "commission", "percentage"):
        return Semantic("percent", 0, 25)
    return Semantic("percent", 0, 25) if whole else Semantic("ratio", 0, 0.25)


def _money(words: tuple[str, ...], table_words: tuple[str, ...]) -> Semantic | None:
    cents = 100 if _has(words, "cent") else 1
    for word in reversed(words):
        if word in _MONEY:
            if word == "total" and _has(words, "token", "count", "item", "row", "page", "view", "hit"):
                return Semantic("count", 0, 2000)
            low, high = _MONEY[word]
            if word == "price" and _has(words, "unit") and _has(table_words, "invoice", "order", "line"):
                low, high = 0.99, 49.99
            if _has(words, "replacement"):
                low, high = 9.99, 29.99
            return Semantic("money", low * cents, high * cents)
    return None


def _duration(words: tuple[str, ...]) -> Semantic:
    if _has(words, "millisecond", "ms"):
        return Semantic("duration", 60_000, 600_000)
    if _has(words, "second", "timeout", "ttl", "delay") or (_has(words, "expire") and _last(words, "in")):
        return Semantic("duration", 1, 3600)
    if _has(words, "minute"):
        return Semantic("duration", 5, 240)
    if _has(words, "hour"):
        return Semantic("duration", 1, 48)
    if _has(words, "rental"):
        return Semantic("duration", 3, 7)
    if _has(words, "day", "period", "term", "week", "interval"):
        return Semantic("duration", 1, 30)
    return Semantic("duration", 45, 185)  # a bare length or runtime: minutes, as a film's


def _person_table(table_words: tuple[str, ...]) -> bool:
    # The table's last word says what a row is: editor_collection holds collections, not editors.
    return bool(table_words) and table_words[-1] in _PERSON_TABLES


def _text(words: tuple[str, ...], joined: str, table_words: tuple[str, ...], length: int | None) -> Semantic:
    if _last(words, "type", "kind") and joined not in ("contenttype", "mimetype", "mediatype"):
        return Semantic("category")
    first = _contact(words, joined)
    if first is not None:
        return first
    first = _secret(words, joined)
    if first is not None:
        return first
    if joined in ("firstname", "givenname", "forename", "middlename"):
        return Semantic("first_name")
    if joined in ("lastname", "surname", "familyname"):
        return Semantic("last_name")
    if joined in ("fullname", "realname", "contactname", "personname", "customername"):
        return Semantic("full_name")
    if joined == "displayname":
        return Semantic("full_name") if _person_table(table_words) else Semantic("name")
    if _has(words, "composer", "author", "artist", "singer", "writer", "creator", "lyricist"):
        return Semantic("full_name")
    if _has(words, "username", "login", "handle", "nickname", "screenname", "user"):
        return Semantic("username")
    place = _place(words, joined, table_words, length)
    if place is not None:
        return place
    for word, kind in _CODE_TABLES.items():
        if word in table_words and _has(words, "code", "iso"):
            return Semantic(kind)
    if _has(words, "currency"):
        return Semantic("currency") if _last(words, "name") else Semantic("currency_code")
    if _has(words, "locale"):
        return Semantic("locale")
    if _has(words, "language") or ("language" in table_words and _last(words, "name")):
        coded = (length is not None and length <= 5) or _has(words, "code", "iso")
        return Semantic("language_code") if coded else Semantic("language")
    if _has(words, "timezone"):
        return Semantic("timezone")
    if _has(words, "color"):
        return Semantic("color")
    if _has(words, "mime", "mimetype", "contenttype") or joined in ("contenttype", "mimetype", "mediatype"):
        return Semantic("mime_type")
    if _has(words, "filename") or (_has(words, "file") and _last(words, "name")):
        return Semantic("file_name")
    if _has(words, "path", "filepath", "directory", "dir", "folder"):
        return Semantic("file_path")
    if _has(words, "extension"):
        return Semantic("file_extension")
    if _has(words, "slug", "permalink"):
        return Semantic("slug")
    if _has(words, "sku", "barcode", "ean", "upc", "gtin"):
        return Semantic("sku")
    if _has(words, "version", "revision"):
        return Semantic("version")
    if _has(words, "year"):
        return Semantic("year_text", 1970, 2024)
    if _has(words, *_STATUS_WORDS):
        return Semantic("status")
    code_words = (
        "code",
        "reference",
        "ref",
        "number",
        "identifier",
        "serial",
        "plate",
        "isrc",
        "iswc",
        "isni",
    )
    if _has(words, *code_words) or _last(words, "id", "key", "uid"):
        return Semantic("code")
    if _has(words, "json", "payload", "metadata", "settings", "preference", "config"):
        return Semantic("json_text")
    if _has(words, "browser", "useragent"):
        return Semantic("browser")
    if words in (("os",), ("platform",), ("operating", "system")):
        return Semantic("os")
    if _has(words, "gender", "sex"):
        return Semantic("gender")
    return _prose(words, table_words)


def _contact(words: tuple[str, ...], joined: str) -> Semantic | None:
    if _has(words, "email") or joined.endswith("email"):
        return Semantic("email")
    if _has(words, "phone") or joined in ("phonenumber", "telephone"):
        return Semantic("phone")
    if _has(words, "url", "link", "webhook", "endpoint", "callback", "homepage", "website", "redirect"):
        return Semantic("url")
    if _has(words, "ip", "ipv4", "ipv6") or joined in ("ipaddress", "remoteaddr", "clientip"):
        return Semantic("ipv6" if "ipv6" in joined else "ipv4")
    if _has(words, "mac") or "macaddress" in joined:
        return Semantic("mac")
    if _has(words, "hostname", "host", "domain", "fqdn", "server"):
        return Semantic("hostname")
    if _has(words, "uuid", "guid"):
        return Semantic("uuid")
    return None


def _secret(words: tuple[str, ...], joined: str) -> Semantic | None:
    if _has(words, "salt"):
        return Semantic("hash")
    if _has(words, "password"):
        return Semantic("password")
    if _has(words, "hash", "digest", "checksum", "sha", "sha1", "sha256", "md5", "fingerprint", "signature"):
        return Semantic("hash")
    if _has(words, "token", "secret", "nonce", "apikey", "hmac") or joined.endswith(("apikey", "secretkey")):
        return Semantic("token")
    if (_has(words, "card") and _has(words, "number", "pan")) or joined in ("cardnumber", "ccnumber"):
        return Semantic("card_number")
    expiring = _has(words, "expiry", "expiration", "exp")
    if expiring and _has(words, "month"):
        return Semantic("expiry_month", 1, 12)
    if expiring and _has(words, "year"):
        return Semantic("expiry_year", 2025, 2032)
    return None


def _place(
    words: tuple[str, ...], joined: str, table_words: tuple[str, ...], length: int | None
) -> Semantic | None:
    short = length is not None and length <= 3
    if _has(words, "street") or any(w.startswith("address") for w in words):
        return Semantic("street2") if joined.endswith("2") else Semantic("street")
    if _has(words, "city", "town", "locality"):
        return Semantic("city")
    if _has(words, "postcode") or "postalcode" in joined or "zipcode" in joined:
        return Semantic("postcode")
    if _has(words, "country"):
        if _has(words, "code", "iso", "iso2", "iso3") or short:
            return Semantic("country_code")
        return Semantic("country")
    if _has(words, "state", "province", "region", "county", "district"):
        if words == ("state",) and not _has(table_words, "address", "customer", "employee", "location"):
            return Semantic("status") if not short else Semantic("region_code")
        return Semantic("region_code") if short else Semantic("region")
    return None


def _prose(words: tuple[str, ...], table_words: tuple[str, ...]) -> Semantic:
    if words == ("text",) and _has(table_words, *_NOTE_TABLES):
        return Semantic("note")
    if _has(
        words, "description", "summary", "bio", "body", "content", "detail", "text", "excerpt", "abstract"
    ):
        return Semantic("description")
    note_words = (
        "note",
        "comment",
        "remark",
        "message",
        "reason",
        "memo",
        "feedback",
        "instruction",
        "error",
    )
    if _has(words, *note_words) or _has(words, "footer", "header", "changelog"):
        return Semantic("note")
    if _has(words, "title", "headline", "subject", "caption"):
        if _has(words, "job") or (words == ("title",) and _has(table_words, *_JOB_TABLES)):
            return Semantic("job")
        return Semantic("title")
    if _has(words, "job", "occupation", "profession"):
        return Semantic("job")
    if _has(words, "label", "tag", "keyword"):
        return Semantic("label")
    if _has(words, "company", "employer", "organization", "organisation", "business") or words == (
        "legal",
        "name",
    ):
        return Semantic("company")
    if _has(words, "type", "kind", "category", "role", "mode", "method", "channel", "source", "provider"):
        return Semantic("category")
    if _last(words, "name"):
        return _name(words, table_words)
    return UNKNOWN


def _name(words: tuple[str, ...], table_words: tuple[str, ...]) -> Semantic:
    if _has(words, "company", "business", "vendor", "supplier", "organization"):
        return Semantic("company")
    if len(words) > 1:
        return Semantic("name")
    if _has(table_words, *_TITLED_TABLES):
        return Semantic("title")
    if _has(table_words, *_FILE_TABLES):
        return Semantic("file_name")
    if _has(table_words, *_TAG_TABLES):
        return Semantic("label")
    for word in table_words:
        if word in _PLACE_TABLES:
            return Semantic(_PLACE_TABLES[word])
    if _person_table(table_words):
        return Semantic("full_name")
    if table_words[-1:] and table_words[-1] in _COMPANY_TABLES:
        return Semantic("company")
    return Semantic("name")
