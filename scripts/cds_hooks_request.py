"""Act as an EHR against the CDS Hooks service, for the docs' curl example (docs/cds-hooks.md):

    .venv/bin/python scripts/cds_hooks_request.py keygen instance/cds-demo   # a demo EHR: its key and registration
    .venv/bin/python scripts/cds_hooks_request.py body seeds/fhir/eligible.json > /tmp/hook.json
    .venv/bin/python scripts/cds_hooks_request.py token instance/cds-demo/ehr-private-jwk.json URL

keygen writes the demo EHR's private key (owner-only) and the registration file SCREENER_CDS_EHRS names (its public
key only); body prints a patient-view request whose prefetch is the Bundle as a FHIR server would answer each
template; token prints a fresh ES384 JWT for the exact URL (a jti used once: mint one per call).
"""
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
ISS = "https://ehr.demo.invalid"


def keygen(folder: Path) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    folder.mkdir(parents=True, exist_ok=True)
    private = {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP384R1()))),
               "kid": "demo-ehr-1"}
    path = folder / "ehr-private-jwk.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(private, handle)
    public = {k: v for k, v in private.items() if k != "d"}
    registry = folder / "cds-ehrs.json"
    registry.write_text(json.dumps({"ehrs": [{"iss": ISS, "jwks": {"keys": [public]}, "algorithms": ["ES384"]}]},
                                   indent=1))
    print(f"private key: {path}\nregistration: {registry}  (export SCREENER_CDS_EHRS={registry})")


def body(bundle: Path, hook: str = "patient-view") -> None:
    from screener.cds_hooks.example import hook_request, prefetch_from_bundle

    patient_id, prefetch = prefetch_from_bundle(json.loads(bundle.read_text()))
    print(json.dumps(hook_request(hook, patient_id, prefetch)))


def token(key: Path, url: str) -> None:
    from screener.cds_hooks.example import token as mint

    print(mint(json.loads(key.read_text()), ISS, url))


if __name__ == "__main__":
    commands = {"keygen": lambda a: keygen(Path(a[0])), "body": lambda a: body(Path(a[0]), *a[1:]),
                "token": lambda a: token(Path(a[0]), a[1])}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])
