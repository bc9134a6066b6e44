"""kling-sandbox authenticates like Kling: HS256 JWTs (PyJWT-made here) or a static key."""
import time

import pytest

ENDPOINT = "/v1/videos/image2video"


def code_of(sandbox, headers):
    status, answer = sandbox.call("GET", ENDPOINT, headers=headers, auth=False)
    return status, answer["code"]


def test_pyjwt_token_is_accepted(sandbox):
    status, answer = sandbox.call("GET", ENDPOINT)
    assert status == 200 and answer["code"] == 0 and answer["data"] == []
    assert answer["request_id"]


@pytest.mark.parametrize("claims, secret, expected", [
    ({}, "another-secret", 1002),                                   # wrong secret
    ({"iss": "someone-else"}, None, 1002),                          # wrong issuer
    ({"exp": int(time.time()) - 10}, None, 1004),                   # expired
    ({"nbf": int(time.time()) + 120}, None, 1003),                  # not yet valid
    ({"exp": int(time.time()) + 3600}, None, 1002),                 # lives > 30 min
])
def test_bad_tokens_are_refused_with_kling_codes(sandbox, claims, secret, expected):
    token = sandbox.token(secret=secret, **claims)
    assert code_of(sandbox, {"Authorization": "Bearer " + token}) == (401, expected)


def test_token_signed_with_none_or_tampered_is_refused(sandbox):
    import jwt
    unsigned = jwt.encode({"iss": sandbox.access_key, "exp": int(time.time()) + 600},
                          None, algorithm="none")
    assert code_of(sandbox, {"Authorization": "Bearer " + unsigned}) == (401, 1002)
    head, payload, sig = sandbox.token().split(".")
    tampered = ".".join([head, payload, sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")])
    assert code_of(sandbox, {"Authorization": "Bearer " + tampered}) == (401, 1002)
    assert code_of(sandbox, {"Authorization": "Bearer not-a-jwt"}) == (401, 1002)


def test_missing_or_odd_authorization(sandbox):
    assert code_of(sandbox, {}) == (401, 1001)
    assert code_of(sandbox, {"Authorization": ""}) == (401, 1001)
    assert code_of(sandbox, {"Authorization": "Bearer "}) == (401, 1001)
    assert code_of(sandbox, {"Authorization": "Basic dXNlcjpwYXNz"}) == (401, 1000)


def test_static_key_as_bearer_and_x_api_key(sandbox):
    assert code_of(sandbox, {"Authorization": "Bearer " + sandbox.api_key}) == (200, 0)
    assert code_of(sandbox, {"X-API-Key": sandbox.api_key}) == (200, 0)
    assert code_of(sandbox, {"X-API-Key": "wrong"}) == (401, 1002)
    assert code_of(sandbox, {"Authorization": "Bearer wrong"}) == (401, 1002)


def test_static_key_only_sandbox_refuses_jwts(sandbox_factory):
    box = sandbox_factory(access_key=None, secret_key=None, api_key="only-static")
    assert code_of(box, {"X-API-Key": "only-static"}) == (200, 0)
    jwt_token = box.token(secret="whatever")
    assert code_of(box, {"Authorization": "Bearer " + jwt_token}) == (401, 1002)
