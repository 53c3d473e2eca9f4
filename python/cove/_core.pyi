"""Type stubs of cove._core, the pybind11 binding of cove::Client (C++).

Names mirror the C++ API in snake_case. Use the `cove` package instead; this
layer may change.
"""

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__version__: str

def version() -> str: ...
def data_type_name(type: DataType) -> str: ...
def metric_type_name(metric: MetricType) -> str: ...
def index_type_name(type: IndexType) -> str: ...
def apply_environment(options: ClientOptions) -> ClientOptions: ...
def _float_matrix_source(data: Any) -> Tuple[int, int, int]: ...
def _roundtrip_value(value: Any) -> Any: ...
def _raise_status(code: int, message: str) -> None: ...

class DataType:
    NONE: DataType
    BOOL: DataType
    INT8: DataType
    INT16: DataType
    INT32: DataType
    INT64: DataType
    FLOAT: DataType
    DOUBLE: DataType
    VARCHAR: DataType
    ARRAY: DataType
    JSON: DataType
    FLOAT_VECTOR: DataType
    FLOAT16_VECTOR: DataType
    BFLOAT16_VECTOR: DataType
    BINARY_VECTOR: DataType
    SPARSE_FLOAT_VECTOR: DataType
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class MetricType:
    L2: MetricType
    IP: MetricType
    COSINE: MetricType
    BM25: MetricType
    HAMMING: MetricType
    JACCARD: MetricType
    SUBSTRUCTURE: MetricType
    SUPERSTRUCTURE: MetricType
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class IndexType:
    FLAT: IndexType
    IVF_FLAT: IndexType
    IVF_SQ8: IndexType
    HNSW: IndexType
    HNSW_SQ: IndexType
    AUTOINDEX: IndexType
    IVF_PQ: IndexType
    SCANN: IndexType
    SPARSE_INVERTED_INDEX: IndexType
    SPARSE_WAND: IndexType
    DISKANN: IndexType
    BIN_FLAT: IndexType
    BIN_IVF_FLAT: IndexType
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class LoadState:
    NOT_EXIST: LoadState
    NOT_LOADED: LoadState
    LOADING: LoadState
    LOADED: LoadState
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class EmbeddedOptions:
    class SyncPolicy:
        PER_BATCH: EmbeddedOptions.SyncPolicy
        NONE: EmbeddedOptions.SyncPolicy
        name: str
        value: int
    sync: EmbeddedOptions.SyncPolicy
    read_only: bool
    encryption_key: str
    encryption_key_file: str
    encryption_key_env: str
    index_threads: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class RemoteOptions:
    token: str
    user: str
    password: str
    db_name: str
    ca_cert_file: str
    client_cert_file: str
    client_key_file: str
    server_name: str
    dangerously_skip_tls_verification: bool
    timeout: float
    max_attempts: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class ClientOptions:
    embedded: EmbeddedOptions
    remote: RemoteOptions
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class CallOptions:
    timeout: Optional[float]
    db_name: str
    def __init__(self, timeout: Optional[float] = None, db_name: str = "") -> None: ...

class FieldSchema:
    name: str
    type: DataType
    description: str
    is_primary_key: bool
    auto_id: bool
    max_length: int
    dim: int
    element_type: DataType
    max_capacity: int
    nullable: bool
    default_value: Any
    enable_analyzer: bool
    analyzer_params: str
    enable_match: bool
    is_function_output: bool
    is_partition_key: bool
    is_clustering_key: bool
    properties: Dict[str, str]
    def __init__(self) -> None: ...

class ConsistencyLevel:
    STRONG: ConsistencyLevel
    SESSION: ConsistencyLevel
    BOUNDED: ConsistencyLevel
    EVENTUALLY: ConsistencyLevel
    CUSTOMIZED: ConsistencyLevel
    name: str
    value: int

class FunctionType:
    UNKNOWN: FunctionType
    BM25: FunctionType
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class FunctionSchema:
    name: str
    description: str
    type: FunctionType
    input_field_names: List[str]
    output_field_names: List[str]
    params: Dict[str, str]
    def __init__(self) -> None: ...

class CollectionSchema:
    fields: List[FieldSchema]
    functions: List[FunctionSchema]
    enable_dynamic_field: bool
    description: str
    consistency_level: ConsistencyLevel
    properties: Dict[str, str]
    num_partitions: int
    def __init__(self) -> None: ...
    def add_field(self, field: FieldSchema) -> CollectionSchema: ...
    def add_function(self, function: FunctionSchema) -> CollectionSchema: ...

class IndexSpec:
    field_name: str
    index_name: str
    index_type: IndexType
    metric_type: MetricType
    params: Dict[str, str]
    def __init__(self) -> None: ...

class QuickCollectionOptions:
    metric_type: MetricType
    primary_field_name: str
    vector_field_name: str
    id_type: DataType
    max_length: int
    auto_id: bool
    consistency_level: ConsistencyLevel
    properties: Dict[str, str]
    def __init__(self) -> None: ...

class CollectionDescription:
    name: str
    collection_id: int
    schema: CollectionSchema
    aliases: List[str]
    partitions: List[str]
    created_timestamp: int
    num_shards: int

class IndexDescription:
    index_name: str
    field_name: str
    index_type: IndexType
    metric_type: MetricType
    params: Dict[str, str]
    indexed_rows: int
    total_rows: int
    state: str
    properties: Dict[str, str]

class DatabaseDescription:
    name: str
    id: int
    created_timestamp: int
    properties: Dict[str, str]

class AliasDescription:
    alias: str
    collection: str
    db_name: str

class UserInfo:
    name: str
    roles: List[str]

class RoleInfo:
    name: str
    users: List[str]

class Grant:
    role: str
    object_type: str
    object_name: str
    privilege: str
    db_name: str
    grantor: str
    def __init__(self) -> None: ...

_Ids = Union[Sequence[Union[int, str]], np.ndarray, int, str, None]
_Mutation = Dict[str, Any]  # {"count": int, "ids": list}
_Hits = Tuple[Union[np.ndarray, List[str]], np.ndarray, List[Dict[str, Any]]]

class Client:
    @staticmethod
    def open(uri: str, options: ClientOptions = ...) -> Client: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def backend_name(self) -> str: ...
    def get_server_version(self, call: CallOptions = ...) -> str: ...
    def check_health(self, call: CallOptions = ...) -> None: ...
    def load_collection(self, name: str, load_fields: List[str] = ..., skip_load_dynamic_field: bool = ..., call: CallOptions = ...) -> None: ...
    def create_database(self, name: str, properties: Dict[str, str] = ..., call: CallOptions = ...) -> None: ...
    def describe_database(self, name: str, call: CallOptions = ...) -> DatabaseDescription: ...
    def alter_database_properties(self, name: str, set: Dict[str, str], remove: List[str], call: CallOptions = ...) -> None: ...
    def alter_collection_properties(self, name: str, set: Dict[str, str], remove: List[str], call: CallOptions = ...) -> None: ...
    def alter_collection_field(self, collection: str, field: str, set: Dict[str, str], call: CallOptions = ...) -> None: ...
    def alter_index_properties(self, collection: str, index: str, set: Dict[str, str], remove: List[str], call: CallOptions = ...) -> None: ...
    def drop_database(self, name: str, call: CallOptions = ...) -> None: ...
    def list_databases(self, call: CallOptions = ...) -> List[str]: ...
    def create_collection(self, name: str, dim_or_schema: Union[int, CollectionSchema], quick_or_indexes: Union[QuickCollectionOptions, List[IndexSpec]] = ..., call: CallOptions = ...) -> None: ...
    def drop_collection(self, name: str, call: CallOptions = ...) -> None: ...
    def has_collection(self, name: str, call: CallOptions = ...) -> bool: ...
    def list_collections(self, call: CallOptions = ...) -> List[str]: ...
    def describe_collection(self, name: str, call: CallOptions = ...) -> CollectionDescription: ...
    def rename_collection(self, old_name: str, new_name: str, call: CallOptions = ...) -> None: ...
    def get_collection_stats(self, name: str, call: CallOptions = ...) -> Dict[str, int]: ...
    def create_partition(self, collection: str, partition: str, call: CallOptions = ...) -> None: ...
    def drop_partition(self, collection: str, partition: str, call: CallOptions = ...) -> None: ...
    def has_partition(self, collection: str, partition: str, call: CallOptions = ...) -> bool: ...
    def list_partitions(self, collection: str, call: CallOptions = ...) -> List[str]: ...
    def create_alias(self, collection: str, alias: str, call: CallOptions = ...) -> None: ...
    def drop_alias(self, alias: str, call: CallOptions = ...) -> None: ...
    def alter_alias(self, collection: str, alias: str, call: CallOptions = ...) -> None: ...
    def describe_alias(self, alias: str, call: CallOptions = ...) -> AliasDescription: ...
    def list_aliases(self, collection: str, call: CallOptions = ...) -> List[str]: ...
    def release_collection(self, name: str, call: CallOptions = ...) -> None: ...
    def get_load_state(self, name: str, call: CallOptions = ...) -> LoadState: ...
    def create_index(self, collection: str, index: IndexSpec, call: CallOptions = ...) -> None: ...
    def describe_indexes(self, collection: str, call: CallOptions = ...) -> List[IndexDescription]: ...
    def drop_index(self, collection: str, index_name: str, call: CallOptions = ...) -> None: ...
    def insert(self, collection: str, rows: Optional[Sequence[Mapping[str, Any]]] = None, columns: Optional[Mapping[str, Any]] = None, partition_name: str = "", call: CallOptions = ...) -> _Mutation: ...
    def upsert(self, collection: str, rows: Optional[Sequence[Mapping[str, Any]]] = None, columns: Optional[Mapping[str, Any]] = None, partition_name: str = "", call: CallOptions = ...) -> _Mutation: ...
    def delete(self, collection: str, ids: _Ids = None, filter: str = "", filter_params: Optional[Mapping[str, Any]] = None, partition_name: str = "", call: CallOptions = ...) -> _Mutation: ...
    def search(self, collection: str, vectors: Any, limit: int = 10, filter: str = "", filter_params: Optional[Mapping[str, Any]] = None, output_fields: Optional[Sequence[str]] = None, anns_field: str = "", partition_names: Optional[Sequence[str]] = None, offset: int = 0, metric_type: Optional[MetricType] = None, params: Optional[Mapping[str, Any]] = None, group_by_field: str = "", group_size: int = 1, strict_group_size: bool = False, call: CallOptions = ...) -> List[_Hits]: ...
    def hybrid_search(self, collection: str, requests: List[Dict[str, Any]], ranker: str = "rrf", k: float = 60.0, weights: Sequence[float] = ..., norm_score: bool = True, limit: int = 10, offset: int = 0, output_fields: Optional[Sequence[str]] = None, partition_names: Optional[Sequence[str]] = None, call: CallOptions = ...) -> List[_Hits]: ...
    def query(self, collection: str, filter: str = "", filter_params: Optional[Mapping[str, Any]] = None, ids: _Ids = None, output_fields: Optional[Sequence[str]] = None, limit: int = 0, offset: int = 0, partition_names: Optional[Sequence[str]] = None, call: CallOptions = ...) -> List[Dict[str, Any]]: ...
    def get(self, collection: str, ids: _Ids, output_fields: Optional[Sequence[str]] = None, call: CallOptions = ...) -> List[Dict[str, Any]]: ...
    def flush(self, collection: str, call: CallOptions = ...) -> None: ...
    def create_user(self, user: str, password: str, call: CallOptions = ...) -> None: ...
    def update_password(self, user: str, old_password: str, new_password: str, call: CallOptions = ...) -> None: ...
    def drop_user(self, user: str, call: CallOptions = ...) -> None: ...
    def list_users(self, call: CallOptions = ...) -> List[str]: ...
    def describe_user(self, user: str, call: CallOptions = ...) -> UserInfo: ...
    def create_role(self, role: str, call: CallOptions = ...) -> None: ...
    def drop_role(self, role: str, call: CallOptions = ...) -> None: ...
    def list_roles(self, call: CallOptions = ...) -> List[RoleInfo]: ...
    def grant_role(self, user: str, role: str, call: CallOptions = ...) -> None: ...
    def revoke_role(self, user: str, role: str, call: CallOptions = ...) -> None: ...
    def grant_privilege(self, grant: Grant, call: CallOptions = ...) -> None: ...
    def revoke_privilege(self, grant: Grant, call: CallOptions = ...) -> None: ...
    def list_grants(self, role: str, call: CallOptions = ...) -> List[Grant]: ...

# ---- the control plane (cove/control.py is the Pythonic layer) ----

class ControlOptions:
    endpoint: str
    api_key: str
    ca_cert_file: str
    ca_cert_pem: str
    server_name: str
    dangerously_skip_tls_verification: bool
    timeout: float
    max_attempts: int
    initial_backoff: float
    max_backoff: float
    operation_timeout: float
    poll_interval: float
    log_rpcs: bool
    def __init__(self) -> None: ...

def apply_control_environment(options: ControlOptions) -> ControlOptions: ...

class Organization:
    name: Any
    display_name: Any
    create_time: Optional[float]
    update_time: Optional[float]
    etag: Any
    external_id: Any
    def __init__(self) -> None: ...

class Member:
    name: Any
    user: Any
    role: Any
    create_time: Optional[float]
    def __init__(self) -> None: ...

class Invitation:
    name: Any
    email: Any
    role: Any
    state: int
    create_time: Optional[float]
    expire_time: Optional[float]
    token: Any
    etag: Any
    def __init__(self) -> None: ...

class Project:
    name: Any
    display_name: Any
    plan: Any
    region: Any
    create_time: Optional[float]
    update_time: Optional[float]
    etag: Any
    labels: Any
    license: Optional[License]
    def __init__(self) -> None: ...

class MaintenanceWindow:
    day_of_week: Any
    start_time: Any
    duration: float
    time_zone: Any
    def __init__(self) -> None: ...

class ScheduledUpgrade:
    version: Any
    operation: Any
    start_time: Optional[float]
    deferrals: Any
    def __init__(self) -> None: ...

class Release:
    version: Any
    release_notes: Any
    upgrades_from: Any
    is_default: Any
    broken: Any
    def __init__(self) -> None: ...

class MaintenanceWindowInfo:
    window: Optional[MaintenanceWindow]
    source: Any
    next_start_time: Optional[float]
    def __init__(self) -> None: ...

class UpgradeClusterRequest:
    name: Any
    version: Any
    schedule: Any
    action: int
    etag: Any
    request_id: Any
    def __init__(self) -> None: ...

class License:
    license_id: Any
    max_cus: Any
    max_replicas: Any
    update_time: Optional[float]
    used_cus: Any
    used_replicas: Any
    def __init__(self) -> None: ...

class PriceTable:
    currency: Any
    cu_hour: Any
    storage_gib_month: float
    region_factor: Any
    hours_per_month: float
    def __init__(self) -> None: ...

class SetProjectLicenseRequest:
    project: Any
    license: Optional[License]
    def __init__(self) -> None: ...

class EstimateCostRequest:
    parent: Any
    cu_type: Any
    cu_size: Any
    replicas: Any
    storage_gib: Any
    region: Any
    def __init__(self) -> None: ...

class CostItem:
    item: Any
    quantity: float
    unit: Any
    unit_price: float
    per_hour: float
    per_month: float
    def __init__(self) -> None: ...

class CostEstimate:
    items: List[CostItem]
    per_hour: float
    per_month: float
    currency: Any
    hours_per_month: float
    region: Any
    region_factor: float
    cu_type: Any
    def __init__(self) -> None: ...

class Environment:
    name: Any
    mode: int
    state: int
    cloud_account_id: Any
    region: Any
    vpc_id: Any
    subnet_ids: Any
    bucket: Any
    role_arn: Any
    external_id: Any
    create_time: Optional[float]
    update_time: Optional[float]
    etag: Any
    state_message: Any
    agent_token: Any
    agent_token_expire_time: Optional[float]
    last_heartbeat_time: Optional[float]
    private_network_address: Any
    def __init__(self) -> None: ...

class EnvironmentValidationProblem:
    field: Any
    message: Any
    def __init__(self) -> None: ...

class EnvironmentValidation:
    valid: Any
    problems: Any
    def __init__(self) -> None: ...

class AutoscalingSchedule:
    cron: Any
    time_zone: Any
    min_cu_size: Any
    duration_minutes: Any
    def __init__(self) -> None: ...

class Autoscaling:
    enabled: Any
    min_cu_size: Any
    max_cu_size: Any
    min_replicas: Any
    max_replicas: Any
    scale_up_fill_percent: Any
    scale_down_fill_percent: Any
    cool_down_seconds: Any
    schedules: Any
    def __init__(self) -> None: ...

class RequestKindMetrics:
    kind: Any
    requests: Any
    errors: Any
    qps: Any
    latency_p50_ms: Any
    latency_p95_ms: Any
    latency_p99_ms: Any
    def __init__(self) -> None: ...

class ClusterMetrics:
    cluster: Any
    time: Optional[float]
    serving: Any
    window_seconds: Any
    qps: Any
    requests: Any
    errors: Any
    latency_p50_ms: Any
    latency_p95_ms: Any
    latency_p99_ms: Any
    kinds: Any
    vector_count: Any
    storage_bytes: Any
    capacity_vectors: Any
    cu_usage: Any
    cu_size: Any
    replicas: Any
    metrics_endpoint: Any
    def __init__(self) -> None: ...

class Cluster:
    name: Any
    display_name: Any
    environment: Any
    state: int
    cu_type: Any
    cu_size: Any
    replicas: Any
    labels: Any
    endpoint: Any
    create_time: Optional[float]
    update_time: Optional[float]
    delete_time: Optional[float]
    purge_time: Optional[float]
    etag: Any
    state_message: Any
    admin_user: Any
    admin_password: Any
    capacity_vectors: Any
    used_vectors: Any
    capacity_bytes: Any
    used_bytes: Any
    autoscaling: Any
    metrics_endpoint: Any
    encryption_key: Any
    encryption_key_id: Any
    backup_policy: Any
    version: Any
    available_upgrades: Any
    maintenance_window: Optional[MaintenanceWindow]
    scheduled_upgrade: Optional[ScheduledUpgrade]
    def __init__(self) -> None: ...

class BackupPolicy:
    enabled: Any
    interval: float
    retention_count: Any
    retention: float
    next_backup_time: Optional[float]
    def __init__(self) -> None: ...

class Backup:
    name: Any
    cluster: Any
    state: int
    state_message: Any
    collections: Any
    size_bytes: Any
    row_count: Any
    create_time: Optional[float]
    expire_time: Optional[float]
    encrypted: Any
    encryption_key: Any
    location: Any
    scheduled: Any
    etag: Any
    environment: Any
    def __init__(self) -> None: ...

class CreateBackupRequest:
    parent: Any
    backup_id: Any
    collections: Any
    expire_time: Optional[float]
    request_id: Any
    def __init__(self) -> None: ...

class RestoreBackupRequest:
    name: Any
    target_cluster: Any
    parent: Any
    cluster_id: Any
    cluster: Any
    collections: Any
    overwrite: Any
    request_id: Any
    def __init__(self) -> None: ...

class SetBackupPolicyRequest:
    name: Any
    policy: Any
    etag: Any
    def __init__(self) -> None: ...

class Operation:
    name: Any
    verb: Any
    target: Any
    done: Any
    error_code: int
    error_message: Any
    progress_percent: Any
    create_time: Optional[float]
    end_time: Optional[float]
    request_id: Any
    cancel_requested: Any
    cluster: Any
    environment: Any
    backup: Any
    def __init__(self) -> None: ...

class ApiKey:
    name: Any
    display_name: Any
    scope: Any
    role: Any
    enabled: Any
    create_time: Optional[float]
    expire_time: Optional[float]
    last_used_time: Optional[float]
    secret: Any
    etag: Any
    owner: Any
    def __init__(self) -> None: ...

class Statement:
    effect: int
    actions: Any
    resources: Any
    def __init__(self) -> None: ...

class Role:
    name: Any
    display_name: Any
    level: int
    built_in: Any
    statements: Any
    create_time: Optional[float]
    etag: Any
    def __init__(self) -> None: ...

class RoleBinding:
    name: Any
    role: Any
    principal: Any
    scope: Any
    create_time: Optional[float]
    def __init__(self) -> None: ...

class AuditEvent:
    name: Any
    time: Optional[float]
    actor: Any
    action: Any
    resource: Any
    outcome: int
    status_code: int
    message: Any
    request_id: Any
    client_address: Any
    support_grant: Any
    def __init__(self) -> None: ...

class SupportPrincipal:
    name: Any
    display_name: Any
    create_time: Optional[float]
    secret: Any
    def __init__(self) -> None: ...

class CreateSupportPrincipalRequest:
    support_principal_id: Any
    display_name: Any
    def __init__(self) -> None: ...

class SupportAccessGrant:
    name: Any
    cluster: Any
    requester: Any
    reason: Any
    duration: float
    state: int
    create_time: Optional[float]
    approve_time: Optional[float]
    expire_time: Optional[float]
    end_time: Optional[float]
    decided_by: Any
    revoked_by: Any
    decision_reason: Any
    data_plane_user: Any
    data_plane_password: Any
    etag: Any
    def __init__(self) -> None: ...

class RequestSupportAccessRequest:
    cluster: Any
    reason: Any
    duration: float
    request_id: Any
    def __init__(self) -> None: ...

class SupportAccessActionRequest:
    name: Any
    reason: Any
    etag: Any
    def __init__(self) -> None: ...

class ListRequest:
    parent: Any
    filter: Any
    page_size: Any
    page_token: Any
    def __init__(self) -> None: ...

class ListAuditEventsRequest:
    parent: Any
    filter: Any
    start_time: Optional[float]
    end_time: Optional[float]
    page_size: Any
    page_token: Any
    def __init__(self) -> None: ...

class DeleteRequest:
    name: Any
    etag: Any
    request_id: Any
    def __init__(self) -> None: ...

class CreateOrganizationRequest:
    organization_id: Any
    organization: Any
    request_id: Any
    owner_email: Any
    def __init__(self) -> None: ...

class CreateInvitationRequest:
    parent: Any
    invitation: Any
    request_id: Any
    def __init__(self) -> None: ...

class AcceptInvitationRequest:
    name: Any
    token: Any
    def __init__(self) -> None: ...

class AcceptInvitationResult:
    member: Any
    api_key: Any
    def __init__(self) -> None: ...

class CreateProjectRequest:
    parent: Any
    project_id: Any
    project: Any
    request_id: Any
    def __init__(self) -> None: ...

class CreateEnvironmentRequest:
    parent: Any
    environment_id: Any
    environment: Any
    request_id: Any
    def __init__(self) -> None: ...

class RotateAgentTokenRequest:
    name: Any
    etag: Any
    def __init__(self) -> None: ...

class CreateClusterRequest:
    parent: Any
    cluster_id: Any
    cluster: Any
    request_id: Any
    def __init__(self) -> None: ...

class ClusterActionRequest:
    name: Any
    etag: Any
    request_id: Any
    def __init__(self) -> None: ...

class ScaleClusterRequest:
    name: Any
    cu_size: Any
    replicas: Any
    etag: Any
    request_id: Any
    def __init__(self) -> None: ...

class CreateApiKeyRequest:
    parent: Any
    api_key_id: Any
    api_key: Any
    request_id: Any
    def __init__(self) -> None: ...

class CreateRoleRequest:
    parent: Any
    role_id: Any
    role: Any
    request_id: Any
    def __init__(self) -> None: ...

class CreateRoleBindingRequest:
    parent: Any
    role_binding: Any
    request_id: Any
    def __init__(self) -> None: ...

class TestPermissionsRequest:
    resource: Any
    actions: Any
    def __init__(self) -> None: ...

class EmulatorSettings:
    transition_delay: float
    retention: float
    vectors_per_cu: Any
    bytes_per_cu: Any
    manual_clock: Any
    now: Optional[float]
    price_table: PriceTable
    releases: Any
    def __init__(self) -> None: ...

class UpdateEmulatorSettingsRequest:
    transition_delay: Optional[float]
    retention: Optional[float]
    vectors_per_cu: Any
    bytes_per_cu: Any
    price_table: PriceTable
    releases: Any
    def __init__(self) -> None: ...

class SetClockRequest:
    time: Optional[float]
    real: Any
    def __init__(self) -> None: ...

class Fault:
    verb: Any
    mode: int
    code: int
    message: Any
    count: Any
    def __init__(self) -> None: ...

class ControlOperation:
    name: str
    done: bool
    operation: Operation
    def refresh(self, timeout: Optional[float] = None) -> None: ...
    def wait(self, timeout: Optional[float] = None) -> None: ...
    def cancel(self, timeout: Optional[float] = None) -> None: ...

class EmulatorClient:
    def get_settings(self, timeout: Optional[float] = None) -> EmulatorSettings: ...
    def update_settings(self, request: UpdateEmulatorSettingsRequest, timeout: Optional[float] = None) -> EmulatorSettings: ...
    def set_clock(self, request: SetClockRequest, timeout: Optional[float] = None) -> EmulatorSettings: ...
    def advance_clock(self, by: float, timeout: Optional[float] = None) -> EmulatorSettings: ...
    def inject_fault(self, fault: Fault, timeout: Optional[float] = None) -> Fault: ...
    def list_faults(self, timeout: Optional[float] = None) -> List[Fault]: ...
    def clear_faults(self, verb: str = "", timeout: Optional[float] = None) -> None: ...
    def set_project_license(self, request: SetProjectLicenseRequest, timeout: Optional[float] = None) -> Project: ...
    def create_support_principal(self, request: CreateSupportPrincipalRequest, timeout: Optional[float] = None) -> SupportPrincipal: ...

class ControlClient:
    def __init__(self, options: ControlOptions) -> None: ...
    def emulator(self) -> EmulatorClient: ...
    @staticmethod
    def new_request_id() -> str: ...
    def create_organization(self, request: CreateOrganizationRequest, timeout: Optional[float] = None) -> Any: ...
    def get_organization(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def list_organizations(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def update_organization(self, resource: Organization, update_mask: List[str], timeout: Optional[float] = None) -> Any: ...
    def delete_organization(self, request: DeleteRequest, timeout: Optional[float] = None) -> None: ...
    def list_members(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def get_member(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def update_member(self, resource: Member, update_mask: List[str], timeout: Optional[float] = None) -> Any: ...
    def delete_member(self, request: DeleteRequest, timeout: Optional[float] = None) -> None: ...
    def create_invitation(self, request: CreateInvitationRequest, timeout: Optional[float] = None) -> Any: ...
    def get_invitation(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def list_invitations(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def revoke_invitation(self, request: DeleteRequest, timeout: Optional[float] = None) -> Any: ...
    def accept_invitation(self, request: AcceptInvitationRequest, timeout: Optional[float] = None) -> Any: ...
    def create_project(self, request: CreateProjectRequest, timeout: Optional[float] = None) -> Any: ...
    def get_project(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def list_projects(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def update_project(self, resource: Project, update_mask: List[str], timeout: Optional[float] = None) -> Any: ...
    def delete_project(self, request: DeleteRequest, timeout: Optional[float] = None) -> None: ...
    def create_environment(self, request: CreateEnvironmentRequest, timeout: Optional[float] = None) -> Any: ...
    def get_environment(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def list_environments(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def delete_environment(self, request: DeleteRequest, timeout: Optional[float] = None) -> None: ...
    def validate_environment(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def rotate_agent_token(self, request: RotateAgentTokenRequest, timeout: Optional[float] = None) -> Any: ...
    def start_create_cluster(self, request: CreateClusterRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def get_cluster(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def list_clusters(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def update_cluster(self, resource: Cluster, update_mask: List[str], timeout: Optional[float] = None) -> Any: ...
    def start_suspend_cluster(self, request: ClusterActionRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def start_resume_cluster(self, request: ClusterActionRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def start_reset_cluster_password(self, request: ClusterActionRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def start_scale_cluster(self, request: ScaleClusterRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def start_delete_cluster(self, request: ClusterActionRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def start_restore_cluster(self, request: ClusterActionRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def start_purge_cluster(self, request: ClusterActionRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def create_api_key(self, request: CreateApiKeyRequest, timeout: Optional[float] = None) -> Any: ...
    def get_api_key(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def list_api_keys(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def update_api_key(self, resource: ApiKey, update_mask: List[str], timeout: Optional[float] = None) -> Any: ...
    def delete_api_key(self, request: DeleteRequest, timeout: Optional[float] = None) -> None: ...
    def create_role(self, request: CreateRoleRequest, timeout: Optional[float] = None) -> Any: ...
    def get_role(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def list_roles(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def update_role(self, resource: Role, update_mask: List[str], timeout: Optional[float] = None) -> Any: ...
    def delete_role(self, request: DeleteRequest, timeout: Optional[float] = None) -> None: ...
    def create_role_binding(self, request: CreateRoleBindingRequest, timeout: Optional[float] = None) -> Any: ...
    def get_role_binding(self, name: str, timeout: Optional[float] = None) -> Any: ...
    def list_role_bindings(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def delete_role_binding(self, request: DeleteRequest, timeout: Optional[float] = None) -> None: ...
    def test_permissions(self, request: TestPermissionsRequest, timeout: Optional[float] = None) -> Any: ...
    def list_audit_events(self, request: ListAuditEventsRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def get_operation(self, name: str, timeout: Optional[float] = None) -> ControlOperation: ...
    def list_operations(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def start_create_backup(self, request: CreateBackupRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def get_backup(self, name: str, timeout: Optional[float] = None) -> Backup: ...
    def list_backups(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[Any], str]: ...
    def start_delete_backup(self, request: DeleteRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def start_restore_backup(self, request: RestoreBackupRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def set_backup_policy(self, request: SetBackupPolicyRequest, timeout: Optional[float] = None) -> Cluster: ...
    def estimate_cost(self, request: EstimateCostRequest, timeout: Optional[float] = None) -> CostEstimate: ...
    def create_alert_rule(self, request: CreateAlertRuleRequest, timeout: Optional[float] = None) -> AlertRule: ...
    def get_alert_rule(self, name: str, timeout: Optional[float] = None) -> AlertRule: ...
    def list_alert_rules(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[AlertRule], str]: ...
    def delete_alert_rule(self, request: DeleteRequest, timeout: Optional[float] = None) -> None: ...
    def test_alert_rule(self, name: str, timeout: Optional[float] = None) -> TestAlertRuleResult: ...
    def silence_alert_rule(self, request: SilenceAlertRuleRequest, timeout: Optional[float] = None) -> AlertRule: ...
    def update_alert_rule(self, resource: AlertRule, update_mask: List[str], timeout: Optional[float] = None) -> AlertRule: ...

class AlertWebhook:
    url: Any
    secret: Any
    secret_set: Any
    def __init__(self) -> None: ...

class AlertDelivery:
    notification_id: Any
    event: Any
    attempts: Any
    http_status: Any
    error: Any
    delivered: Any
    gave_up: Any
    time: Optional[float]
    def __init__(self) -> None: ...

class AlertRule:
    name: Any
    display_name: Any
    cluster: Any
    metric: int
    comparison: int
    threshold: float
    for_duration: float
    window_seconds: Any
    webhook: Optional[AlertWebhook]
    audit: Any
    labels: Any
    state: int
    state_time: Optional[float]
    value: float
    has_value: Any
    evaluate_time: Optional[float]
    silenced_until: Optional[float]
    last_delivery: Optional[AlertDelivery]
    create_time: Optional[float]
    update_time: Optional[float]
    etag: Any
    def __init__(self) -> None: ...

class CreateAlertRuleRequest:
    parent: Any
    alert_rule_id: Any
    alert_rule: AlertRule
    request_id: Any
    def __init__(self) -> None: ...

class TestAlertRuleResult:
    notification_id: Any
    channels: List[str]
    def __init__(self) -> None: ...

class SilenceAlertRuleRequest:
    name: Any
    until: Optional[float]
    etag: Any
    def __init__(self) -> None: ...
    def request_support_access(self, request: RequestSupportAccessRequest, timeout: Optional[float] = None) -> SupportAccessGrant: ...
    def get_support_access(self, name: str, timeout: Optional[float] = None) -> SupportAccessGrant: ...
    def list_support_access(self, request: ListRequest, timeout: Optional[float] = None) -> Tuple[List[SupportAccessGrant], str]: ...
    def approve_support_access(self, request: SupportAccessActionRequest, timeout: Optional[float] = None) -> SupportAccessGrant: ...
    def deny_support_access(self, request: SupportAccessActionRequest, timeout: Optional[float] = None) -> SupportAccessGrant: ...
    def revoke_support_access(self, request: SupportAccessActionRequest, timeout: Optional[float] = None) -> SupportAccessGrant: ...
    def list_releases(self, cluster: str, timeout: Optional[float] = None) -> List[Release]: ...
    def start_upgrade_cluster(self, request: UpgradeClusterRequest, timeout: Optional[float] = None) -> ControlOperation: ...
    def set_maintenance_window(self, name: str, window: Optional[MaintenanceWindow], timeout: Optional[float] = None) -> MaintenanceWindowInfo: ...
    def get_maintenance_window(self, name: str, timeout: Optional[float] = None) -> MaintenanceWindowInfo: ...
