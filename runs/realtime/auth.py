"""Who may publish and mint tokens: an SDK holding the signing key (its hash, as every SDK sends
it, or the raw key), as for the other SDK-facing endpoints; anyone when the server has no
signing key (dev mode, as the Inngest dev server)."""

from .. import signing


def may_publish(authorization: str | None) -> bool:
    return not signing.enabled() or signing.bearer_is_signing_key(authorization)


def bearer(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer` header ('' without one)."""
    if authorization and authorization.startswith("Bearer "):
        return authorization[len("Bearer ") :].strip()
    return ""
