"""Verifying the EHR's JWT (CDS Hooks "Trusting CDS Clients"), when the operator turns it on.

The EHR signs a JWT with its private key and sends it as ``Authorization: Bearer``. The operator
gives the EHR's public keys as a JWK Set file and the trusted issuers; every discovery, service
and feedback call must then carry a token that: is signed by a key of that set (found by
``kid``) with an allowed asymmetric algorithm (never ``none`` nor HMAC); names a trusted ``iss``;
has ``aud`` equal to the URL of the endpoint called (under the operator's ``--public-url``, never
a URL built from the request's own ``Host`` header, which the caller chooses); carries ``exp``,
``iat`` and ``jti``; has not expired; and has not been seen before (each ``jti`` is kept, in a
folder the workers share, until its token's ``exp``: a replayed token is refused). The algorithm
must fit the key's type (an EC key verifies ES*, an RSA key RS*/PS*). Keys are never fetched from
a ``jku`` URL in the token (that would let the caller choose the key); the JWK Set is the
operator's.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Claims the specification makes REQUIRED in the payload.
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
#: Algorithms never accepted, whatever the settings say (no signature, or a shared secret).
FORBIDDEN = ("none", "HS256", "HS384", "HS512")
#: The JWK key type each algorithm family needs.
KEY_TYPES = {"ES": "EC", "RS": "RSA", "PS": "RSA", "Ed": "OKP"}


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
    if KEY_TYPES.get(algorithm[:2]) != key.key_type:
        raise Unauthorized(
            f"JWT algorithm '{algorithm}' does not fit the key '{kid}' ({key.key_type})"
        )
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
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise Unauthorized(f"the JWT is not valid ({type(error).__name__})") from None


class ReplayGuard:
    """The ``jti`` of every accepted token, kept until its ``exp``, shared by the workers.

    One empty file per token in ``folder`` (named by a hash of issuer and ``jti``, created with
    ``O_EXCL`` so that two workers cannot both accept it), its modification time set to the
    token's ``exp``; expired ones are swept now and then. Only files named ``jti-*`` are ever
    deleted.
    """

    PREFIX = "jti-"
    SWEEP_EVERY_SECONDS = 60

    def __init__(self, folder: Path) -> None:
        """Keep the records in ``folder`` (it must exist)."""
        self.folder = folder
        self._swept = 0.0
        self._lock = threading.Lock()

    def first_use(self, claims: dict[str, Any]) -> None:
        """Record the token's ``jti``; raise :class:`Unauthorized` if it was used before."""
        now = time.time()
        expires = min(float(claims["exp"]), now + 10 * 365 * 86400)  # kept "for ever"
        name = hashlib.sha256(f"{claims['iss']}\0{claims['jti']}".encode()).hexdigest()[:40]
        path = self.folder / f"{self.PREFIX}{name}"
        for _attempt in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                try:
                    if path.stat().st_mtime >= now:
                        raise Unauthorized("the JWT was used before (a replayed jti)") from None
                    path.unlink()  # the earlier token has expired: its jti may be reused
                except FileNotFoundError:
                    pass
                continue
            os.close(fd)
            os.utime(path, (expires, expires))
            break
        else:  # another worker recorded the same jti in between
            raise Unauthorized("the JWT was used before (a replayed jti)")
        self._sweep(now)

    def _sweep(self, now: float) -> None:
        with self._lock:
            if now - self._swept < self.SWEEP_EVERY_SECONDS:
                return
            self._swept = now
        for entry in os.scandir(self.folder):
            if entry.name.startswith(self.PREFIX) and entry.is_file(follow_symlinks=False):
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < now:
                        os.unlink(entry.path)
                except OSError:
                    continue
