"""Property: whatever characters a password holds, written encoded or pasted raw into a URL, the URL dbaudit
shows (``mask_url``), the free text it scrubs (``scrub``) and the error it raises for a bad URL carry no part
of it.

The password is framed by two markers (``Zq9`` ... ``Xk7``) that no other part of the URL contains, so a
password split in two (an unencoded ``@`` moves its tail into the host) is caught by either half.
"""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbaudit.errors import ConfigError
from dbaudit.urls import mask_url, parse_url, scrub

HEAD, TAIL = "Zq9", "Xk7"
MIDDLES = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation, max_size=20)
SCHEMES = st.sampled_from(["postgresql", "postgresql+asyncpg", "mysql+pymysql", "mariadb", "sqlite"])


def _assert_hidden(text: str) -> None:
    assert HEAD not in text and TAIL not in text, text


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(scheme=SCHEMES, middle=MIDDLES, encoded=st.booleans(), as_query=st.booleans())
def test_no_part_of_a_password_survives_masking(
    scheme: str, middle: str, encoded: bool, as_query: bool
) -> None:
    password = HEAD + middle + TAIL
    written = quote(password, safe="") if encoded else password
    if as_query:
        raw = f"{scheme}://app@db.example:5432/app?password={quote(password, safe='')}"
    else:
        raw = f"{scheme}://app:{written}@db.example:5432/app"
    _assert_hidden(scrub(raw))
    _assert_hidden(scrub(f"cannot connect to {raw}: refused"))
    try:
        url = parse_url(raw)
    except ConfigError as exc:
        _assert_hidden(str(exc))
        return
    _assert_hidden(mask_url(url))
    _assert_hidden(mask_url(raw))
