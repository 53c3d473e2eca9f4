"""Cove: a Milvus-compatible vector database client, embedded or remote.

Two ways in:

- :class:`cove.Client`: Pythonic, typed results holding numpy arrays::

      import cove, numpy as np
      with cove.Client(":memory:") as client:
          client.create_collection("docs", dimension=4)
          client.insert("docs", [{"id": 1, "vector": [0.1, 0.2, 0.3, 0.4]}])
          hits = client.search("docs", np.ones((1, 4), np.float32), limit=3)
          print(hits.ids[0], hits.distances[0])

- :class:`cove.MilvusClient`: pymilvus' MilvusClient surface, so that pymilvus
  code runs with the import line changed.

- :class:`cove.ControlClient`: the control plane (organizations, projects,
  environments, clusters, API keys, roles, audit events) of ``cove-cloud`` or
  another ``cove.control.v1`` server.

Errors are :class:`cove.Error` subclasses (``cove.NotFoundError`` is also a
``LookupError``, ...). ``cove._core`` is the C++ binding under both.
"""

from ._errors import (AbortedError, AlreadyExistsError, CancelledError,
                      DataLossError, DeadlineExceededError, Error,
                      FailedPreconditionError, InternalError,
                      InvalidArgumentError, MilvusException, NotFoundError,
                      OutOfRangeError, PermissionDeniedError,
                      ResourceExhaustedError, StatusCode, UnauthenticatedError,
                      UnavailableError, UnimplementedError, UnknownError,
                      error_class)
from .types import (AnnSearchRequest, CollectionSchema, DataType, FieldSchema,
                    Function, FunctionType, IndexParam, IndexParams, IndexType,
                    LoadState, MetricType, RRFRanker, WeightedRanker)
from .client import (AliasDescription, Client, CollectionDescription,
                     DatabaseDescription, Grant,
                     IndexDescription, MutationResult, QueryHits, RoleInfo,
                     SearchHit, SearchResult, UserInfo)
from .milvus_client import Hit, MilvusClient
from .control import (AcceptedInvitation, ApiKey, AuditEvent, AuditOutcome,
                      Autoscaling, AutoscalingSchedule, Backup, BackupPolicy,
                      BackupState, Cluster, ClusterMetrics, ClusterState,
                      ControlClient, Effect, RequestKindMetrics,
                      EmulatorSettings, Emulator, Environment, EnvironmentMode,
                      EnvironmentProblem, EnvironmentState,
                      EnvironmentValidation, Fault, FaultMode, Invitation,
                      InvitationState, Member, Operation, OperationInfo,
                      Organization, Page, Project, Role, RoleBinding, RoleLevel,
                      Statement, License, PriceTable, CostItem, CostEstimate,
                      SupportAccessGrant, SupportAccessState, SupportPrincipal)
from .control import (AlertComparison, AlertDelivery, AlertMetric, AlertRule,
                      AlertState, AlertWebhook, Release, MaintenanceWindow,
                      MaintenanceWindowInfo, ScheduledUpgrade)
from . import _core

#: The version of the package (and of the C++ library it embeds).
__version__: str = _core.__version__

__all__ = [
    # clients
    "Client", "MilvusClient", "ControlClient",
    # the control plane
    "Operation", "Emulator", "Page", "ClusterState", "EnvironmentMode",
    "EnvironmentState", "InvitationState", "Effect", "RoleLevel", "AuditOutcome",
    "FaultMode", "Organization", "Member", "Invitation", "AcceptedInvitation",
    "Project", "Environment", "EnvironmentProblem", "EnvironmentValidation",
    "Autoscaling", "AutoscalingSchedule", "ClusterMetrics", "RequestKindMetrics",
    "Cluster", "OperationInfo", "ApiKey", "Statement", "Role",
    "RoleBinding", "AuditEvent", "EmulatorSettings", "Fault", "Backup",
    "BackupPolicy", "BackupState", "License", "PriceTable", "CostItem",
    "CostEstimate", "SupportAccessGrant", "SupportAccessState", "SupportPrincipal",
    "AlertMetric", "AlertComparison", "AlertState", "AlertWebhook",
    "AlertDelivery", "AlertRule",
    "Release", "MaintenanceWindow", "MaintenanceWindowInfo",
    "ScheduledUpgrade",
    # schemas, indexes, enums
    "DataType", "MetricType", "IndexType", "LoadState", "FieldSchema",
    "CollectionSchema", "Function", "FunctionType", "IndexParam", "IndexParams",
    "AnnSearchRequest", "RRFRanker", "WeightedRanker",
    # results
    "SearchResult", "QueryHits", "SearchHit", "Hit", "MutationResult",
    "CollectionDescription", "IndexDescription", "AliasDescription",
    "DatabaseDescription", "UserInfo",
    "RoleInfo", "Grant",
    # errors
    "StatusCode", "Error", "MilvusException", "error_class", "CancelledError",
    "UnknownError", "InvalidArgumentError", "DeadlineExceededError", "NotFoundError",
    "AlreadyExistsError", "PermissionDeniedError", "ResourceExhaustedError",
    "FailedPreconditionError", "AbortedError", "OutOfRangeError", "UnimplementedError",
    "InternalError", "UnavailableError", "DataLossError", "UnauthenticatedError",
    "__version__",
]
