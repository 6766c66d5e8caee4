"""The security headers every response carries, the app's own and gunicorn's error pages alike (no Flask here)."""
from functools import lru_cache


@lru_cache(maxsize=2)
def security_headers(secure: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                   "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers
