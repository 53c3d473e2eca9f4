#!/usr/bin/env python3
"""cove.ControlClient over TLS, with the server certificate verified.

Connects to a cove-cloud that serves TLS (``cove-cloud --tls-generate``
prints the certificate to trust as ``trust: FILE``), first trusting the CA
from a file (``ca_cert_file``), then from PEM text (``ca_cert_pem``), and
shows that a client that does not trust it is refused: certificates are
always verified unless ``dangerously_skip_tls_verification`` is given. Exits
non-zero if anything is wrong.

    python3 examples/python/tls_control_plane.py \\
        --endpoint https://127.0.0.1:PORT --api-key KEY --ca-cert-file FILE

See docs/security.md#tls.
"""

import argparse
import os
import sys

import cove


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", default=os.environ.get("COVE_CLOUD_ENDPOINT"))
    p.add_argument("--api-key", default=os.environ.get("COVE_API_KEY"))
    p.add_argument("--ca-cert-file", required=True,
                   help="PEM file of the CA to trust (cove-cloud's trust: file)")
    p.add_argument("--org", default="tls-example")
    args = p.parse_args()
    if not args.endpoint or not args.endpoint.startswith("https://"):
        print("--endpoint: expected https://host:port", file=sys.stderr)
        return 2

    step(f"connect to {args.endpoint}, trusting {args.ca_cert_file}")
    with cove.ControlClient(args.endpoint, api_key=args.api_key,
                            ca_cert_file=args.ca_cert_file, timeout=20) as cc:
        org = cc.create_organization(args.org)
        print(f"    created {org.name}")

    step("connect again, trusting the CA given as PEM text")
    with open(args.ca_cert_file) as f:
        pem = f.read()
    with cove.ControlClient(args.endpoint, api_key=args.api_key, ca_cert_pem=pem,
                            timeout=20) as cc:
        names = [o.name for o in cc.list_organizations()]
        if f"organizations/{args.org}" not in names:
            print(f"the organization is missing: {names}", file=sys.stderr)
            return 1
        print(f"    {len(names)} organization(s) visible")

    step("a client that does not trust the certificate is refused")
    try:
        with cove.ControlClient(args.endpoint, api_key=args.api_key, timeout=5,
                                max_attempts=1) as cc:
            cc.get_organization(f"organizations/{args.org}")
        print("an untrusted server was accepted", file=sys.stderr)
        return 1
    except cove.Error as e:
        print(f"    refused: {e.code.name}")
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
