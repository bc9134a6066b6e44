"""The client's JWTs, checked by an independent implementation (PyJWT)."""
import subprocess
import time

import jwt
import pytest


def mint(build_dir, ak, sk, now, lifetime=1800):
    out = subprocess.run([str(build_dir / "tests/unit/jwt-mint"), ak, sk, str(now), str(lifetime)],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def test_pyjwt_accepts_our_token(build_dir):
    now = int(time.time())
    token = mint(build_dir, "AK-pyjwt", "SK-pyjwt", now)
    claims = jwt.decode(token, "SK-pyjwt", algorithms=["HS256"], issuer="AK-pyjwt")
    assert claims == {"iss": "AK-pyjwt", "exp": now + 1800, "nbf": now - 5}
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_pyjwt_refuses_other_secret(build_dir):
    token = mint(build_dir, "AK", "the-right-secret", int(time.time()))
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret", algorithms=["HS256"])


def test_pyjwt_sees_expiry(build_dir):
    token = mint(build_dir, "AK", "SK", int(time.time()) - 4000)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, "SK", algorithms=["HS256"])


def test_unicode_issuer_roundtrips(build_dir):
    token = mint(build_dir, "ключ-\u00e9", "SK", int(time.time()))
    assert jwt.decode(token, "SK", algorithms=["HS256"])["iss"] == "ключ-\u00e9"
