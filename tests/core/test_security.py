"""bcrypt as FaynoSync writes it, and tokens with golang-jwt v4's errors in their order."""

from __future__ import annotations

import base64
import json
import time

import pytest

from faynosync.core import security
from faynosync.core.security import TokenError
from tests.support.tokens import GO_HASH_72A, GO_HASHES, SECRET, make_token


@pytest.mark.parametrize(("password", "hashed"), GO_HASHES.items())
def test_hashes_made_by_go_verify(password, hashed):
    assert security.verify_password(password, hashed)
    assert not security.verify_password(password + "x", hashed)


def test_only_the_first_72_bytes_count_as_in_go():
    assert security.verify_password("a" * 80, GO_HASH_72A)
    assert not security.verify_password("a" * 71, GO_HASH_72A)


@pytest.mark.production_bcrypt
def test_new_hashes_are_2a_cost_10():
    hashed = security.hash_password("pw")
    assert hashed.startswith("$2a$10$") and len(hashed) == 60
    assert security.verify_password("pw", hashed)


def test_the_tests_hash_at_the_cheapest_cost_unless_marked():
    """tests/conftest.py lowers the cost for speed; the test above keeps the production one."""
    hashed = security.hash_password("pw")
    assert hashed.startswith("$2a$04$") and len(hashed) == 60
    assert security.verify_password("pw", hashed)


def test_hashing_more_than_72_bytes_is_refused():
    security.hash_password("é" * 36)  # 72 bytes
    with pytest.raises(security.PasswordTooLong, match="exceeds 72 bytes"):
        security.hash_password("é" * 36 + "a")


def test_a_malformed_hash_never_matches():
    assert not security.verify_password("pw", "not-a-hash")
    assert not security.verify_password("pw", "")


# --- tokens -----------------------------------------------------------------------------------


NOW = 1_800_000_000


def check(token: str) -> str:
    try:
        return security.username_from_token(token, SECRET, now=NOW)
    except TokenError as exc:
        return f"error: {exc}"


def test_created_tokens_have_exactly_the_original_claims():
    token = security.create_token("admin", SECRET, now=NOW)
    header, claims, _ = token.split(".")
    assert base64.urlsafe_b64decode(header + "==") == b'{"alg":"HS256","typ":"JWT"}'
    assert json.loads(base64.urlsafe_b64decode(claims + "==")) == {
        "exp": NOW + 86400,
        "username": "admin",
    }
    assert check(token) == "admin"
    assert security.username_from_token(token, SECRET, now=NOW + 86399) == "admin"
    with pytest.raises(TokenError, match="token expired"):
        security.username_from_token(token, SECRET, now=NOW + 86400)


@pytest.mark.parametrize(
    ("token", "result"),
    [
        (make_token({"username": "u"}, alg="HS384"), "u"),
        (make_token({"username": "u"}, alg="HS512"), "u"),
        (make_token({"username": "u", "exp": 0}), "u"),  # exp 0 never expires
        (make_token({"username": "u", "exp": NOW + 1}), "u"),
        (make_token({"username": "u", "exp": NOW + 0.9}), "error: token expired"),
        (make_token({"username": "u", "exp": NOW}), "error: token expired"),
        (make_token({"username": "u", "exp": None}), "error: token expired"),
        (make_token({"username": "u", "exp": "9999999999"}), "error: token expired"),
        (make_token({"username": "u", "exp": True}), "error: token expired"),
        (make_token({"username": "u", "nbf": NOW + 5}), "error: token not active yet"),
        (make_token({"username": "u", "nbf": NOW}), "u"),
        (make_token({"username": "u", "nbf": "x"}), "error: token not active yet"),
        (make_token({"username": "u", "iat": NOW + 5}), "error: invalid or expired token"),
        (make_token({"username": "u", "iat": NOW}), "u"),
        (
            make_token({"username": "u", "exp": NOW - 1, "nbf": NOW + 5}),
            "error: token expired",
        ),
        (
            make_token({"username": "u", "nbf": NOW + 5, "iat": NOW + 5}),
            "error: token not active yet",
        ),
        (make_token({"username": 5}), "error: username not found in claims"),
        (make_token({"user": "u"}), "error: username not found in claims"),
        (make_token(None, raw_claims="null"), "error: username not found in claims"),
        (make_token({"username": "u"}, secret="other"), "error: invalid token signature"),
        # The signature is checked before the time claims.
        (
            make_token({"username": "u", "exp": NOW - 1}, secret="other"),
            "error: invalid token signature",
        ),
        (make_token({"username": "u"}, alg="none"), "error: unverifiable token"),
        (make_token({"username": "u"}, alg="RS256"), "error: unverifiable token"),
        (make_token({"username": "u"}, header={"typ": "JWT"}), "error: unverifiable token"),
        (make_token({"username": "u"}, header={"alg": 256}), "error: unverifiable token"),
        (
            make_token(None, raw_header="null", raw_claims='{"username":"u"}'),
            "error: unverifiable token",
        ),
        # Segments: count, base64url without padding, JSON objects.
        ("a.b", "error: malformed token"),
        ("a.b.c.d", "error: malformed token"),
        ("", "error: malformed token"),
        (
            make_token(None, raw_header="[1]", raw_claims='{"username":"u"}'),
            "error: malformed token",
        ),
        (
            make_token(None, raw_header='{"alg":"HS256"} x', raw_claims='{"username":"u"}'),
            "error: malformed token",
        ),
        # The claims are read by a streaming decoder: trailing bytes are ignored.
        (make_token(None, raw_claims='{"username":"u"} x'), "u"),
        (make_token(None, raw_claims='"u"'), "error: malformed token"),
        (make_token(None, raw_claims='{"username":"u","exp":NaN}'), "error: malformed token"),
    ],
)
def test_token_errors_and_their_precedence(token, result):
    assert check(token) == result


def test_padding_and_standard_alphabet_are_malformed():
    header, claims, signature = make_token({"username": "u"}).split(".")
    assert check(f"{header}=.{claims}.{signature}") == "error: malformed token"
    assert check(f"{header}.{claims.replace('J', '+', 1)}.{signature}") == "error: malformed token"
    assert check(f"{header}.{claims}.{signature}=") == "error: invalid token signature"
    assert check(f"{header}.{claims}.{signature[:-1]}") == "error: invalid token signature"


def test_tampering_the_last_character():
    token = security.create_token("admin", SECRET, now=NOW - 100)
    header, claims, signature = token.split(".")
    assert check(f"{header[:-1]}X.{claims}.{signature}") == "error: malformed token"
    assert check(f"{header}.{claims[:-1]}Y.{signature}") == "error: invalid token signature"
    # The last character of a 32-byte signature carries 2 unused bits: flipping only those
    # leaves the signature as it was, in Go as here.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same = alphabet[alphabet.index(signature[-1]) ^ 1]
    assert check(f"{header}.{claims}.{signature[:-1]}{same}") == "admin"


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, "missing authorization header"),
        ("", "missing authorization header"),
        ("Bearer", "invalid token format"),
        ("bearer x.y.z", "invalid token format"),
        ("Token x.y.z", "invalid token format"),
        ("Bearer a b", "invalid token format"),
        ("Bearer x.y", "malformed token"),
    ],
)
def test_authorization_header_errors(header, error):
    with pytest.raises(TokenError, match=f"^{error}$"):
        security.username_from_header(header, SECRET)


def test_bearer_with_extra_whitespace_is_accepted():
    token = security.create_token("u", SECRET)
    assert security.username_from_header(f"  Bearer \t {token} ", SECRET) == "u"


def test_generated_secret_is_kept(tmp_path):
    first = security.load_or_create_secret(tmp_path / "d")
    assert len(first) == 64
    assert security.load_or_create_secret(tmp_path / "d") == first
    assert (tmp_path / "d" / "secret.key").stat().st_mode & 0o777 == 0o600


def test_time_is_read_in_whole_seconds():
    assert check(make_token({"username": "u", "exp": NOW + 1.5})) == "u"
    assert (
        security.username_from_token(
            make_token({"username": "u", "exp": 2_000_000_000}), SECRET, now=time.time()
        )
        == "u"
    )


@pytest.mark.parametrize(
    ("claims", "result"),
    [
        # Out of float64's range: Go's decoder fails on the claims, so the token is malformed.
        ('{"username":"u","exp":1e999}', "error: malformed token"),
        ('{"username":"u","nbf":-1e999}', "error: malformed token"),
        ('{"username":"u","iat":1' + "0" * 400 + "}", "error: malformed token"),
        ('{"username":"u","exp":1' + "0" * 5000 + "}", "error: malformed token"),
        # In range for float64 but not int64: Go's conversion gives int64's minimum.
        ('{"username":"u","exp":1e300}', "error: token expired"),
        ('{"username":"u","nbf":1e300}', "u"),
        ('{"username":"u","exp":-1e300}', "error: token expired"),
        # A lone surrogate escape is read as U+FFFD, a valid pair as one character.
        ('{"username":"a\\ud800b"}', "a\ufffdb"),
        ('{"username":"\\ud83d\\ude00"}', "\U0001f600"),
    ],
)
def test_hostile_claims_signed_with_the_right_secret(claims, result):
    assert check(make_token(None, raw_claims=claims)) == result
