"""Verifying the EHR's JWT (CDS Hooks "Trusting CDS Clients"), when the operator turns it on.

The EHR signs a JWT with its private key and sends it as ``Authorization: Bearer``. The operator
gives the EHR's public keys as a JWK Set file and the trusted issuers; every discovery, service
and feedback call must then carry a token that: is signed by a key of that set (found by
``kid``) with an allowed asymmetric algorithm (never ``none`` nor HMAC); names a trusted ``iss``;
has ``aud`` equal to the URL of the endpoint called; carries ``exp``, ``iat`` and ``jti``; and has
not expired. Keys are never fetched from a ``jku`` URL in the token (that would let the caller
choose the key); the JWK Set is the operator's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Claims the specification makes REQUIRED in the payload.
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
#: Algorithms never accepted, whatever the settings say (no signature, or a shared secret).
FORBIDDEN = ("none", "HS256", "HS384", "HS512")


class Unauthorized(Exception):
    """The call carries no acceptable JWT (HTTP 401); the message says why, without secrets."""


@lru_cache(maxsize=4)
def _key_set(path: Path) -> Any:
    import jwt

    return jwt.PyJWKSet.from_dict(json.loads(path.read_text(encoding="utf-8")))


def load_keys(path: Path) -> None:
    """Read the JWK Set once at start-up, so that a bad file stops the service, not a call."""
    _key_set(path)


def verify(
    header: str | None,
    audience: str,
    jwks_file: Path,
    issuers: tuple[str, ...],
    algorithms: tuple[str, ...],
) -> dict[str, Any]:
    """Check the ``Authorization`` header's JWT for ``audience``; return its claims."""
    import jwt

    if not header:
        raise Unauthorized("no Authorization header (a Bearer JWT is required)")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header is not 'Bearer <JWT>'")
    token = token.strip()
    try:
        unverified = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("the bearer token is not a JWT") from None
    algorithm = str(unverified.get("alg", ""))
    allowed = [a for a in algorithms if a not in FORBIDDEN]
    if algorithm not in allowed:
        raise Unauthorized(f"JWT algorithm '{algorithm}' is not accepted ({', '.join(allowed)})")
    kid = unverified.get("kid")
    if not kid:
        raise Unauthorized("the JWT header has no kid")
    try:
        key = _key_set(jwks_file)[str(kid)]
    except KeyError:
        raise Unauthorized(f"no configured key has kid '{kid}'") from None
    try:
        return jwt.decode(
            token,
            key.key,
            algorithms=allowed,
            audience=audience,
            issuer=list(issuers),
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the JWT has expired") from None
    except jwt.InvalidAudienceError:
        raise Unauthorized(f"the JWT audience is not {audience}") from None
    except jwt.InvalidIssuerError:
        raise Unauthorized("the JWT issuer is not trusted") from None
    except jwt.MissingRequiredClaimError as error:
        raise Unauthorized(f"the JWT lacks the claim '{error.claim}'") from None
    except jwt.InvalidSignatureError:
        raise Unauthorized("the JWT signature does not verify") from None
    except jwt.PyJWTError as error:
        raise Unauthorized(f"the JWT is not valid ({type(error).__name__})") from None
