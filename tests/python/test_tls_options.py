"""One naming of the TLS options for both Python clients (issue 13):
ca_cert_file / ca_cert_pem, as in C++ and docs/security.md; ControlClient
still accepts its older names ca_file / ca_pem. The end-to-end TLS runs are
the examples (tests/python/test_examples.py: tls_*.py)."""

import inspect

import pytest

import cove


def test_both_clients_take_the_same_tls_keywords():
    for cls in (cove.Client, cove.ControlClient, cove.MilvusClient):
        params = inspect.signature(cls.__init__).parameters
        if cls is cove.MilvusClient:
            continue  # passes them through **kwargs
        for name in ("ca_cert_file", "ca_cert_pem", "server_name",
                     "dangerously_skip_tls_verification"):
            assert name in params, f"{cls.__name__} lacks {name}"


@pytest.mark.parametrize("kw", ["ca_cert_file", "ca_file"])
def test_control_client_ca_file_names(kw):
    with pytest.raises(cove.NotFoundError, match="ca_cert_file: cannot read"):
        cc = cove.ControlClient("https://127.0.0.1:1", api_key="x", timeout=1,
                                max_attempts=1, **{kw: "/nonexistent/ca.pem"})
        next(cc.list_organizations())


def test_an_option_given_under_both_names_is_refused():
    with pytest.raises(cove.InvalidArgumentError, match="given twice"):
        cove.ControlClient("https://127.0.0.1:1", api_key="x", ca_cert_file="a",
                           ca_file="b")
    with pytest.raises(cove.InvalidArgumentError, match="given twice"):
        cove.ControlClient("https://127.0.0.1:1", api_key="x", ca_cert_pem="a",
                           ca_pem="b")
    with pytest.raises(cove.InvalidArgumentError, match="expected one of them"):
        cove.Client("https://127.0.0.1:1", ca_cert_file="a", ca_cert_pem="b")


def test_data_client_reads_the_ca_from_pem_text(tmp_path):
    # A file that is not a CA fails the same way as the same text as PEM:
    # the PEM goes where the file would.
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    errors = []
    for kwargs in ({"ca_cert_file": str(bad)}, {"ca_cert_pem": "not a certificate"}):
        with pytest.raises(cove.Error) as e:
            cove.Client("https://127.0.0.1:1", timeout=1, **kwargs).list_collections()
        errors.append(e.value.code)
    assert errors[0] == errors[1]
