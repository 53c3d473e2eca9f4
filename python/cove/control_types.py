"""The control plane's result types: enums and dataclasses mirroring
``cove.control.v1``, with their conversions from and to ``cove._core``.

Re-exported by :mod:`cove.control` (``cove.control.Cluster`` and
``cove.Cluster`` are these classes). Secrets (``admin_password``, ``secret``,
``agent_token``, ``token``) are redacted from ``repr()``/``str()``; only an
explicit field access returns them.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Generic, List, Optional, TypeVar, Union

from . import _core
from ._errors import StatusCode

__all__ = [
    "Page", "SECRET_FIELDS",
    "ClusterState", "EnvironmentMode", "EnvironmentState", "InvitationState",
    "Effect", "RoleLevel", "AuditOutcome", "FaultMode",
    "Organization", "Member", "Invitation", "AcceptedInvitation", "Project",
    "Environment", "EnvironmentProblem", "EnvironmentValidation", "Autoscaling",
    "AutoscalingSchedule", "ClusterMetrics", "RequestKindMetrics",
    "Cluster", "OperationInfo", "ApiKey", "Statement", "Role", "RoleBinding",
    "AuditEvent", "EmulatorSettings", "Fault",
    "BackupState", "BackupPolicy", "Backup",
    "License", "PriceTable", "CostItem", "CostEstimate",
    "AlertMetric", "AlertComparison", "AlertState", "AlertWebhook",
    "AlertDelivery", "AlertRule",
    "SupportAccessState", "SupportPrincipal", "SupportAccessGrant",
    # versions and upgrades (issue 19)
    "Release", "MaintenanceWindow", "MaintenanceWindowInfo", "ScheduledUpgrade",
]

T = TypeVar("T")
Time = Union[datetime, float, None]


# ---- enums (the proto's value names) -------------------------------------------

class ClusterState(enum.IntEnum):
    """Lifecycle state of a cluster."""
    STATE_UNSPECIFIED = 0
    CREATING = 1
    RUNNING = 2
    MODIFYING = 3
    SUSPENDING = 4
    SUSPENDED = 5
    RESUMING = 6
    DELETING = 7
    DELETED = 8
    FAILED = 9
    #: Auto-idle: no data-plane request for ``idle_timeout``; the first
    #: request to its endpoint (or ``resume_cluster``) wakes it.
    IDLE = 10


class BackupState(enum.IntEnum):
    """Lifecycle state of a backup."""
    STATE_UNSPECIFIED = 0
    CREATING = 1
    READY = 2
    FAILED = 3
    DELETING = 4


class EnvironmentMode(enum.IntEnum):
    """How the control plane reaches the customer's account."""
    MODE_UNSPECIFIED = 0
    CROSS_ACCOUNT = 1
    AGENT = 2


class EnvironmentState(enum.IntEnum):
    """State of an environment."""
    STATE_UNSPECIFIED = 0
    AWAITING_AGENT = 1
    CONNECTED = 2
    PROVISIONING = 3
    READY = 4
    FAILED = 5
    DISCONNECTED = 6


class InvitationState(enum.IntEnum):
    """State of an invitation."""
    STATE_UNSPECIFIED = 0
    PENDING = 1
    ACCEPTED = 2
    EXPIRED = 3
    REVOKED = 4


class Effect(enum.IntEnum):
    """Effect of a role statement (DENY beats ALLOW)."""
    EFFECT_UNSPECIFIED = 0
    ALLOW = 1
    DENY = 2


class RoleLevel(enum.IntEnum):
    """Where a role applies."""
    LEVEL_UNSPECIFIED = 0
    ORGANIZATION = 1
    PROJECT = 2


class AuditOutcome(enum.IntEnum):
    """Outcome of an audited call."""
    OUTCOME_UNSPECIFIED = 0
    SUCCEEDED = 1
    FAILED = 2
    DENIED = 3


class FaultMode(enum.IntEnum):
    """How an injected emulator fault behaves."""
    MODE_UNSPECIFIED = 0
    FAIL = 1
    STALL = 2
    UNAVAILABLE = 3


class AlertMetric(enum.IntEnum):
    """What an alert rule watches (issue 19)."""
    METRIC_UNSPECIFIED = 0
    QPS = 1
    LATENCY_P99_MS = 2
    CU_USAGE = 3
    STORAGE_BYTES = 4
    ERROR_RATE = 5
    AGENT_DISCONNECTED = 6
    BACKUP_FAILED = 7


class AlertComparison(enum.IntEnum):
    """How an alert rule compares its metric with the threshold."""
    COMPARISON_UNSPECIFIED = 0
    GREATER_THAN = 1
    LESS_THAN = 2


class AlertState(enum.IntEnum):
    """INACTIVE -> PENDING -> FIRING (notified) -> RESOLVED (notified)."""
    STATE_UNSPECIFIED = 0
    INACTIVE = 1
    PENDING = 2
    FIRING = 3
    RESOLVED = 4


# ---- resources ---------------------------------------------------------------------

@dataclass
class Organization:
    """An organization; ``external_id`` is what cross-account environments present."""
    name: str = ""
    display_name: str = ""
    create_time: Optional[datetime] = None
    update_time: Optional[datetime] = None
    etag: str = ""
    external_id: str = ""


@dataclass
class Member:
    """A user of an organization with an organization-level role."""
    name: str = ""
    user: str = ""
    role: str = ""
    create_time: Optional[datetime] = None


@dataclass
class Invitation:
    """An invitation; ``token`` is set only in the result of create_invitation."""
    name: str = ""
    email: str = ""
    role: str = ""
    state: InvitationState = InvitationState.STATE_UNSPECIFIED
    create_time: Optional[datetime] = None
    expire_time: Optional[datetime] = None
    token: str = ""
    etag: str = ""


@dataclass
class License:
    """A project's BYOC license: caps the total CUs (cu_size x replicas) and
    replicas of its clusters (0: no limit). Set by the vendor
    (``Emulator.set_project_license``); ``used_*`` are what the clusters hold."""
    license_id: str = ""
    max_cus: int = 0
    max_replicas: int = 0
    update_time: Optional[datetime] = None
    used_cus: int = 0
    used_replicas: int = 0


@dataclass
class Project:
    """A project of an organization."""
    name: str = ""
    display_name: str = ""
    plan: str = ""
    region: str = ""
    create_time: Optional[datetime] = None
    update_time: Optional[datetime] = None
    etag: str = ""
    labels: Dict[str, str] = field(default_factory=dict)
    #: The project's license (read-only; None: no limit).
    license: Optional[License] = None


@dataclass
class Environment:
    """Where clusters run: a cloud account (cross-account) or a network (agent)."""
    name: str = ""
    mode: EnvironmentMode = EnvironmentMode.MODE_UNSPECIFIED
    state: EnvironmentState = EnvironmentState.STATE_UNSPECIFIED
    cloud_account_id: str = ""
    region: str = ""
    vpc_id: str = ""
    subnet_ids: List[str] = field(default_factory=list)
    bucket: str = ""
    role_arn: str = ""
    external_id: str = ""
    create_time: Optional[datetime] = None
    update_time: Optional[datetime] = None
    etag: str = ""
    state_message: str = ""
    agent_token: str = ""
    agent_token_expire_time: Optional[datetime] = None
    last_heartbeat_time: Optional[datetime] = None
    #: The address of the environment's own network that private endpoints
    #: of its clusters listen on (cross-account: given at creation or chosen
    #: by the control plane; agent mode: reported by the agent).
    private_network_address: str = ""


@dataclass
class EnvironmentProblem:
    """One problem found by validate_environment."""
    field: str = ""
    message: str = ""


@dataclass
class EnvironmentValidation:
    """The result of validate_environment."""
    valid: bool = False
    problems: List[EnvironmentProblem] = field(default_factory=list)


@dataclass
class AutoscalingSchedule:
    """While active (from each minute ``cron`` matches in ``time_zone``, for
    ``duration_minutes``; 0: 60) the autoscaler's minimum is at least
    ``min_cu_size``. ``cron`` is "minute hour day-of-month month day-of-week";
    ``time_zone`` an IANA name (empty: UTC)."""
    cron: str = ""
    time_zone: str = ""
    min_cu_size: int = 0
    duration_minutes: int = 0


@dataclass
class Autoscaling:
    """Automatic scaling of a cluster between two sizes, driven by the fill
    level: up at ``scale_up_fill_percent`` (0: 80), down after
    ``cool_down_seconds`` (0: 600) below ``scale_down_fill_percent`` (0: 50).
    With ``target_qps_per_replica`` > 0 the replicas follow the query load:
    up to ``ceil(QPS / target)`` (at most ``max_replicas``) when the QPS over
    the last 60 s per replica is above the target, down after the cool-down
    below half of it (at least ``min_replicas``)."""
    enabled: bool = False
    min_cu_size: int = 0
    max_cu_size: int = 0
    min_replicas: int = 0
    max_replicas: int = 0
    scale_up_fill_percent: int = 0
    scale_down_fill_percent: int = 0
    cool_down_seconds: int = 0
    schedules: List[AutoscalingSchedule] = field(default_factory=list)
    target_qps_per_replica: float = 0.0


@dataclass
class RequestKindMetrics:
    """Requests of one kind (search, query, insert, upsert, delete, other)."""
    kind: str = ""
    requests: int = 0
    errors: int = 0
    qps: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    latency_p99_ms: float = 0.0


@dataclass
class ClusterMetrics:
    """Usage of a cluster's data plane (``ControlClient.get_cluster_metrics``)."""
    cluster: str = ""
    time: Optional[datetime] = None
    serving: bool = False
    window_seconds: int = 0
    qps: float = 0.0
    requests: int = 0
    errors: int = 0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    latency_p99_ms: float = 0.0
    kinds: List[RequestKindMetrics] = field(default_factory=list)
    vector_count: int = 0
    storage_bytes: int = 0
    capacity_vectors: int = 0
    cu_usage: float = 0.0
    cu_size: int = 0
    replicas: int = 0
    metrics_endpoint: str = ""


@dataclass
class BackupPolicy:
    """Scheduled backups of a cluster (durations in seconds)."""
    enabled: bool = False
    interval: float = 0.0
    retention_count: int = 0
    retention: float = 0.0
    next_backup_time: Optional[datetime] = None


@dataclass
class MaintenanceWindow:
    """A weekly maintenance window: scheduled upgrades start only inside it."""
    day_of_week: str = ""   #: "MONDAY" .. "SUNDAY"
    start_time: str = ""    #: "HH:MM" in time_zone
    duration: float = 0.0   #: seconds, 30 minutes to 24 hours
    time_zone: str = ""     #: IANA ("Europe/Paris"); empty: UTC


@dataclass
class ScheduledUpgrade:
    """An upgrade waiting for a maintenance window."""
    version: str = ""
    operation: str = ""
    start_time: Optional[datetime] = None
    deferrals: int = 0


@dataclass
class Release:
    """A release of the data plane in the release catalog."""
    version: str = ""
    release_notes: str = ""
    upgrades_from: List[str] = field(default_factory=list)
    is_default: bool = False
    broken: bool = False


@dataclass
class MaintenanceWindowInfo:
    """The window in force for a cluster or a project."""
    window: Optional[MaintenanceWindow] = None
    source: str = ""  #: "cluster", "project" or ""
    next_start_time: Optional[datetime] = None


@dataclass
class Cluster:
    """A cluster; ``admin_password`` is set only in the result of its creation."""
    name: str = ""
    display_name: str = ""
    environment: str = ""
    state: ClusterState = ClusterState.STATE_UNSPECIFIED
    cu_type: str = ""
    cu_size: int = 0
    replicas: int = 0
    labels: Dict[str, str] = field(default_factory=dict)
    endpoint: str = ""
    create_time: Optional[datetime] = None
    update_time: Optional[datetime] = None
    delete_time: Optional[datetime] = None
    purge_time: Optional[datetime] = None
    etag: str = ""
    state_message: str = ""
    admin_user: str = ""
    admin_password: str = ""
    capacity_vectors: int = 0
    used_vectors: int = 0
    autoscaling: Autoscaling = field(default_factory=Autoscaling)
    metrics_endpoint: str = ""
    encryption_key: str = ""
    encryption_key_id: str = ""
    backup_policy: BackupPolicy = field(default_factory=BackupPolicy)
    #: Storage admitted and held (bytes of its data directory); writes past
    #: either capacity raise ResourceExhaustedError naming the limit.
    capacity_bytes: int = 0
    used_bytes: int = 0
    #: Auto-idle: seconds without a data-plane request before the cluster
    #: becomes IDLE (0: never; else 60 to 2592000).
    idle_timeout: float = 0.0
    #: When it last became IDLE.
    idle_time: Optional[datetime] = None
    #: CIDRs whose clients may call the data plane (empty: every address).
    ip_access_list: List[str] = field(default_factory=list)
    #: A second listener on the environment's private network address, and
    #: the public one off (needs the private one; ``endpoint`` is then "").
    private_endpoint_enabled: bool = False
    public_endpoint_disabled: bool = False
    #: "http://ADDRESS:PORT" while the private endpoint is enabled.
    private_endpoint: str = ""
    #: The release its data plane runs, and those it can be upgraded to.
    version: str = ""
    available_upgrades: List[str] = field(default_factory=list)
    #: Its own maintenance window (None: its project's, if any).
    maintenance_window: Optional["MaintenanceWindow"] = None
    #: An upgrade waiting for the maintenance window.
    scheduled_upgrade: Optional["ScheduledUpgrade"] = None


@dataclass
class Backup:
    """A backup of a cluster's collections in the environment's bucket."""
    name: str = ""
    cluster: str = ""
    state: BackupState = BackupState.STATE_UNSPECIFIED
    state_message: str = ""
    collections: List[str] = field(default_factory=list)
    size_bytes: int = 0
    row_count: int = 0
    create_time: Optional[datetime] = None
    expire_time: Optional[datetime] = None
    encrypted: bool = False
    encryption_key: str = ""
    location: str = ""
    scheduled: bool = False
    etag: str = ""
    environment: str = ""


@dataclass
class OperationInfo:
    """A long-running operation as the server reports it."""
    name: str = ""
    verb: str = ""
    target: str = ""
    done: bool = False
    error_code: StatusCode = StatusCode.OK
    error_message: str = ""
    progress_percent: int = 0
    create_time: Optional[datetime] = None
    end_time: Optional[datetime] = None
    request_id: str = ""
    cancel_requested: bool = False
    cluster: Optional[Cluster] = None
    environment: Optional[Environment] = None
    backup: Optional[Backup] = None


@dataclass
class ApiKey:
    """An API key; ``secret`` is set only in the result of create_api_key."""
    name: str = ""
    display_name: str = ""
    scope: str = ""
    role: str = ""
    enabled: bool = False
    create_time: Optional[datetime] = None
    expire_time: Optional[datetime] = None
    last_used_time: Optional[datetime] = None
    secret: str = ""
    etag: str = ""
    owner: str = ""


@dataclass
class Statement:
    """One statement of a custom role."""
    effect: Effect = Effect.ALLOW
    actions: List[str] = field(default_factory=list)
    resources: List[str] = field(default_factory=list)


@dataclass
class Role:
    """A built-in or custom role."""
    name: str = ""
    display_name: str = ""
    level: RoleLevel = RoleLevel.LEVEL_UNSPECIFIED
    built_in: bool = False
    statements: List[Statement] = field(default_factory=list)
    create_time: Optional[datetime] = None
    etag: str = ""


@dataclass
class RoleBinding:
    """A role given to a principal on a scope."""
    name: str = ""
    role: str = ""
    principal: str = ""
    scope: str = ""
    create_time: Optional[datetime] = None


@dataclass
class AuditEvent:
    """One audited call."""
    name: str = ""
    time: Optional[datetime] = None
    actor: str = ""
    action: str = ""
    resource: str = ""
    outcome: AuditOutcome = AuditOutcome.OUTCOME_UNSPECIFIED
    status_code: StatusCode = StatusCode.OK
    message: str = ""
    request_id: str = ""
    client_address: str = ""
    #: A call made with a support access grant: the grant's name.
    support_grant: str = ""


class SupportAccessState(enum.IntEnum):
    """State of a support access grant."""
    STATE_UNSPECIFIED = 0
    PENDING = 1
    ACTIVE = 2
    DENIED = 3
    EXPIRED = 4
    REVOKED = 5


@dataclass
class SupportPrincipal:
    """A vendor support principal (``Emulator.create_support_principal``);
    ``secret`` only in the creation's result."""
    name: str = ""
    display_name: str = ""
    create_time: Optional[datetime] = None
    secret: str = ""


@dataclass
class SupportAccessGrant:
    """Just-in-time access of a support principal to one cluster; durations
    in seconds. ``data_plane_password`` is set only for its requester while
    ACTIVE (``get_support_access``)."""
    name: str = ""
    cluster: str = ""
    requester: str = ""
    reason: str = ""
    duration: float = 0.0
    state: SupportAccessState = SupportAccessState.STATE_UNSPECIFIED
    create_time: Optional[datetime] = None
    approve_time: Optional[datetime] = None
    expire_time: Optional[datetime] = None
    end_time: Optional[datetime] = None
    decided_by: str = ""
    revoked_by: str = ""
    decision_reason: str = ""
    data_plane_user: str = ""
    data_plane_password: str = ""
    etag: str = ""


@dataclass
class AcceptedInvitation:
    """The result of accept_invitation: the member and its API key (with secret)."""
    member: Member = field(default_factory=Member)
    api_key: ApiKey = field(default_factory=ApiKey)


@dataclass
class AlertWebhook:
    """A webhook channel: JSON POSTs signed ``X-Cove-Signature: sha256=<hex
    HMAC-SHA256 of the body>`` when a secret is set; the secret is never
    returned (``secret_set``)."""
    url: str = ""
    secret: str = ""
    secret_set: bool = False


@dataclass
class AlertDelivery:
    """The last webhook delivery of a rule."""
    notification_id: str = ""
    event: str = ""
    attempts: int = 0
    http_status: int = 0
    error: str = ""
    delivered: bool = False
    gave_up: bool = False
    time: Optional[datetime] = None


@dataclass
class AlertRule:
    """An alert rule on one cluster's metric (issue 19); ``for_duration`` in
    whole seconds."""
    name: str = ""
    display_name: str = ""
    cluster: str = ""
    metric: AlertMetric = AlertMetric.METRIC_UNSPECIFIED
    comparison: AlertComparison = AlertComparison.GREATER_THAN
    threshold: float = 0.0
    for_duration: float = 0.0
    window_seconds: int = 0
    webhook: Optional[AlertWebhook] = None
    audit: bool = False
    labels: Dict[str, str] = field(default_factory=dict)
    state: AlertState = AlertState.STATE_UNSPECIFIED
    state_time: Optional[datetime] = None
    value: float = 0.0
    has_value: bool = False
    evaluate_time: Optional[datetime] = None
    silenced_until: Optional[datetime] = None
    last_delivery: Optional[AlertDelivery] = None
    create_time: Optional[datetime] = None
    update_time: Optional[datetime] = None
    etag: str = ""


@dataclass
class PriceTable:
    """The emulator's price list (``ControlClient.estimate_cost``)."""
    currency: str = ""
    #: One CU for one hour, by cu_type.
    cu_hour: Dict[str, float] = field(default_factory=dict)
    #: One GiB stored for a month.
    storage_gib_month: float = 0.0
    #: Multiplies every price in a region (a region not listed: 1).
    region_factor: Dict[str, float] = field(default_factory=dict)
    hours_per_month: float = 0.0


@dataclass
class CostItem:
    """One line of a :class:`CostEstimate`: ``compute`` or ``storage``."""
    item: str = ""
    quantity: float = 0.0
    unit: str = ""
    unit_price: float = 0.0
    per_hour: float = 0.0
    per_month: float = 0.0


@dataclass
class CostEstimate:
    """What a cluster spec costs, from the emulator's price table."""
    items: List[CostItem] = field(default_factory=list)
    per_hour: float = 0.0
    per_month: float = 0.0
    currency: str = ""
    hours_per_month: float = 0.0
    region: str = ""
    region_factor: float = 1.0
    cu_type: str = ""


@dataclass
class EmulatorSettings:
    """The emulator's knobs; durations in seconds."""
    transition_delay: float = 0.0
    retention: float = 0.0
    vectors_per_cu: Dict[str, int] = field(default_factory=dict)
    manual_clock: bool = False
    now: Optional[datetime] = None
    bytes_per_cu: Dict[str, int] = field(default_factory=dict)
    price_table: PriceTable = field(default_factory=PriceTable)
    #: The release catalog (issue 19), oldest first.
    releases: List["Release"] = field(default_factory=list)


@dataclass
class Fault:
    """An injected emulator fault."""
    verb: str = ""
    mode: FaultMode = FaultMode.MODE_UNSPECIFIED
    code: StatusCode = StatusCode.OK
    message: str = ""
    count: int = 0
    #: UpgradeCluster with FAIL only: the upgrade runs and this replica's
    #: health check (1-based) fails; the replicas upgraded before it are
    #: rolled back. 0: the operation fails before the data plane is touched.
    replica: int = 0


@dataclass
class Page(Generic[T]):
    """One page of a list: pass ``next_page_token`` back for the next one."""
    items: List[T] = field(default_factory=list)
    next_page_token: str = ""


# ---- secrets are never printed ------------------------------------------------------

#: Fields that hold a secret (shown once: a new cluster's root password, an API
#: key's secret, an agent token, an invitation token). ``repr()`` and ``str()``
#: of every result type print ``<redacted>`` in their place; only an explicit
#: field access (``cluster.admin_password``) returns them.
SECRET_FIELDS = frozenset({"admin_password", "secret", "agent_token", "token",
                           "data_plane_password"})
_REDACTED = "<redacted>"


def _redacting_repr(self: Any) -> str:
    parts = []
    for f in dataclasses.fields(self):
        if not f.repr:
            continue
        value = getattr(self, f.name)
        if f.name in SECRET_FIELDS and value:
            parts.append(f"{f.name}={_REDACTED}")
        else:
            parts.append(f"{f.name}={value!r}")
    return f"{type(self).__qualname__}({', '.join(parts)})"


# Every result type of this module (nested ones print through theirs).
for _cls in list(globals().values()):
    if isinstance(_cls, type) and dataclasses.is_dataclass(_cls) and \
            _cls.__module__ == __name__:
        _cls.__repr__ = _redacting_repr  # type: ignore[assignment]
del _cls


# ---- conversions between dataclasses and cove._core objects ------------------------

_CORE_NAMES = {EnvironmentProblem: "EnvironmentValidationProblem",
               OperationInfo: "Operation", AcceptedInvitation: "AcceptInvitationResult"}
_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls: type) -> Dict[str, Any]:
    h = _HINTS.get(cls)
    if h is None:
        h = _HINTS[cls] = typing.get_type_hints(cls)
    return h


def _unwrap_optional(tp: Any) -> Any:
    if typing.get_origin(tp) is Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0]
    return tp


def _in(tp: Any, v: Any) -> Any:
    tp = _unwrap_optional(tp)
    if v is None:
        return None
    if tp is datetime:
        return datetime.fromtimestamp(v, timezone.utc)
    if isinstance(tp, type) and issubclass(tp, enum.IntEnum):
        try:
            return tp(v)
        except ValueError:
            return v
    if dataclasses.is_dataclass(tp):
        return _from_core(tp, v)
    origin = typing.get_origin(tp)
    if origin is list:
        (arg,) = typing.get_args(tp)
        return [_in(arg, x) for x in v]
    if origin is dict:
        return dict(v)
    return v


def _from_core(cls: type, obj: Any) -> Any:
    hints = _hints(cls)
    return cls(**{f.name: _in(hints[f.name], getattr(obj, f.name))
                  for f in dataclasses.fields(cls)})


def _out(tp: Any, v: Any) -> Any:
    tp = _unwrap_optional(tp)
    if v is None:
        return None
    if tp is datetime:
        return v.timestamp() if isinstance(v, datetime) else float(v)
    if isinstance(tp, type) and issubclass(tp, enum.IntEnum):
        return int(v)
    if dataclasses.is_dataclass(tp):
        return _to_core(v)
    origin = typing.get_origin(tp)
    if origin is list:
        (arg,) = typing.get_args(tp)
        return [_out(arg, x) for x in v]
    if origin is dict:
        return dict(v)
    return v


def _to_core(obj: Any) -> Any:
    cls = type(obj)
    core = getattr(_core, _CORE_NAMES.get(cls, cls.__name__))()
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        setattr(core, f.name, _out(hints[f.name], getattr(obj, f.name)))
    return core


def _time(v: Time) -> Optional[float]:
    if v is None:
        return None
    return v.timestamp() if isinstance(v, datetime) else float(v)


def _request(core_name: str, **fields: Any) -> Any:
    r = getattr(_core, core_name)()
    for k, v in fields.items():
        setattr(r, k, v)
    return r
