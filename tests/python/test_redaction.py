"""Secrets are never printed (issue 13, item 6): a property over every public
result type of cove.control.

For many random instances of every dataclass of cove.control (nested ones
filled too), repr(), str() and f-strings of the object, of containers holding
it and of a Page never contain a secret (a new cluster's admin password, an
API key's secret, an agent token, an invitation token), while an explicit
field access returns it. A field whose name looks like a secret must be in
cove.control.SECRET_FIELDS, so a new secret field cannot slip through.
"""

import dataclasses
import enum
import random
import re
import string
import typing
from datetime import datetime, timezone

import pytest

import cove
from cove import control, control_types

# Fields whose names look like secrets but are not.
NOT_SECRETS = {"next_page_token", "page_token", "agent_token_expire_time",
               "secret_set",  # AlertWebhook: whether a secret is set (a bool)
               # Private endpoints (network addresses and switches, no keys).
               "private_endpoint", "private_endpoint_enabled",
               "private_network_address"}
LOOKS_SECRET = re.compile(r"password|secret|token|private|credential", re.I)


def result_types():
    # Every dataclass of the control plane's types module (re-exported by
    # cove.control), so that a new result type is covered without listing it.
    return sorted((obj for obj in vars(control_types).values()
                   if isinstance(obj, type) and dataclasses.is_dataclass(obj)
                   and obj.__module__ == control_types.__name__),
                  key=lambda c: c.__name__)


def random_text(rng, prefix):
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits)
                            for _ in range(24))


def build(tp, rng, secrets, field_name="", depth=0):
    """A random value of type `tp`; secret fields' values go into `secrets`."""
    origin = typing.get_origin(tp)
    if origin is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return build(args[0], rng, secrets, field_name, depth)
    if tp is str:
        if field_name in control.SECRET_FIELDS:
            value = random_text(rng, "SECRET-")
            secrets.append(value)
            return value
        return random_text(rng, "v-")
    if tp is bool:
        return rng.random() < 0.5
    if tp is int:
        return rng.randint(0, 10**6)
    if tp is float:
        return rng.random() * 100
    if tp is datetime:
        return datetime.fromtimestamp(rng.randint(0, 2**31), timezone.utc)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return rng.choice(list(tp))
    if origin is list:
        (arg,) = typing.get_args(tp)
        return [build(arg, rng, secrets, field_name, depth + 1)
                for _ in range(rng.randint(1, 2))]
    if origin is dict:
        k, v = typing.get_args(tp)
        return {build(k, rng, secrets, "", depth + 1): build(v, rng, secrets, "", depth + 1)}
    if isinstance(tp, typing.TypeVar) or tp is typing.Any:
        # Page items: a type that holds a secret.
        return build(control.Cluster, rng, secrets, "", depth + 1)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        kwargs = {f.name: build(hints[f.name], rng, secrets, f.name, depth + 1)
                  for f in dataclasses.fields(tp)}
        return tp(**kwargs)
    raise AssertionError(f"no generator for {tp!r} ({field_name})")


def test_every_secret_looking_field_is_registered():
    for cls in result_types():
        for f in dataclasses.fields(cls):
            if LOOKS_SECRET.search(f.name) and f.name not in NOT_SECRETS:
                assert f.name in control.SECRET_FIELDS, f"{cls.__name__}.{f.name}"
    # And the types that hold them are there.
    names = {c.__name__ for c in result_types()}
    for holder in ("Cluster", "ApiKey", "Environment", "Invitation",
                   "OperationInfo", "AcceptedInvitation", "Page"):
        assert holder in names


@pytest.mark.parametrize("seed", range(40))
def test_repr_and_str_never_show_a_secret(seed):
    rng = random.Random(seed)
    for cls in result_types():
        secrets = []
        hints = typing.get_type_hints(cls)
        obj = build(cls, rng, secrets)
        shown = [repr(obj), str(obj), f"{obj}", f"{obj!r}", repr([obj]),
                 str({"k": obj}), repr((obj,)), repr(control.Page(items=[obj]))]
        for text in shown:
            for secret in secrets:
                assert secret not in text, f"{cls.__name__}: {text}"
        # Redacted, not dropped: the field and the marker are shown.
        for f in dataclasses.fields(cls):
            value = getattr(obj, f.name)
            if f.name in control.SECRET_FIELDS and value:
                assert f"{f.name}=<redacted>" in repr(obj)
                # An explicit access returns it.
                assert value in secrets
        # Other fields are shown as before.
        for f in dataclasses.fields(cls):
            if hints[f.name] is str and f.name not in control.SECRET_FIELDS:
                assert repr(getattr(obj, f.name)) in repr(obj)


def test_an_empty_secret_is_shown_empty():
    c = control.Cluster(name="organizations/a/projects/b/clusters/c")
    assert "admin_password=''" in repr(c)
    c.admin_password = "hunter2-hunter2"
    assert "hunter2" not in repr(c)
    assert c.admin_password == "hunter2-hunter2"


class _FakeCoreOperation:
    """What cove.Operation wraps, with a cluster carrying its password."""

    def __init__(self, password):
        class Op:
            pass
        self.operation = Op()
        self.operation.name = "operations/o1"
        self.operation.verb = "CreateCluster"
        self.operation.target = "organizations/a/projects/b/clusters/c"
        self.operation.done = True
        self.operation.progress_percent = 100
        self.done = True


def test_operation_and_clients_do_not_show_secrets():
    op = control.Operation(_FakeCoreOperation("pw-SECRET-123"))
    assert "SECRET" not in repr(op) and "SECRET" not in str(op)
    cc = cove.ControlClient("http://127.0.0.1:1", api_key="cove_abc_SECRETKEY123")
    assert "SECRETKEY" not in repr(cc) and "SECRETKEY" not in str(cc)
    cc.close()
