"""The control-plane client: :class:`ControlClient` over ``cove._core``.

Manage BYOC deployments (organizations, projects, environments, clusters, API
keys, roles, audit events) on a ``cove.control.v1`` control plane such as the
``cove-cloud`` emulator::

    import cove
    cc = cove.ControlClient("http://127.0.0.1:7443", api_key=key)
    org = cc.create_organization("acme")
    project = cc.create_project(org.name, "search")
    for cluster in cc.list_clusters(project.name):
        print(cluster.name, cluster.state.name)

Results are dataclasses; times are timezone-aware :class:`datetime.datetime`
(``None`` when unset); ``list_*`` methods return iterators that fetch pages
lazily; long-running verbs (``create_cluster``, ``scale_cluster``, ...) wait
for their operation and return the cluster, and their ``start_*`` variants
return an :class:`Operation`. Errors are :class:`cove.Error` subclasses
(``cove.NotFoundError``, ``cove.PermissionDeniedError``, ...). Every call
that can block runs without the GIL.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from . import _core
from ._errors import (DeadlineExceededError, Error, InvalidArgumentError, StatusCode,
                      _from_status)
from ._progress import Progress, progress_enabled
# The result types (re-exported: cove.control.Cluster, ...).
from .control_types import (AcceptedInvitation, ApiKey, AuditEvent, AuditOutcome,
    Autoscaling, AutoscalingSchedule, Backup, BackupPolicy, BackupState, Cluster,
    ClusterMetrics, ClusterState, Effect, EmulatorSettings, Environment,
    EnvironmentMode, EnvironmentProblem, EnvironmentState, EnvironmentValidation,
    Fault, FaultMode, Invitation, InvitationState, Member, OperationInfo, Organization,
    Page, Project, RequestKindMetrics, License, PriceTable, CostItem, CostEstimate, Role, RoleBinding, RoleLevel, SECRET_FIELDS,
    AlertComparison, AlertDelivery, AlertMetric, AlertRule, AlertState, AlertWebhook,
    Statement, Time, _from_core, _request, _time, _to_core)
from .control_types import (SupportAccessGrant, SupportAccessState,  # noqa: F401
                            SupportPrincipal)
from .control_types import (MaintenanceWindow, MaintenanceWindowInfo, Release,
                            ScheduledUpgrade)
from .control_types import __all__ as _types_all

__all__ = ["ControlClient", "Emulator", "Operation"] + _types_all

# ---- operations ------------------------------------------------------------------------

class Operation:
    """A long-running operation (create, scale, suspend, ... a cluster).

    ``wait()`` blocks (without the GIL) until it is done and returns the cluster
    as the operation left it; it raises the operation's error, or
    :class:`cove.DeadlineExceededError` when ``timeout`` seconds pass first.
    """

    def __init__(self, core: Any) -> None:
        self._core = core

    @property
    def name(self) -> str:
        """``operations/{id}``."""
        return self._core.name

    @property
    def done(self) -> bool:
        """True once the operation has ended."""
        return self._core.done

    @property
    def info(self) -> OperationInfo:
        """The operation as last seen."""
        return _from_core(OperationInfo, self._core.operation)

    @property
    def progress_percent(self) -> int:
        return self._core.operation.progress_percent

    @property
    def error(self) -> Optional[Error]:
        """The operation's error (None while it runs or when it succeeded)."""
        op = self._core.operation
        if op.error_code == 0:
            return None
        return _from_status(op.error_code, op.error_message)

    @property
    def cluster(self) -> Optional[Cluster]:
        """The cluster as the operation left it (None until done)."""
        c = self._core.operation.cluster
        return None if c is None else _from_core(Cluster, c)

    @property
    def backup(self) -> Optional[Backup]:
        """The backup as the operation left it (create_backup, delete_backup)."""
        b = self._core.operation.backup
        return None if b is None else _from_core(Backup, b)

    def refresh(self, *, timeout: Optional[float] = None) -> "Operation":
        """Reads the operation again."""
        self._core.refresh(timeout=timeout)
        return self

    def wait(self, timeout: Optional[float] = None, *,
             progress: Optional[bool] = None) -> Optional[Cluster]:
        """Waits until done; returns :attr:`cluster`.

        Args:
            timeout: seconds to wait at most (None: as long as it takes).
            progress: draw a progress bar on stderr (tqdm when importable);
                by default only when stderr is a terminal; False: never.
        """
        if not progress_enabled(progress):
            self._core.wait(timeout=timeout)
            return self.cluster
        deadline = None if timeout is None else time.monotonic() + timeout
        op = self._core.operation
        with Progress(100, f"{op.verb} {op.target.rsplit('/', 1)[-1]}", True,
                      unit="%") as bar:
            shown = 0
            while True:
                step = 0.5
                if deadline is not None:
                    step = max(0.0, min(step, deadline - time.monotonic()))
                try:
                    self._core.wait(timeout=step)
                except DeadlineExceededError:
                    # Only this slice ran out, unless the operation itself
                    # failed so or the caller's timeout has passed.
                    if self._core.done or (deadline is not None and
                                           time.monotonic() >= deadline):
                        raise
                pct = 100 if self._core.done else min(
                    99, max(0, self._core.operation.progress_percent))
                if pct > shown:
                    bar.update(pct - shown)
                    shown = pct
                if self._core.done:
                    break
        return self.cluster

    def cancel(self, *, timeout: Optional[float] = None) -> "Operation":
        """Asks the server to cancel (best effort); does not wait."""
        self._core.cancel(timeout=timeout)
        return self

    def __repr__(self) -> str:
        op = self._core.operation
        return (f"Operation({op.name!r}, verb={op.verb!r}, target={op.target!r}, "
                f"done={op.done}, progress={op.progress_percent}%)")


# ---- the emulator -----------------------------------------------------------------

class Emulator:
    """The cove-cloud emulator's test knobs (its admin key only)."""

    def __init__(self, core: Any) -> None:
        self._core = core

    def get_settings(self, *, timeout: Optional[float] = None) -> EmulatorSettings:
        return _from_core(EmulatorSettings, self._core.get_settings(timeout=timeout))

    def update_settings(self, *, transition_delay: Optional[float] = None,
                        retention: Optional[float] = None,
                        vectors_per_cu: Optional[Dict[str, int]] = None,
                        bytes_per_cu: Optional[Dict[str, int]] = None,
                        price_table: Optional[PriceTable] = None,
                        releases: Optional[Sequence[Release]] = None,
                        timeout: Optional[float] = None) -> EmulatorSettings:
        """Changes the settings given (durations in seconds). ``price_table``:
        its ``cu_hour`` and ``region_factor`` entries replace those of the same
        key; currency, storage_gib_month and hours_per_month are set when
        non-empty / non-zero. ``releases`` replace the catalog's releases of
        the same version, or are added."""
        r = _request("UpdateEmulatorSettingsRequest", transition_delay=transition_delay,
                     retention=retention, vectors_per_cu=dict(vectors_per_cu or {}),
                     bytes_per_cu=dict(bytes_per_cu or {}),
                     price_table=_to_core(price_table or PriceTable()),
                     releases=[_to_core(x) for x in (releases or [])])
        return _from_core(EmulatorSettings, self._core.update_settings(r, timeout=timeout))

    def set_clock(self, time: Time = None, *, real: bool = False,
                  timeout: Optional[float] = None) -> EmulatorSettings:
        """Switches to the manual clock at ``time`` (None: now), or back to the real one."""
        r = _request("SetClockRequest", time=_time(time), real=real)
        return _from_core(EmulatorSettings, self._core.set_clock(r, timeout=timeout))

    def advance_clock(self, seconds: float, *,
                      timeout: Optional[float] = None) -> EmulatorSettings:
        """Moves the manual clock forward."""
        return _from_core(EmulatorSettings,
                          self._core.advance_clock(float(seconds), timeout=timeout))

    def inject_fault(self, verb: str, mode: FaultMode, *,
                     code: Union[StatusCode, int] = StatusCode.OK, message: str = "",
                     count: int = 0, replica: int = 0,
                     timeout: Optional[float] = None) -> Fault:
        """Makes ``verb`` (an RPC name, or "*") fail, stall or be unavailable.
        ``replica`` (UpgradeCluster with FAIL): the upgrade runs and that
        replica's health check (1-based) fails, rolling back those before it."""
        f = _to_core(Fault(verb=verb, mode=mode, code=code, message=message, count=count,
                           replica=replica))
        return _from_core(Fault, self._core.inject_fault(f, timeout=timeout))

    def list_faults(self, *, timeout: Optional[float] = None) -> List[Fault]:
        return [_from_core(Fault, f) for f in self._core.list_faults(timeout=timeout)]

    def clear_faults(self, verb: str = "", *, timeout: Optional[float] = None) -> None:
        """Clears the faults of ``verb`` (all when empty)."""
        self._core.clear_faults(verb, timeout=timeout)

    def set_project_license(self, project: str, *, license_id: str = "",
                            max_cus: int = 0, max_replicas: int = 0,
                            timeout: Optional[float] = None) -> Project:
        """The vendor sets a project's license: at most ``max_cus`` CUs
        (cu_size x replicas) and ``max_replicas`` replicas over its clusters
        (0: no limit). Audited on the project."""
        lic = _request("License", license_id=license_id, max_cus=max_cus,
                       max_replicas=max_replicas)
        r = _request("SetProjectLicenseRequest", project=project, license=lic)
        return _from_core(Project, self._core.set_project_license(r, timeout=timeout))

    def clear_project_license(self, project: str, *,
                              timeout: Optional[float] = None) -> Project:
        """Removes a project's license (no limit)."""
        r = _request("SetProjectLicenseRequest", project=project, license=None)
        return _from_core(Project, self._core.set_project_license(r, timeout=timeout))

    def create_support_principal(self, support_principal_id: str, *,
                                 display_name: str = "",
                                 timeout: Optional[float] = None) -> SupportPrincipal:
        """Makes a vendor support principal; the result carries its API key
        ``secret`` (shown once). It holds nothing until an organization owner
        approves one of its support access requests."""
        r = _request("CreateSupportPrincipalRequest",
                     support_principal_id=support_principal_id,
                     display_name=display_name)
        return _from_core(SupportPrincipal,
                          self._core.create_support_principal(r, timeout=timeout))


# ---- the client -------------------------------------------------------------------

def _alias(name: str, value: Any, old_name: str, old_value: Any) -> Any:
    """The value of keyword ``name``, or of its older name ``old_name``."""
    if old_value is None:
        return value
    if value is not None and value != old_value:
        raise InvalidArgumentError(
            f"{name}: given twice, also as {old_name} (expected one of them)")
    return old_value


class ControlClient:
    """Client of a ``cove.control.v1`` control plane (e.g. ``cove-cloud``).

    Args:
        endpoint: ``http://host:port`` or ``https://host:port``; default
            ``$COVE_CLOUD_ENDPOINT``.
        api_key: the API key secret; default ``$COVE_API_KEY``.
        ca_cert_file / ca_cert_pem: CA certificates to trust for TLS (a PEM
            file or PEM text; either turns TLS on), as for :class:`cove.Client`
            (``ca_file`` / ``ca_pem`` are accepted as older names).
        server_name: overrides the name checked in the server certificate.
        dangerously_skip_tls_verification: encrypt but accept any server
            certificate (open to a man in the middle; test servers only; a
            warning is printed). Certificates are verified otherwise.
        timeout: default deadline of each call, in seconds.
        max_attempts: attempts of calls that are safe to retry (reads, and
            creates and long-running verbs, which carry a request id).
        operation_timeout: how long blocking verbs (create_cluster, ...) wait.

    Creates get a random request id when none is given, reused by the
    client's retries, so a retried create runs once. Safe to share between
    threads.
    """

    def __init__(self, endpoint: Optional[str] = None, *, api_key: Optional[str] = None,
                 ca_cert_file: Optional[str] = None, ca_cert_pem: Optional[str] = None,
                 server_name: Optional[str] = None, timeout: Optional[float] = None,
                 max_attempts: Optional[int] = None,
                 operation_timeout: Optional[float] = None,
                 dangerously_skip_tls_verification: bool = False,
                 ca_file: Optional[str] = None, ca_pem: Optional[str] = None) -> None:
        ca_cert_file = _alias("ca_cert_file", ca_cert_file, "ca_file", ca_file)
        ca_cert_pem = _alias("ca_cert_pem", ca_cert_pem, "ca_pem", ca_pem)
        o = _core.ControlOptions()
        o.endpoint = endpoint or ""
        o.api_key = api_key or ""
        o.ca_cert_file = str(ca_cert_file or "")
        o.ca_cert_pem = ca_cert_pem or ""
        o.server_name = server_name or ""
        o.dangerously_skip_tls_verification = bool(dangerously_skip_tls_verification)
        o = _core.apply_control_environment(o)
        if timeout is not None:
            o.timeout = float(timeout)
        if max_attempts is not None:
            o.max_attempts = int(max_attempts)
        if operation_timeout is not None:
            o.operation_timeout = float(operation_timeout)
        self._core = _core.ControlClient(o)
        self.endpoint = o.endpoint

    def __enter__(self) -> "ControlClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drops the connection (in-flight calls on other threads finish)."""
        self._core = None

    def __repr__(self) -> str:
        return f"ControlClient({self.endpoint!r})"

    @property
    def emulator(self) -> Emulator:
        """The emulator's test knobs over the same connection."""
        return Emulator(self._core.emulator())

    @staticmethod
    def new_request_id() -> str:
        """A random request id (UUID form)."""
        return _core.ControlClient.new_request_id()

    # -- helpers

    def _pages(self, method: str, cls: type, request: Any,
               timeout: Optional[float]) -> Iterator[Any]:
        fetch = getattr(self._core, method)
        while True:
            items, token = fetch(request, timeout=timeout)
            for item in items:
                yield _from_core(cls, item)
            if not token or token == request.page_token:
                return
            request.page_token = token

    def _page(self, method: str, cls: type, request: Any,
              timeout: Optional[float]) -> Page:
        items, token = getattr(self._core, method)(request, timeout=timeout)
        return Page([_from_core(cls, i) for i in items], token)

    @staticmethod
    def _list(parent: str = "", filter: str = "", page_size: int = 0,
              page_token: str = "") -> Any:
        return _request("ListRequest", parent=parent, filter=filter,
                        page_size=page_size, page_token=page_token)

    @staticmethod
    def _delete(name: str, etag: str, request_id: str) -> Any:
        return _request("DeleteRequest", name=name, etag=etag, request_id=request_id)

    def _finish(self, op: Any, wait_timeout: Optional[float]) -> Cluster:
        o = Operation(op)
        cluster = o.wait(wait_timeout)
        return cluster if cluster is not None else Cluster(name=o.info.target)

    # -- organizations

    def create_organization(self, organization_id: str, *, display_name: str = "",
                            owner_email: str = "", request_id: str = "",
                            timeout: Optional[float] = None) -> Organization:
        """Creates ``organizations/{organization_id}``."""
        r = _request("CreateOrganizationRequest", organization_id=organization_id,
                     organization=_to_core(Organization(display_name=display_name)),
                     owner_email=owner_email, request_id=request_id)
        return _from_core(Organization, self._core.create_organization(r, timeout=timeout))

    def get_organization(self, name: str, *, timeout: Optional[float] = None) -> Organization:
        return _from_core(Organization, self._core.get_organization(name, timeout=timeout))

    def list_organizations(self, *, page_size: int = 0,
                           timeout: Optional[float] = None) -> Iterator[Organization]:
        """Every organization the key may see (pages fetched lazily)."""
        return self._pages("list_organizations", Organization,
                           self._list(page_size=page_size), timeout)

    def list_organizations_page(self, *, page_size: int = 0, page_token: str = "",
                                timeout: Optional[float] = None) -> Page:
        return self._page("list_organizations", Organization,
                          self._list(page_size=page_size, page_token=page_token), timeout)

    def update_organization(self, organization: Organization, update_mask: Sequence[str],
                            *, timeout: Optional[float] = None) -> Organization:
        """Updates the fields named in ``update_mask``; a stale etag raises AbortedError."""
        return _from_core(Organization, self._core.update_organization(
            _to_core(organization), list(update_mask), timeout=timeout))

    def delete_organization(self, name: str, *, etag: str = "", request_id: str = "",
                            timeout: Optional[float] = None) -> None:
        self._core.delete_organization(self._delete(name, etag, request_id), timeout=timeout)

    # -- members and invitations

    def list_members(self, parent: str, *, page_size: int = 0,
                     timeout: Optional[float] = None) -> Iterator[Member]:
        return self._pages("list_members", Member,
                           self._list(parent, page_size=page_size), timeout)

    def get_member(self, name: str, *, timeout: Optional[float] = None) -> Member:
        return _from_core(Member, self._core.get_member(name, timeout=timeout))

    def update_member(self, member: Member, update_mask: Sequence[str], *,
                      timeout: Optional[float] = None) -> Member:
        return _from_core(Member, self._core.update_member(
            _to_core(member), list(update_mask), timeout=timeout))

    def delete_member(self, name: str, *, etag: str = "", request_id: str = "",
                      timeout: Optional[float] = None) -> None:
        self._core.delete_member(self._delete(name, etag, request_id), timeout=timeout)

    def create_invitation(self, parent: str, *, email: str, role: str,
                          expire_time: Time = None, request_id: str = "",
                          timeout: Optional[float] = None) -> Invitation:
        """Invites ``email``; the result's ``token`` is shown once."""
        inv = Invitation(email=email, role=role,
                         expire_time=None if expire_time is None else
                         datetime.fromtimestamp(_time(expire_time), timezone.utc))
        r = _request("CreateInvitationRequest", parent=parent, invitation=_to_core(inv),
                     request_id=request_id)
        return _from_core(Invitation, self._core.create_invitation(r, timeout=timeout))

    def get_invitation(self, name: str, *, timeout: Optional[float] = None) -> Invitation:
        return _from_core(Invitation, self._core.get_invitation(name, timeout=timeout))

    def list_invitations(self, parent: str, *, filter: str = "", page_size: int = 0,
                         timeout: Optional[float] = None) -> Iterator[Invitation]:
        return self._pages("list_invitations", Invitation,
                           self._list(parent, filter, page_size), timeout)

    def revoke_invitation(self, name: str, *, etag: str = "", request_id: str = "",
                          timeout: Optional[float] = None) -> Invitation:
        return _from_core(Invitation, self._core.revoke_invitation(
            self._delete(name, etag, request_id), timeout=timeout))

    def accept_invitation(self, name: str, token: str, *,
                          timeout: Optional[float] = None) -> AcceptedInvitation:
        """Needs no API key: the token authenticates."""
        r = _request("AcceptInvitationRequest", name=name, token=token)
        return _from_core(AcceptedInvitation, self._core.accept_invitation(r, timeout=timeout))

    # -- projects

    def create_project(self, parent: str, project_id: str, *, display_name: str = "",
                       plan: str = "", region: str = "",
                       labels: Optional[Dict[str, str]] = None, request_id: str = "",
                       timeout: Optional[float] = None) -> Project:
        """Creates ``{parent}/projects/{project_id}``."""
        p = Project(display_name=display_name, plan=plan, region=region,
                    labels=dict(labels or {}))
        r = _request("CreateProjectRequest", parent=parent, project_id=project_id,
                     project=_to_core(p), request_id=request_id)
        return _from_core(Project, self._core.create_project(r, timeout=timeout))

    def get_project(self, name: str, *, timeout: Optional[float] = None) -> Project:
        return _from_core(Project, self._core.get_project(name, timeout=timeout))

    def list_projects(self, parent: str, *, filter: str = "", page_size: int = 0,
                      timeout: Optional[float] = None) -> Iterator[Project]:
        """Projects of an organization; filter ``region=...``, ``plan=...``."""
        return self._pages("list_projects", Project,
                           self._list(parent, filter, page_size), timeout)

    def list_projects_page(self, parent: str, *, filter: str = "", page_size: int = 0,
                           page_token: str = "", timeout: Optional[float] = None) -> Page:
        return self._page("list_projects", Project,
                          self._list(parent, filter, page_size, page_token), timeout)

    def update_project(self, project: Project, update_mask: Sequence[str], *,
                       timeout: Optional[float] = None) -> Project:
        return _from_core(Project, self._core.update_project(
            _to_core(project), list(update_mask), timeout=timeout))

    def delete_project(self, name: str, *, etag: str = "", request_id: str = "",
                       timeout: Optional[float] = None) -> None:
        self._core.delete_project(self._delete(name, etag, request_id), timeout=timeout)

    # -- environments

    def create_environment(self, parent: str, environment_id: str, *,
                           mode: EnvironmentMode = EnvironmentMode.CROSS_ACCOUNT,
                           cloud_account_id: str = "", region: str = "", vpc_id: str = "",
                           subnet_ids: Sequence[str] = (), bucket: str = "",
                           role_arn: str = "", external_id: str = "",
                           private_network_address: str = "",
                           request_id: str = "",
                           timeout: Optional[float] = None) -> Environment:
        """Creates an environment (cross-account by default).
        ``private_network_address``: the address of its own network that
        clusters' private endpoints listen on (cross-account mode; empty: the
        control plane chooses one)."""
        e = Environment(mode=mode, cloud_account_id=cloud_account_id, region=region,
                        vpc_id=vpc_id, subnet_ids=list(subnet_ids), bucket=bucket,
                        role_arn=role_arn, external_id=external_id,
                        private_network_address=private_network_address)
        r = _request("CreateEnvironmentRequest", parent=parent,
                     environment_id=environment_id, environment=_to_core(e),
                     request_id=request_id)
        return _from_core(Environment, self._core.create_environment(r, timeout=timeout))

    def get_environment(self, name: str, *, timeout: Optional[float] = None) -> Environment:
        return _from_core(Environment, self._core.get_environment(name, timeout=timeout))

    def list_environments(self, parent: str, *, filter: str = "", page_size: int = 0,
                          timeout: Optional[float] = None) -> Iterator[Environment]:
        return self._pages("list_environments", Environment,
                           self._list(parent, filter, page_size), timeout)

    def delete_environment(self, name: str, *, etag: str = "", request_id: str = "",
                           timeout: Optional[float] = None) -> None:
        self._core.delete_environment(self._delete(name, etag, request_id), timeout=timeout)

    def validate_environment(self, name: str, *,
                             timeout: Optional[float] = None) -> EnvironmentValidation:
        """Checks the bucket and the role; lists every problem found."""
        return _from_core(EnvironmentValidation,
                          self._core.validate_environment(name, timeout=timeout))

    def rotate_agent_token(self, name: str, *, etag: str = "",
                           timeout: Optional[float] = None) -> Environment:
        r = _request("RotateAgentTokenRequest", name=name, etag=etag)
        return _from_core(Environment, self._core.rotate_agent_token(r, timeout=timeout))

    # -- clusters

    def start_create_cluster(self, parent: str, cluster_id: str, *, environment: str,
                             cu_size: int = 1, cu_type: str = "performance",
                             replicas: int = 1, display_name: str = "",
                             labels: Optional[Dict[str, str]] = None,
                             autoscaling: Optional[Autoscaling] = None,
                             encryption_key: str = "",
                             backup_policy: Optional[BackupPolicy] = None,
                             idle_timeout: float = 0.0,
                             ip_access_list: Optional[List[str]] = None,
                             private_endpoint_enabled: bool = False,
                             public_endpoint_disabled: bool = False,
                             request_id: str = "",
                             timeout: Optional[float] = None) -> Operation:
        """Starts creating ``{parent}/clusters/{cluster_id}``; returns the operation.
        ``encryption_key``: a customer-managed key ``keys/{name}`` held in the
        environment's key store. ``idle_timeout``: seconds without a
        data-plane request before the cluster becomes IDLE (0: never).
        ``ip_access_list``: CIDRs (``"10.0.0.0/8"``, ``"2001:db8::/32"``, a
        bare address) whose clients may call the data plane; empty: all.
        ``private_endpoint_enabled``: a second listener on the environment's
        private network address; ``public_endpoint_disabled``: the public one
        off (needs the private one)."""
        c = Cluster(environment=environment, cu_size=cu_size, cu_type=cu_type,
                    replicas=replicas, display_name=display_name,
                    labels=dict(labels or {}), autoscaling=autoscaling or Autoscaling(),
                    encryption_key=encryption_key,
                    backup_policy=backup_policy or BackupPolicy(),
                    idle_timeout=idle_timeout,
                    ip_access_list=list(ip_access_list or []),
                    private_endpoint_enabled=private_endpoint_enabled,
                    public_endpoint_disabled=public_endpoint_disabled)
        r = _request("CreateClusterRequest", parent=parent, cluster_id=cluster_id,
                     cluster=_to_core(c), request_id=request_id)
        return Operation(self._core.start_create_cluster(r, timeout=timeout))

    def create_cluster(self, parent: str, cluster_id: str, *, environment: str,
                       wait_timeout: Optional[float] = None, **kwargs: Any) -> Cluster:
        """Creates a cluster and waits until it runs. The result carries the
        data plane's ``endpoint`` and its ``admin_password`` (shown once)."""
        op = self.start_create_cluster(parent, cluster_id, environment=environment, **kwargs)
        return self._finish(op._core, wait_timeout)

    def get_cluster(self, name: str, *, timeout: Optional[float] = None) -> Cluster:
        return _from_core(Cluster, self._core.get_cluster(name, timeout=timeout))

    def list_clusters(self, parent: str, *, filter: str = "", page_size: int = 0,
                      timeout: Optional[float] = None) -> Iterator[Cluster]:
        """Clusters of a project (or ``organizations/{org}/projects/-``); filter
        ``state=RUNNING``, ``environment=...``, ``labels.KEY=VALUE``,
        ``show_deleted=true``."""
        return self._pages("list_clusters", Cluster,
                           self._list(parent, filter, page_size), timeout)

    def list_clusters_page(self, parent: str, *, filter: str = "", page_size: int = 0,
                           page_token: str = "", timeout: Optional[float] = None) -> Page:
        return self._page("list_clusters", Cluster,
                          self._list(parent, filter, page_size, page_token), timeout)

    def update_cluster(self, cluster: Cluster, update_mask: Sequence[str], *,
                       timeout: Optional[float] = None) -> Cluster:
        """update_mask: ``display_name``, ``labels``, ``autoscaling``,
        ``idle_timeout``, ``ip_access_list``, ``private_endpoint_enabled``,
        ``public_endpoint_disabled``."""
        return _from_core(Cluster, self._core.update_cluster(
            _to_core(cluster), list(update_mask), timeout=timeout))

    def get_cluster_metrics(self, name: str, *, window_seconds: int = 0,
                            timeout: Optional[float] = None) -> ClusterMetrics:
        """Usage of a cluster's data plane: requests per second over the last
        ``window_seconds`` (1..600; 0: 60), latency percentiles, vectors,
        storage bytes and CU usage (vectors / capacity)."""
        return _from_core(ClusterMetrics, self._core.get_cluster_metrics(
            name, window_seconds, timeout=timeout))

    def estimate_cost(self, parent: str, *, cu_size: int, replicas: int = 1,
                      cu_type: str = "performance", storage_gib: int = 0,
                      region: str = "",
                      timeout: Optional[float] = None) -> CostEstimate:
        """What a cluster of ``cu_size`` CU x ``replicas`` with ``storage_gib``
        GiB in ``region`` (empty: the project's) would cost per hour and per
        month, from the control plane's price table; needs read access to the
        project ``parent``."""
        r = _request("EstimateCostRequest", parent=parent, cu_type=cu_type,
                     cu_size=cu_size, replicas=replicas, storage_gib=storage_gib,
                     region=region)
        return _from_core(CostEstimate, self._core.estimate_cost(r, timeout=timeout))

    # ---- alerts (issue 19) ----

    def create_alert_rule(self, parent: str, alert_rule_id: str, *, cluster: str,
                          metric: AlertMetric, threshold: float = 0.0,
                          comparison: AlertComparison = AlertComparison.GREATER_THAN,
                          for_duration: float = 0.0, window_seconds: int = 0,
                          webhook_url: str = "", webhook_secret: str = "",
                          audit: bool = False, display_name: str = "",
                          labels: Optional[Dict[str, str]] = None,
                          request_id: str = "",
                          timeout: Optional[float] = None) -> AlertRule:
        """An alert rule of project ``parent`` on ``metric`` of ``cluster``:
        fires when the value compared with ``threshold`` held for
        ``for_duration`` seconds (whole); notifies the webhook (``http``/
        ``https``; signed with ``webhook_secret``) and/or the audit log."""
        rule = AlertRule(cluster=cluster, metric=AlertMetric(metric),
                         comparison=AlertComparison(comparison), threshold=threshold,
                         for_duration=for_duration, window_seconds=window_seconds,
                         audit=audit, display_name=display_name,
                         labels=dict(labels or {}))
        if webhook_url or webhook_secret:
            rule.webhook = AlertWebhook(url=webhook_url, secret=webhook_secret)
        r = _request("CreateAlertRuleRequest", parent=parent,
                     alert_rule_id=alert_rule_id, alert_rule=_to_core(rule),
                     request_id=request_id)
        return _from_core(AlertRule, self._core.create_alert_rule(r, timeout=timeout))

    def get_alert_rule(self, name: str, *, timeout: Optional[float] = None) -> AlertRule:
        return _from_core(AlertRule, self._core.get_alert_rule(name, timeout=timeout))

    def list_alert_rules(self, parent: str, *, filter: str = "", page_size: int = 0,
                         timeout: Optional[float] = None) -> Iterator[AlertRule]:
        """Alert rules of a project; filter ``cluster=...``, ``state=FIRING``,
        ``metric=QPS``."""
        return self._pages("list_alert_rules", AlertRule,
                           self._list(parent, filter, page_size), timeout)

    def delete_alert_rule(self, name: str, *, etag: str = "", request_id: str = "",
                          timeout: Optional[float] = None) -> None:
        self._core.delete_alert_rule(self._delete(name, etag, request_id), timeout=timeout)

    def test_alert_rule(self, name: str, *,
                        timeout: Optional[float] = None) -> Dict[str, Any]:
        """Queues a test notification on every channel of the rule; returns
        ``{"notification_id": ..., "channels": [...]}``."""
        t = self._core.test_alert_rule(name, timeout=timeout)
        return {"notification_id": t.notification_id, "channels": list(t.channels)}

    def silence_alert_rule(self, name: str, until: Time = None, *, etag: str = "",
                           timeout: Optional[float] = None) -> AlertRule:
        """No notification until ``until`` (None: the silence is lifted)."""
        r = _request("SilenceAlertRuleRequest", name=name, until=_time(until), etag=etag)
        return _from_core(AlertRule, self._core.silence_alert_rule(r, timeout=timeout))

    def update_alert_rule(self, alert_rule: AlertRule, update_mask: Sequence[str], *,
                          timeout: Optional[float] = None) -> AlertRule:
        """Changes the fields of ``alert_rule`` that ``update_mask`` names
        (``display_name``, ``metric``, ``comparison``, ``threshold``,
        ``for_duration``, ``window_seconds``, ``webhook``, ``webhook.url``,
        ``webhook.secret``, ``audit``, ``labels``; not ``cluster``); a new
        condition restarts the rule's evaluation. ``alert_rule.etag``, when
        set, must be the rule's."""
        return _from_core(AlertRule, self._core.update_alert_rule(
            _to_core(alert_rule), list(update_mask), timeout=timeout))
    # -- support access (issue 19)

    def request_support_access(self, cluster: str, *, reason: str, duration: float,
                               request_id: str = "",
                               timeout: Optional[float] = None) -> SupportAccessGrant:
        """A support principal asks for access to ``cluster`` for ``reason``
        and ``duration`` seconds (60 to 86400) once approved: a PENDING grant."""
        r = _request("RequestSupportAccessRequest", cluster=cluster, reason=reason,
                     duration=duration, request_id=request_id)
        return _from_core(SupportAccessGrant,
                          self._core.request_support_access(r, timeout=timeout))

    def get_support_access(self, name: str, *,
                           timeout: Optional[float] = None) -> SupportAccessGrant:
        """The grant (its requester also gets the data-plane password while ACTIVE)."""
        return _from_core(SupportAccessGrant,
                          self._core.get_support_access(name, timeout=timeout))

    def list_support_access(self, parent: str = "", *, filter: str = "",
                            page_size: int = 0, timeout: Optional[float] = None
                            ) -> Iterator[SupportAccessGrant]:
        """The grants of an organization (owners), or with no parent a support
        principal's own; filter ``state=ACTIVE``, ``cluster=...``."""
        return self._pages("list_support_access", SupportAccessGrant,
                           self._list(parent, filter, page_size), timeout)

    def _support_action(self, method: str, name: str, reason: str, etag: str,
                        timeout: Optional[float]) -> SupportAccessGrant:
        r = _request("SupportAccessActionRequest", name=name, reason=reason, etag=etag)
        return _from_core(SupportAccessGrant,
                          getattr(self._core, method)(r, timeout=timeout))

    def approve_support_access(self, name: str, *, etag: str = "",
                               timeout: Optional[float] = None) -> SupportAccessGrant:
        """An organization owner approves: ACTIVE for the requested duration."""
        return self._support_action("approve_support_access", name, "", etag, timeout)

    def deny_support_access(self, name: str, *, reason: str = "", etag: str = "",
                            timeout: Optional[float] = None) -> SupportAccessGrant:
        return self._support_action("deny_support_access", name, reason, etag, timeout)

    def revoke_support_access(self, name: str, *, reason: str = "", etag: str = "",
                              timeout: Optional[float] = None) -> SupportAccessGrant:
        """Ends an ACTIVE grant at once (both planes)."""
        return self._support_action("revoke_support_access", name, reason, etag, timeout)
    # -- versions and upgrades (issue 19)

    def list_releases(self, cluster: str = "", *,
                      timeout: Optional[float] = None) -> List[Release]:
        """The release catalog, oldest first; with ``cluster``, only the
        releases it can be upgraded to."""
        return [_from_core(Release, r)
                for r in self._core.list_releases(cluster, timeout=timeout)]

    _UPGRADE_ACTIONS = {"": 0, "defer": 1, "run_now": 2}

    def start_upgrade_cluster(self, name: str, version: str = "", *,
                              schedule: bool = False, action: str = "",
                              etag: str = "", request_id: str = "",
                              timeout: Optional[float] = None) -> Operation:
        """Restarts the cluster's data plane on ``version`` over the same data
        and endpoint (health-checked, rolled back on failure); with
        ``schedule`` in its maintenance window. ``action`` "defer" or
        "run_now" acts on the upgrade already scheduled."""
        if action not in self._UPGRADE_ACTIONS:
            raise InvalidArgumentError(
                f"action: expected '', 'defer' or 'run_now' (got {action!r})")
        r = _request("UpgradeClusterRequest", name=name, version=version,
                     schedule=schedule, action=self._UPGRADE_ACTIONS[action],
                     etag=etag, request_id=request_id)
        return Operation(self._core.start_upgrade_cluster(r, timeout=timeout))

    def upgrade_cluster(self, name: str, version: str, *, etag: str = "",
                        request_id: str = "", timeout: Optional[float] = None,
                        wait_timeout: Optional[float] = None) -> Cluster:
        """Upgrades now and waits; a failed upgrade (rolled back) raises."""
        op = self.start_upgrade_cluster(name, version, etag=etag,
                                        request_id=request_id, timeout=timeout)
        return self._finish(op._core, wait_timeout)

    def set_maintenance_window(self, name: str,
                               window: Optional[MaintenanceWindow], *,
                               timeout: Optional[float] = None
                               ) -> MaintenanceWindowInfo:
        """Sets (None: clears) the window of a cluster or a project."""
        core = None if window is None else _to_core(window)
        return _from_core(MaintenanceWindowInfo,
                          self._core.set_maintenance_window(name, core,
                                                            timeout=timeout))

    def get_maintenance_window(self, name: str, *,
                               timeout: Optional[float] = None
                               ) -> MaintenanceWindowInfo:
        """The window in force (a cluster's own, else its project's)."""
        return _from_core(MaintenanceWindowInfo,
                          self._core.get_maintenance_window(name, timeout=timeout))

    def _action(self, method: str, name: str, etag: str, request_id: str,
                timeout: Optional[float]) -> Operation:
        r = _request("ClusterActionRequest", name=name, etag=etag, request_id=request_id)
        return Operation(getattr(self._core, method)(r, timeout=timeout))

    def start_suspend_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                              timeout: Optional[float] = None) -> Operation:
        return self._action("start_suspend_cluster", name, etag, request_id, timeout)

    def suspend_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                        timeout: Optional[float] = None,
                        wait_timeout: Optional[float] = None) -> Cluster:
        """Stops the data plane, keeping the data; waits."""
        op = self.start_suspend_cluster(name, etag=etag, request_id=request_id, timeout=timeout)
        return self._finish(op._core, wait_timeout)

    def start_reset_cluster_password(self, name: str, *, etag: str = "",
                                     request_id: str = "",
                                     timeout: Optional[float] = None) -> Operation:
        return self._action("start_reset_cluster_password", name, etag, request_id,
                            timeout)

    def reset_cluster_password(self, name: str, *, etag: str = "", request_id: str = "",
                               timeout: Optional[float] = None,
                               wait_timeout: Optional[float] = None) -> Cluster:
        """A new password of the data plane's ``root`` user (of a RUNNING or
        SUSPENDED cluster); the old one stops working. The result's
        ``admin_password`` holds it, shown once (``repr()`` redacts it). Needs
        ``clusters.resetPassword`` (cluster admins); audited."""
        op = self.start_reset_cluster_password(name, etag=etag, request_id=request_id,
                                               timeout=timeout)
        return self._finish(op._core, wait_timeout)

    def start_resume_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                             timeout: Optional[float] = None) -> Operation:
        return self._action("start_resume_cluster", name, etag, request_id, timeout)

    def resume_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                       timeout: Optional[float] = None,
                       wait_timeout: Optional[float] = None) -> Cluster:
        op = self.start_resume_cluster(name, etag=etag, request_id=request_id, timeout=timeout)
        return self._finish(op._core, wait_timeout)

    def start_scale_cluster(self, name: str, *, cu_size: int = 0, replicas: int = 0,
                            etag: str = "", request_id: str = "",
                            timeout: Optional[float] = None) -> Operation:
        r = _request("ScaleClusterRequest", name=name, cu_size=cu_size, replicas=replicas,
                     etag=etag, request_id=request_id)
        return Operation(self._core.start_scale_cluster(r, timeout=timeout))

    def scale_cluster(self, name: str, *, cu_size: int = 0, replicas: int = 0,
                      etag: str = "", request_id: str = "",
                      timeout: Optional[float] = None,
                      wait_timeout: Optional[float] = None) -> Cluster:
        """Changes the CU size and/or replicas (0: unchanged); waits."""
        op = self.start_scale_cluster(name, cu_size=cu_size, replicas=replicas, etag=etag,
                                      request_id=request_id, timeout=timeout)
        return self._finish(op._core, wait_timeout)

    def start_delete_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                             timeout: Optional[float] = None) -> Operation:
        return self._action("start_delete_cluster", name, etag, request_id, timeout)

    def delete_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                       timeout: Optional[float] = None,
                       wait_timeout: Optional[float] = None) -> Cluster:
        """Soft delete: restorable until the cluster's ``purge_time``."""
        op = self.start_delete_cluster(name, etag=etag, request_id=request_id, timeout=timeout)
        return self._finish(op._core, wait_timeout)

    def start_restore_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                              timeout: Optional[float] = None) -> Operation:
        return self._action("start_restore_cluster", name, etag, request_id, timeout)

    def restore_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                        timeout: Optional[float] = None,
                        wait_timeout: Optional[float] = None) -> Cluster:
        op = self.start_restore_cluster(name, etag=etag, request_id=request_id, timeout=timeout)
        return self._finish(op._core, wait_timeout)

    def start_purge_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                            timeout: Optional[float] = None) -> Operation:
        return self._action("start_purge_cluster", name, etag, request_id, timeout)

    def purge_cluster(self, name: str, *, etag: str = "", request_id: str = "",
                      timeout: Optional[float] = None,
                      wait_timeout: Optional[float] = None) -> Cluster:
        """Removes a deleted cluster and its data now."""
        op = self.start_purge_cluster(name, etag=etag, request_id=request_id, timeout=timeout)
        return self._finish(op._core, wait_timeout)

    # -- API keys

    def create_api_key(self, parent: str, *, scope: str, role: str, api_key_id: str = "",
                       display_name: str = "", expire_time: Time = None,
                       request_id: str = "", timeout: Optional[float] = None) -> ApiKey:
        """Creates a key; the result's ``secret`` is shown once."""
        k = ApiKey(scope=scope, role=role, display_name=display_name,
                   expire_time=None if expire_time is None else
                   datetime.fromtimestamp(_time(expire_time), timezone.utc))
        r = _request("CreateApiKeyRequest", parent=parent, api_key_id=api_key_id,
                     api_key=_to_core(k), request_id=request_id)
        return _from_core(ApiKey, self._core.create_api_key(r, timeout=timeout))

    def get_api_key(self, name: str, *, timeout: Optional[float] = None) -> ApiKey:
        return _from_core(ApiKey, self._core.get_api_key(name, timeout=timeout))

    def list_api_keys(self, parent: str, *, filter: str = "", page_size: int = 0,
                      timeout: Optional[float] = None) -> Iterator[ApiKey]:
        return self._pages("list_api_keys", ApiKey,
                           self._list(parent, filter, page_size), timeout)

    def update_api_key(self, api_key: ApiKey, update_mask: Sequence[str], *,
                       timeout: Optional[float] = None) -> ApiKey:
        """update_mask: ``display_name``, ``enabled``, ``expire_time``."""
        return _from_core(ApiKey, self._core.update_api_key(
            _to_core(api_key), list(update_mask), timeout=timeout))

    def delete_api_key(self, name: str, *, etag: str = "", request_id: str = "",
                       timeout: Optional[float] = None) -> None:
        self._core.delete_api_key(self._delete(name, etag, request_id), timeout=timeout)

    # -- roles and bindings

    def create_role(self, parent: str, role_id: str, *, statements: Sequence[Statement],
                    level: RoleLevel = RoleLevel.PROJECT, display_name: str = "",
                    request_id: str = "", timeout: Optional[float] = None) -> Role:
        role = Role(display_name=display_name, level=level, statements=list(statements))
        r = _request("CreateRoleRequest", parent=parent, role_id=role_id,
                     role=_to_core(role), request_id=request_id)
        return _from_core(Role, self._core.create_role(r, timeout=timeout))

    def get_role(self, name: str, *, timeout: Optional[float] = None) -> Role:
        return _from_core(Role, self._core.get_role(name, timeout=timeout))

    def list_roles(self, parent: str, *, page_size: int = 0,
                   timeout: Optional[float] = None) -> Iterator[Role]:
        """The organization's custom roles and the built-in ones."""
        return self._pages("list_roles", Role, self._list(parent, page_size=page_size),
                           timeout)

    def update_role(self, role: Role, update_mask: Sequence[str], *,
                    timeout: Optional[float] = None) -> Role:
        return _from_core(Role, self._core.update_role(
            _to_core(role), list(update_mask), timeout=timeout))

    def delete_role(self, name: str, *, etag: str = "", request_id: str = "",
                    timeout: Optional[float] = None) -> None:
        self._core.delete_role(self._delete(name, etag, request_id), timeout=timeout)

    def create_role_binding(self, parent: str, *, role: str, principal: str, scope: str,
                            request_id: str = "",
                            timeout: Optional[float] = None) -> RoleBinding:
        b = RoleBinding(role=role, principal=principal, scope=scope)
        r = _request("CreateRoleBindingRequest", parent=parent, role_binding=_to_core(b),
                     request_id=request_id)
        return _from_core(RoleBinding, self._core.create_role_binding(r, timeout=timeout))

    def get_role_binding(self, name: str, *, timeout: Optional[float] = None) -> RoleBinding:
        return _from_core(RoleBinding, self._core.get_role_binding(name, timeout=timeout))

    def list_role_bindings(self, parent: str, *, filter: str = "", page_size: int = 0,
                           timeout: Optional[float] = None) -> Iterator[RoleBinding]:
        return self._pages("list_role_bindings", RoleBinding,
                           self._list(parent, filter, page_size), timeout)

    def delete_role_binding(self, name: str, *, etag: str = "", request_id: str = "",
                            timeout: Optional[float] = None) -> None:
        self._core.delete_role_binding(self._delete(name, etag, request_id), timeout=timeout)

    def test_permissions(self, resource: str, actions: Sequence[str], *,
                         timeout: Optional[float] = None) -> List[str]:
        """The subset of ``actions`` the caller may do on ``resource``."""
        r = _request("TestPermissionsRequest", resource=resource, actions=list(actions))
        return list(self._core.test_permissions(r, timeout=timeout))

    # -- audit

    def list_audit_events(self, parent: str, *, filter: str = "", start_time: Time = None,
                          end_time: Time = None, page_size: int = 0,
                          timeout: Optional[float] = None) -> Iterator[AuditEvent]:
        """Audit events on an organization and below, oldest first; filter
        ``actor=...``, ``action=...``, ``resource=...``, ``outcome=DENIED``,
        ``request_id=...``."""
        r = _request("ListAuditEventsRequest", parent=parent, filter=filter,
                     start_time=_time(start_time), end_time=_time(end_time),
                     page_size=page_size, page_token="")
        return self._pages("list_audit_events", AuditEvent, r, timeout)

    # -- operations

    # -- backups

    def start_create_backup(self, parent: str, *, backup_id: str = "",
                            collections: Sequence[str] = (), expire_time: Time = None,
                            request_id: str = "",
                            timeout: Optional[float] = None) -> Operation:
        """Starts a backup of the cluster ``parent`` (all collections, or
        ``collections`` as ``"name"`` / ``"db.name"``)."""
        r = _request("CreateBackupRequest", parent=parent, backup_id=backup_id,
                     collections=list(collections), expire_time=_time(expire_time),
                     request_id=request_id)
        return Operation(self._core.start_create_backup(r, timeout=timeout))

    def create_backup(self, parent: str, *, wait_timeout: Optional[float] = None,
                      **kwargs: Any) -> Backup:
        """Backs up and waits; returns the READY backup (raises its error)."""
        op = self.start_create_backup(parent, **kwargs)
        op.wait(wait_timeout)
        b = op.backup
        return b if b is not None else Backup(name=op.info.target)

    def get_backup(self, name: str, *, timeout: Optional[float] = None) -> Backup:
        return _from_core(Backup, self._core.get_backup(name, timeout=timeout))

    def list_backups(self, parent: str, *, filter: str = "", page_size: int = 0,
                     timeout: Optional[float] = None) -> Iterator[Backup]:
        """Backups of a cluster (or ``.../projects/{p}/clusters/-``); filter
        ``state=READY``, ``scheduled=true``."""
        return self._pages("list_backups", Backup,
                           self._list(parent, filter, page_size), timeout)

    def list_backups_page(self, parent: str, *, filter: str = "", page_size: int = 0,
                          page_token: str = "", timeout: Optional[float] = None) -> Page:
        return self._page("list_backups", Backup,
                          self._list(parent, filter, page_size, page_token), timeout)

    def start_delete_backup(self, name: str, *, etag: str = "", request_id: str = "",
                            timeout: Optional[float] = None) -> Operation:
        return Operation(self._core.start_delete_backup(
            self._delete(name, etag, request_id), timeout=timeout))

    def delete_backup(self, name: str, *, etag: str = "", request_id: str = "",
                      timeout: Optional[float] = None,
                      wait_timeout: Optional[float] = None) -> None:
        """Deletes the backup's files; waits."""
        self.start_delete_backup(name, etag=etag, request_id=request_id,
                                 timeout=timeout).wait(wait_timeout)

    def start_restore_backup(self, name: str, *, target_cluster: str = "",
                             parent: str = "", cluster_id: str = "",
                             environment: str = "", cu_size: int = 1,
                             cu_type: str = "performance", encryption_key: str = "",
                             collections: Sequence[str] = (), overwrite: bool = False,
                             request_id: str = "",
                             timeout: Optional[float] = None) -> Operation:
        """Restores into ``target_cluster`` (RUNNING), or into a new cluster
        ``{parent}/clusters/{cluster_id}`` in ``environment``."""
        cluster = Cluster()
        if cluster_id or parent:
            cluster = Cluster(environment=environment, cu_size=cu_size, cu_type=cu_type,
                              replicas=1, encryption_key=encryption_key)
        r = _request("RestoreBackupRequest", name=name, target_cluster=target_cluster,
                     parent=parent, cluster_id=cluster_id, cluster=_to_core(cluster),
                     collections=list(collections), overwrite=overwrite,
                     request_id=request_id)
        return Operation(self._core.start_restore_backup(r, timeout=timeout))

    def restore_backup(self, name: str, *, wait_timeout: Optional[float] = None,
                       **kwargs: Any) -> Cluster:
        """Restores and waits; returns the target cluster (a new one with its
        ``admin_password``, shown once). Raises ``DataLossError`` naming the file
        when the backup is corrupt."""
        op = self.start_restore_backup(name, **kwargs)
        return self._finish(op._core, wait_timeout)

    def set_backup_policy(self, name: str, *, enabled: bool = True, interval: float = 0.0,
                          retention_count: int = 0, retention: float = 0.0,
                          etag: str = "", timeout: Optional[float] = None) -> Cluster:
        """Scheduled backups every ``interval`` seconds, keeping the newest
        ``retention_count`` (0: any number) and none older than ``retention``
        seconds (0: any age)."""
        policy = BackupPolicy(enabled=enabled, interval=interval,
                              retention_count=retention_count, retention=retention)
        r = _request("SetBackupPolicyRequest", name=name, policy=_to_core(policy), etag=etag)
        return _from_core(Cluster, self._core.set_backup_policy(r, timeout=timeout))

    def get_operation(self, name: str, *, timeout: Optional[float] = None) -> Operation:
        return Operation(self._core.get_operation(name, timeout=timeout))

    def list_operations(self, parent: str, *, filter: str = "", page_size: int = 0,
                        timeout: Optional[float] = None) -> Iterator[OperationInfo]:
        """Operations below an organization; filter ``done=false``, ``verb=...``,
        ``target=...``."""
        return self._pages("list_operations", OperationInfo,
                           self._list(parent, filter, page_size), timeout)
