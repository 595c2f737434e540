"""What the contract test's generator must know that JSON Schema cannot say (issue 20).

Loaded by `scripts/api-contract` through SCHEMATHESIS_HOOKS. Each strategy makes exactly the
values a format of the document names, so that schemathesis' "a schema-valid request is
accepted" check sends values the server's rule admits:

- `unified-social-credit-code`: 17 characters of the GB 32100-2015 alphabet and the check
  character computed from them (the server recomputes it);
- `password`: the password policy (10–128 characters, no control characters, no space at
  either end, at least four different characters, not a common password — random ones are not).
"""

import string

import schemathesis
from hypothesis import strategies as st

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def with_check(first: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first, WEIGHTS))
    return first + ALPHABET[(31 - total % 31) % 31]


schemathesis.openapi.format(
    "unified-social-credit-code",
    st.text(alphabet=ALPHABET, min_size=17, max_size=17).map(with_check),
)

PASSWORD_CHARACTERS = string.ascii_letters + string.digits + "!#$%&*+-.=?@^_~"
schemathesis.openapi.format(
    "password",
    st.text(alphabet=PASSWORD_CHARACTERS, min_size=12, max_size=40).filter(
        lambda p: len(set(p)) >= 6
    ),
)
