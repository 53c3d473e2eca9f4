"""Status codes map to cove.Error subclasses that also derive from builtins."""

import pickle

import pytest

import cove
from cove import _core

EXPECTED = [
    # (code, class, builtin or None)
    (1, cove.CancelledError, None),
    (2, cove.UnknownError, None),
    (3, cove.InvalidArgumentError, ValueError),
    (4, cove.DeadlineExceededError, TimeoutError),
    (5, cove.NotFoundError, LookupError),
    (6, cove.AlreadyExistsError, None),
    (7, cove.PermissionDeniedError, PermissionError),
    (8, cove.ResourceExhaustedError, None),
    (9, cove.FailedPreconditionError, None),
    (10, cove.AbortedError, None),
    (11, cove.OutOfRangeError, None),
    (12, cove.UnimplementedError, NotImplementedError),
    (13, cove.InternalError, None),
    (14, cove.UnavailableError, ConnectionError),
    (15, cove.DataLossError, None),
    (16, cove.UnauthenticatedError, None),
]


@pytest.mark.parametrize("code,cls,builtin", EXPECTED)
def test_status_from_cpp_raises_the_mapped_class(code, cls, builtin):
    with pytest.raises(cls) as info:
        _core._raise_status(code, f"thing 'x': detail {code}")
    e = info.value
    assert type(e) is cls
    assert isinstance(e, cove.Error)
    if builtin is not None:
        assert isinstance(e, builtin)
    assert e.code == cove.StatusCode(code)
    assert e.code.value == code
    assert e.message == f"thing 'x': detail {code}"
    assert str(e) == f"{cove.StatusCode(code).name}: thing 'x': detail {code}"


def test_error_constructors_and_pickle():
    e = cove.Error(cove.StatusCode.NOT_FOUND, "gone")
    assert e.code is cove.StatusCode.NOT_FOUND and e.message == "gone"
    n = cove.NotFoundError("collection 'c' not found")
    assert n.code is cove.StatusCode.NOT_FOUND
    assert isinstance(n, LookupError)
    back = pickle.loads(pickle.dumps(n))
    assert type(back) is cove.NotFoundError
    assert back.code == n.code and back.message == n.message
    assert cove.error_class(6) is cove.AlreadyExistsError
    assert cove.error_class(99) is cove.Error
    assert cove.MilvusException is cove.Error
    with pytest.raises(TypeError):
        cove.Error(1, "a", "b")


def test_unknown_code_is_plain_error():
    from cove._errors import _from_status
    e = _from_status(77, "odd")  # a code newer than this package
    assert type(e) is cove.Error and e.code == 77 and str(e) == "77: odd"
    # absl itself folds codes it does not know into UNKNOWN.
    with pytest.raises(cove.UnknownError):
        _core._raise_status(77, "odd")


def test_real_errors_of_the_embedded_backend(client):
    with pytest.raises(cove.NotFoundError):
        client.describe_collection("missing")
    with pytest.raises(LookupError):
        client.get_collection_stats("missing")
    client.drop_collection("missing")  # as Milvus: dropping nothing succeeds
    client.create_collection("c", dimension=4)
    with pytest.raises(cove.AlreadyExistsError):
        client.create_collection("c", dimension=4)
    # Wrong dimension: InvalidArgument, which is also a ValueError.
    with pytest.raises(ValueError) as info:
        client.insert("c", [{"id": 1, "vector": [1.0, 2.0]}])
    assert isinstance(info.value, cove.InvalidArgumentError)
    assert "dimension" in info.value.message
    with pytest.raises(cove.InvalidArgumentError):
        client.search("c", [[1.0, 2.0, 3.0]])  # dim 3 vs 4
    with pytest.raises(cove.InvalidArgumentError):
        client.search("c", [])  # no vectors
    # Users and roles: the embedded backend does not enforce RBAC.
    with pytest.raises(NotImplementedError) as info:
        client.create_user("alice", "secret-password")
    assert isinstance(info.value, cove.UnimplementedError)
    assert "embedded" in info.value.message


def test_bad_uri_and_options():
    with pytest.raises(cove.InvalidArgumentError):
        cove.Client("")
    with pytest.raises(cove.InvalidArgumentError):
        cove.Client(":memory:", sync="sometimes")


def test_closed_client_raises_failed_precondition():
    c = cove.Client(":memory:")
    c.close()
    c.close()  # idempotent
    assert c.closed
    with pytest.raises(cove.FailedPreconditionError):
        c.list_collections()


def test_type_errors_for_unsupported_values(client):
    client.create_collection("c", dimension=2)
    with pytest.raises(TypeError):
        client.insert("c", [{"id": 1, "vector": [1.0, 2.0], "x": object()}])
    with pytest.raises(TypeError):
        client.insert("c", [5])
    with pytest.raises(cove.InvalidArgumentError):
        client.insert("c", [{"id": 2**70, "vector": [1.0, 2.0]}])


def test_skipping_tls_verification_conflicts_with_a_ca(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("not used")
    with pytest.raises(cove.InvalidArgumentError, match="dangerously_skip_tls_verification"):
        cove.Client("https://127.0.0.1:1", ca_cert_file=str(ca),
                    dangerously_skip_tls_verification=True)
    with pytest.raises(cove.InvalidArgumentError, match="dangerously_skip_tls_verification"):
        cove.ControlClient("https://127.0.0.1:1", api_key="x", ca_file=str(ca),
                           dangerously_skip_tls_verification=True)


def test_messages_quoting_invalid_utf8_names_are_str(client):
    # A name holding bytes that are not UTF-8 (and one with a non-ASCII
    # letter) is refused with a readable message, never UnicodeDecodeError.
    with pytest.raises(cove.InvalidArgumentError) as err:
        client.create_collection("caf\u00e9", dimension=4)
    assert "\u00e9" in str(err.value)
    # Bytes that are not UTF-8 (a bytes name reaches the engine as is): the
    # message escapes them and stays a str.
    for kwargs in ({"name": b"bad\xff\xfe"},
                   {"name": "fields", "primary_field_name": b"id\xff"},
                   {"name": "fields", "vector_field_name": b"v\xc3"}):
        with pytest.raises(cove.InvalidArgumentError) as err:
            client.create_collection(dimension=4, **kwargs)
        assert isinstance(str(err.value), str)
        assert "\\x" in str(err.value), str(err.value)
    assert not client.has_collection("fields")
