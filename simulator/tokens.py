"""Partner and user tokens: HS256 JWTs with a `kid` header, expiry checked against the simulator clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jwt

from simulator.bounded import VERIFIED_TOKENS, BoundedCache
from simulator.clock import Clock
from simulator.errors import unauthorized
from simulator.ids import IdFactory

TokenKind = Literal["partner", "user"]
ISSUER = "onekyc-sim"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    kind: TokenKind
    client_id: str
    jti: str
    issued_at: int
    expires_at: int
    session_key: str | None = None
    partner_session_id: str | None = None
    onboarding_partner: str | None = None
    user_id: str | None = None
    user_id_type: str | None = None
    flow: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    claims: TokenClaims

    @property
    def expiry_seconds(self) -> int:
        return self.claims.expires_at - self.claims.issued_at


class TokenService:
    def __init__(self, secret: str, kid: str, clock: Clock, ids: IdFactory) -> None:
        self._secret = secret
        self._kid = kid
        self._clock = clock
        self._ids = ids
        self._verified: BoundedCache[str, TokenClaims] = BoundedCache.of(VERIFIED_TOKENS)
        self._revoked: set[str] = set()

    def issue(self, kind: TokenKind, client_id: str, lifetime: int, **extra: str | None) -> IssuedToken:
        now = int(self._clock.now())
        claims = TokenClaims(
            kind=kind,
            client_id=client_id,
            jti=self._ids.uuid(),
            issued_at=now,
            expires_at=now + lifetime,
            **extra,
        )
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "sub": client_id,
            "typ": kind,
            "jti": claims.jti,
            "iat": claims.issued_at,
            "exp": claims.expires_at,
        }
        for key, value in extra.items():
            if value is not None:
                payload[key] = value
        token = jwt.encode(payload, self._secret, algorithm="HS256", headers={"kid": self._kid})
        self._remember(token, claims)
        return IssuedToken(token, claims)

    def verify(self, token: str | None, kind: TokenKind) -> TokenClaims:
        """Claims of a valid, unexpired, unrevoked token of `kind`; else the vendor's 401."""
        if not token:
            raise unauthorized()
        claims = self._verified.get(token)
        if claims is None:
            claims = self._decode(token)
            self._remember(token, claims)
        if claims.kind != kind or claims.jti in self._revoked or self._clock.now() >= claims.expires_at:
            raise unauthorized()
        return claims

    def peek(self, token: str) -> TokenClaims | None:
        """Claims of a well-signed token, expired or not (for inspection and revocation)."""
        try:
            return self._verified.get(token) or self._decode(token)
        except Exception:
            return None

    def revoke(self, jti: str) -> None:
        self._revoked.add(jti)

    def load_revoked(self, jtis: set[str]) -> None:
        self._revoked |= jtis

    def _decode(self, token: str) -> TokenClaims:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self._kid:
                raise unauthorized()
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                # Time is checked against the simulator clock in verify(), never the wall clock: a token
                # issued after the clock was advanced has an `iat` in the (wall) future.
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "iat", "sub", "jti"],
                },
            )
            kind = payload["typ"]
            if kind not in ("partner", "user"):
                raise unauthorized()
            return TokenClaims(
                kind=kind,
                client_id=payload["sub"],
                jti=payload["jti"],
                issued_at=int(payload["iat"]),
                expires_at=int(payload["exp"]),
                session_key=payload.get("session_key"),
                partner_session_id=payload.get("partner_session_id"),
                onboarding_partner=payload.get("onboarding_partner"),
                user_id=payload.get("user_id"),
                user_id_type=payload.get("user_id_type"),
                flow=payload.get("flow"),
            )
        except jwt.PyJWTError as exc:
            raise unauthorized() from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise unauthorized() from exc

    def _remember(self, token: str, claims: TokenClaims) -> None:
        self._verified[token] = claims
