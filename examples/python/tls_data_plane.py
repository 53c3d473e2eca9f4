#!/usr/bin/env python3
"""cove.Client over TLS to a cluster's data plane, the certificate verified.

A cove-cloud that serves TLS (``cove-cloud --tls-generate``) gives its
clusters' data planes the same certificate, so their endpoints are
``https://``. This creates a cluster (with cove.ControlClient, over TLS too),
connects cove.Client to it trusting the CA as PEM text (``ca_cert_pem``),
inserts and searches, checks that a client that trusts only the system roots
is refused, and deletes the cluster. Exits non-zero if anything is wrong.

    python3 examples/python/tls_data_plane.py \\
        --endpoint https://127.0.0.1:PORT --api-key KEY --ca-cert-file FILE \\
        --bucket DIR

See docs/security.md#tls and docs/python.md.
"""

import argparse
import os
import sys
import tempfile

import numpy as np

import cove


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", default=os.environ.get("COVE_CLOUD_ENDPOINT"))
    p.add_argument("--api-key", default=os.environ.get("COVE_API_KEY"))
    p.add_argument("--ca-cert-file", required=True,
                   help="PEM file of the CA to trust (cove-cloud's trust: file)")
    p.add_argument("--bucket", default=None)
    p.add_argument("--org", default="tls-data-example")
    args = p.parse_args()
    bucket = args.bucket or tempfile.mkdtemp(prefix="cove-example-bucket-")
    with open(args.ca_cert_file) as f:
        pem = f.read()

    with cove.ControlClient(args.endpoint, api_key=args.api_key,
                            ca_cert_file=args.ca_cert_file, timeout=20) as cc:
        step("organization, project, environment, cluster")
        org = cc.create_organization(args.org)
        project = cc.create_project(org.name, "search", plan="standard",
                                    region="eu-local-1")
        env = cc.create_environment(
            project.name, "env1", mode=cove.EnvironmentMode.CROSS_ACCOUNT,
            cloud_account_id="123456789012", region="eu-local-1",
            vpc_id="vpc-0123abcd", bucket=bucket,
            role_arn="arn:aws:iam::123456789012:role/cove",
            external_id=org.external_id)
        cluster = cc.create_cluster(project.name, "secure", environment=env.name)
        print(f"    {cluster.name}: {cluster.state.name} at {cluster.endpoint}")
        if not cluster.endpoint.startswith("https://"):
            print("the data plane does not serve TLS", file=sys.stderr)
            return 1

        step("cove.Client over TLS, trusting the CA as PEM text")
        with cove.Client(cluster.endpoint, user="root",
                         password=cluster.admin_password, ca_cert_pem=pem,
                         timeout=20) as data:
            data.create_collection("docs", dimension=4)
            vectors = np.eye(4, dtype=np.float32)
            data.insert("docs", [{"id": i, "vector": v} for i, v in enumerate(vectors)])
            hits = data.search("docs", vectors[2:3], limit=1)
            if int(hits.ids[0][0]) != 2:
                print(f"unexpected search result {hits}", file=sys.stderr)
                return 1
            print(f"    nearest to row 2: {int(hits.ids[0][0])}")

        step("a client that trusts only the system roots is refused")
        try:
            with cove.Client(cluster.endpoint, user="root",
                             password=cluster.admin_password, timeout=5) as data:
                data.list_collections()
            print("an untrusted data plane was accepted", file=sys.stderr)
            return 1
        except cove.Error as e:
            print(f"    refused: {e.code.name}")

        step("delete the cluster")
        cc.delete_cluster(cluster.name)
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
