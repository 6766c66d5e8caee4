"""Fetching a prefetch key the EHR did not send, from its FHIR server with the bearer token it gave (requests: a
maintained HTTP client). The token goes in the Authorization header only; it is never logged, stored or put into
an error. Every failure is None: the key's facts stay unknown."""
import requests

from .. import config

MAX_PAGES = 20  # a search answered in more pages than this is left unknown rather than read in part


class FhirFetch:
    def __init__(self, base: str, token: str, timeout: tuple[float, float] = config.CDS_FETCH_TIMEOUT_SECONDS):
        self.base = base.rstrip("/") + "/"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"})
        self.session.trust_env = False  # no proxy or netrc credentials from the environment join the request

    def _get(self, url: str) -> dict | None:
        if not url.startswith(self.base):
            return None  # a next link elsewhere would carry the token off the EHR's server
        try:
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False)
            if response.status_code != 200:
                return None
            data = response.json()
        except (requests.RequestException, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def __call__(self, query: str) -> dict | None:
        first = self._get(self.base + query)
        if first is None or first.get("resourceType") != "Bundle":
            return first
        entries, page = list(first.get("entry") or []), first
        for _ in range(MAX_PAGES):
            following = next((link.get("url") for link in page.get("link") or []
                              if isinstance(link, dict) and link.get("relation") == "next"), None)
            if not isinstance(following, str):
                return {**first, "entry": entries, "link": []}
            following_page = self._get(following)
            if following_page is None or following_page.get("resourceType") != "Bundle":
                return None
            page = following_page
            entries.extend(page.get("entry") or [])
        return None

    def close(self) -> None:
        self.session.close()
