import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pulp_container.app.auth import tokens
from pulp_container.app.auth.tokens import TokenInvalid

ACCESS = [{"type": "repository", "name": "foo", "actions": ["pull"]}]


def _pem_pair(key):
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


EC_PRIVATE, EC_PUBLIC = _pem_pair(ec.generate_private_key(ec.SECP256R1()))
RSA_PRIVATE, RSA_PUBLIC = _pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))
OTHER_PRIVATE, _ = _pem_pair(ec.generate_private_key(ec.SECP256R1()))


def _issue(private=EC_PRIVATE, algorithm="ES256", audience="svc", issuer="iss", **kwargs):
    params = {
        "private_key": private,
        "algorithm": algorithm,
        "issuer": issuer,
        "audience": audience,
        "subject": "alice",
        "access": ACCESS,
        "lifetime": 300,
    }
    params.update(kwargs)
    return tokens.issue(**params)


def _verify(token, public=EC_PUBLIC, algorithm="ES256"):
    return tokens.verify(
        token, public_key=public, algorithm=algorithm, audience="svc", issuer="iss"
    )


@pytest.mark.parametrize(
    "private, public, algorithm",
    [(EC_PRIVATE, EC_PUBLIC, "ES256"), (RSA_PRIVATE, RSA_PUBLIC, "RS256")],
)
def test_issued_token_verifies(private, public, algorithm):
    issued = _issue(private=private, algorithm=algorithm)
    assert issued.expires_in == 300
    claims = _verify(issued.token, public=public, algorithm=algorithm)
    assert claims.subject == "alice"
    assert claims.access == ACCESS


def test_claims_hold_what_the_protocol_names():
    payload = jwt.decode(_issue().token, options={"verify_signature": False})
    assert {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "access"} <= set(payload)
    assert payload["exp"] - payload["iat"] == 300


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused():
    body = jwt.decode(_issue().token, options={"verify_signature": False})
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(body)}."
    with pytest.raises(TokenInvalid):
        _verify(forged)


def test_hmac_signed_with_the_public_key_is_refused():
    body = jwt.decode(_issue().token, options={"verify_signature": False})
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(body)}"
    signature = hmac.new(EC_PUBLIC, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    with pytest.raises(TokenInvalid):
        _verify(forged)


def test_token_from_another_key_is_refused():
    with pytest.raises(TokenInvalid):
        _verify(_issue(private=OTHER_PRIVATE).token)


def test_expired_token_is_refused():
    with pytest.raises(TokenInvalid, match="expired"):
        _verify(_issue(now=0).token)


def test_token_from_the_future_is_refused():
    with pytest.raises(TokenInvalid, match="not valid yet"):
        _verify(_issue(now=time.time() + 3600).token)


def test_wrong_audience_is_refused():
    with pytest.raises(TokenInvalid, match="another service"):
        _verify(_issue(audience="elsewhere").token)


def test_garbage_is_refused():
    with pytest.raises(TokenInvalid):
        _verify("not.a.token")
