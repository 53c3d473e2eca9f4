"""cove.Client: the Pythonic client (typed results holding numpy arrays).

One class for every backend; the URI picks it, as in pymilvus:

- a filesystem path (a data directory) or ``":memory:"``: the embedded engine,
  in-process;
- ``"http://host:port"`` or ``"https://host:port"``: a Milvus-compatible server
  (Milvus v2 gRPC).

Every call releases the GIL while it runs; one client may be shared by many
threads. Errors are :class:`cove.Error` subclasses.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

from ._errors import DeadlineExceededError, InvalidArgumentError
from ._progress import Progress, progress_enabled
from .types import (CollectionSchema, DataType, IndexesLike, IndexType,
                    LoadState, MetricType, index_list, index_to_core,
                    schema_from_core, schema_to_core, to_data_type, to_metric)

try:
    from . import _core
except ImportError as e:  # pragma: no cover - a broken installation
    raise ImportError(
        "cove: the extension module cove._core is missing or does not load "
        f"({e}); install the package with "
        "'pip install --no-build-isolation ./python' (see docs/python.md)") from e

__all__ = [
    "Client",
    "SearchResult",
    "QueryHits",
    "SearchHit",
    "MutationResult",
    "CollectionDescription",
    "DatabaseDescription",
    "IndexDescription",
    "AliasDescription",
    "UserInfo",
    "RoleInfo",
    "Grant",
]

VectorsLike = Union[np.ndarray, Sequence[float], Sequence[Sequence[float]]]
IdsLike = Union[int, str, Sequence[Union[int, str]], np.ndarray]
RowsLike = Union[Mapping[str, Any], Sequence[Mapping[str, Any]], Mapping[str, Sequence[Any]]]

#: Rows per insert call in bulk inserts (each batch is one request).
DEFAULT_BATCH_SIZE = 10_000


# --- results -----------------------------------------------------------------

def _ids_array(ids: List[Any]) -> Union[np.ndarray, List[Any]]:
    """int64 numpy array for integer keys, else the list (VARCHAR keys)."""
    if all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        return np.asarray(ids, dtype=np.int64)
    return list(ids)


_CONSISTENCY_NAMES = ("STRONG", "SESSION", "BOUNDED", "EVENTUALLY", "CUSTOMIZED")


def _consistency(level: Union[str, int, None]) -> Any:
    """A consistency level as pymilvus takes it: a name ("Bounded") or
    Milvus' number (0 to 4); None: the default."""
    if level is None:
        return None
    if isinstance(level, bool):
        raise InvalidArgumentError(f"consistency_level: expected a name or 0 to 4 (got {level!r})")
    if isinstance(level, int):
        if not 0 <= level < len(_CONSISTENCY_NAMES):
            raise InvalidArgumentError(f"consistency_level: expected 0 to 4 (got {level})")
        return getattr(_core.ConsistencyLevel, _CONSISTENCY_NAMES[level])
    if isinstance(level, str) and level.upper() in _CONSISTENCY_NAMES:
        return getattr(_core.ConsistencyLevel, level.upper())
    raise InvalidArgumentError(
        "consistency_level: expected Strong, Session, Bounded, Eventually or Customized "
        f"(got {level!r})")


def _properties(props: Optional[Mapping[str, Any]], what: str) -> Dict[str, str]:
    """Properties as Milvus sends them: string keys, values as text (pymilvus
    sends str(value): True becomes "True")."""
    if props is None:
        return {}
    if not isinstance(props, Mapping):
        raise InvalidArgumentError(f"{what}: expected a dict (got {type(props).__name__})")
    return {str(k): str(v) for k, v in props.items()}


@dataclass
class MutationResult:
    """Result of insert, upsert and delete.

    Attributes:
        count: rows inserted, upserted or deleted.
        ids: primary keys of the affected rows in input order (insert and
            upsert): an int64 numpy array for INT64 keys, a list of str for
            VARCHAR keys.
    """

    count: int
    ids: Union[np.ndarray, List[Any]]

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "MutationResult":
        return cls(int(d["count"]), _ids_array(d["ids"]))


@dataclass
class SearchHit:
    """One hit: the primary key, the distance and the output fields."""

    id: Any
    distance: float
    entity: Dict[str, Any]


@dataclass
class QueryHits:
    """Hits of one query vector, closest first.

    Attributes:
        ids: primary keys (int64 numpy array; a list of str for VARCHAR keys).
        distances: float32 numpy array: squared L2, inner product or cosine
            similarity, as Milvus reports them.
        entities: the output fields of each hit (dicts).
    """

    ids: Union[np.ndarray, List[str]]
    distances: np.ndarray
    entities: List[Dict[str, Any]]

    def __len__(self) -> int:
        return len(self.distances)

    def __iter__(self) -> Iterator[SearchHit]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, i: int) -> SearchHit:
        key = self.ids[i]
        return SearchHit(key.item() if isinstance(key, np.generic) else key,
                         float(self.distances[i]), self.entities[i])


@dataclass
class SearchResult:
    """Results of a search: one :class:`QueryHits` per query vector.

    ``result.ids[q]`` and ``result.distances[q]`` are the numpy arrays of query
    ``q``; ``result[q]`` is its :class:`QueryHits`; iterating yields them.
    """

    queries: List[QueryHits] = field(default_factory=list)

    @property
    def ids(self) -> List[Union[np.ndarray, List[str]]]:
        """Primary keys per query."""
        return [q.ids for q in self.queries]

    @property
    def distances(self) -> List[np.ndarray]:
        """float32 distances per query."""
        return [q.distances for q in self.queries]

    @property
    def entities(self) -> List[List[Dict[str, Any]]]:
        """Output fields per query and hit."""
        return [q.entities for q in self.queries]

    def __len__(self) -> int:
        return len(self.queries)

    def __iter__(self) -> Iterator[QueryHits]:
        return iter(self.queries)

    def __getitem__(self, q: int) -> QueryHits:
        return self.queries[q]


@dataclass
class CollectionDescription:
    """What :meth:`Client.describe_collection` returns."""

    name: str
    collection_id: int
    schema: CollectionSchema
    aliases: List[str]
    partitions: List[str]
    created_timestamp: int
    num_shards: int


@dataclass
class IndexDescription:
    """An index as created, with its build progress."""

    index_name: str
    field_name: str
    index_type: IndexType
    metric_type: MetricType
    params: Dict[str, str]
    indexed_rows: int
    total_rows: int
    state: str
    properties: Dict[str, str] = field(default_factory=dict)


@dataclass
class DatabaseDescription:
    """A database: stable id, creation time (Unix ms) and properties."""

    name: str
    id: int
    created_timestamp: int
    properties: Dict[str, str]


@dataclass
class AliasDescription:
    """An alias and the collection it names."""

    alias: str
    collection: str
    db_name: str


@dataclass
class UserInfo:
    """A user and its roles."""

    name: str
    roles: List[str]


@dataclass
class RoleInfo:
    """A role and the users that hold it."""

    name: str
    users: List[str]


@dataclass
class Grant:
    """A privilege granted to a role on an object (Milvus RBAC).

    object_type is "Global", "Collection" or "User"; object_name a name or "*".
    """

    role: str
    object_type: str
    object_name: str
    privilege: str
    db_name: str = ""
    grantor: str = ""

    def _to_core(self) -> Any:
        g = _core.Grant()
        g.role, g.object_type, g.object_name = self.role, self.object_type, self.object_name
        g.privilege, g.db_name, g.grantor = self.privilege, self.db_name, self.grantor
        return g

    @classmethod
    def _from_core(cls, g: Any) -> "Grant":
        return cls(g.role, g.object_type, g.object_name, g.privilege, g.db_name, g.grantor)


# --- helpers -------------------------------------------------------------------

@contextlib.contextmanager
def _pem_file(pem: str) -> Iterator[str]:
    """A private temporary file holding ``pem`` ("" when there is none)."""
    if not pem:
        yield ""
        return
    fd, path = tempfile.mkstemp(prefix="cove-ca-", suffix=".pem")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(pem)
        yield path
    finally:
        os.unlink(path)


def _client_options(uri: str, token: str, user: str, password: str, db_name: str,
                    timeout: Optional[float], encryption_key: Union[str, bytes, None],
                    encryption_key_file: Optional[str], read_only: bool, sync: str,
                    index_threads: int, ca_cert_file: str, client_cert_file: str,
                    client_key_file: str, server_name: str,
                    dangerously_skip_tls_verification: bool = False) -> Any:
    options = _core.ClientOptions()
    emb = options.embedded
    if encryption_key is not None:
        emb.encryption_key = (encryption_key.decode("latin-1")
                              if isinstance(encryption_key, bytes) else encryption_key)
    if encryption_key_file:
        emb.encryption_key_file = str(encryption_key_file)
    emb.read_only = bool(read_only)
    sync_name = str(sync).strip().upper()
    if sync_name not in ("PER_BATCH", "NONE"):
        raise InvalidArgumentError(f"sync: expected 'per_batch' or 'none' (got '{sync}')")
    emb.sync = getattr(_core.EmbeddedOptions.SyncPolicy, sync_name)
    emb.index_threads = int(index_threads)
    options.embedded = emb
    rem = options.remote
    rem.token, rem.user, rem.password, rem.db_name = token, user, password, db_name
    rem.ca_cert_file, rem.client_cert_file = ca_cert_file, client_cert_file
    rem.client_key_file, rem.server_name = client_key_file, server_name
    rem.dangerously_skip_tls_verification = bool(dangerously_skip_tls_verification)
    if timeout is not None:
        rem.timeout = float(timeout)
    options.remote = rem
    return options


def _num_rows(data: Any) -> int:
    if isinstance(data, Mapping):
        if not data:
            return 0
        first = next(iter(data.values()))
        return len(first)
    return len(data)


def _is_columns(data: Any) -> bool:
    """True for a dict of columns, False for a single row.

    Columns: every value is a sequence (list, tuple or numpy array with at least
    one dimension) of the same length, and at least one is a matrix (a 2-D
    numpy array, or a list of lists/arrays/dicts). A dict such as
    ``{"id": 1, "vector": [...]}`` is a row.
    """
    if not isinstance(data, Mapping) or not data:
        return False
    lengths = set()
    matrix = False
    for v in data.values():
        if isinstance(v, np.ndarray):
            if v.ndim == 0:
                return False
            matrix = matrix or v.ndim == 2
        elif isinstance(v, (list, tuple)):
            matrix = matrix or (len(v) > 0 and isinstance(v[0], (list, tuple, dict, np.ndarray)))
        else:
            return False
        lengths.add(len(v))
    if matrix and len(lengths) > 1:
        # Columns of different lengths: say so, rather than reading the dict
        # as one row and failing on a value's type.
        sizes = ", ".join(f"'{k}': {len(v)}" for k, v in data.items())
        raise InvalidArgumentError(
            f"insert columns: the columns differ in length (expected one length, got {sizes})")
    return matrix and len(lengths) == 1


def _slice_columns(data: Mapping[str, Any], start: int, stop: int) -> Dict[str, Any]:
    # Slicing a C-contiguous numpy array along its first axis gives a
    # C-contiguous view: no copy before the one into the request.
    return {k: v[start:stop] for k, v in data.items()}


def _close_quietly(it: Any) -> None:
    # Releases the iterator's snapshot now rather than when garbage collected;
    # an already expired snapshot is no error here.
    try:
        it.close()
    except Exception:  # noqa: BLE001
        pass


def _query_pages(it: Any) -> Iterator[List[Dict[str, Any]]]:
    try:
        while True:
            page = it.next()
            if page:
                yield page
            if not page or it.done:
                return
    finally:
        _close_quietly(it)


def _search_pages(it: Any) -> Iterator[QueryHits]:
    try:
        while True:
            ids, distances, entities = it.next()
            if len(distances):
                yield QueryHits(ids, distances, entities)
            if not len(distances) or it.done:
                return
    finally:
        _close_quietly(it)


# --- the client ------------------------------------------------------------------

class Client:
    """A Cove data-plane client.

    Args:
        uri: a data directory or ``":memory:"`` (embedded engine), or
            ``"http(s)://host:port"`` (a Milvus-compatible server).
        token: remote: ``"user:password"`` or an API key.
        user, password: remote credentials (token wins).
        db_name: the database of every call (empty: "default").
        timeout: remote: the default deadline of each call, in seconds.
        encryption_key: embedded: a 32-byte AES-256-GCM key (raw or hex) to
            encrypt the data directory at rest.
        encryption_key_file: embedded: read the key from this file.
        read_only: embedded: open the data directory read-only.
        sync: embedded: ``"per_batch"`` (fsync each write call, the default)
            or ``"none"``.
        index_threads: embedded: background index-building threads (0: all cores).
        ca_cert_file / ca_cert_pem: remote: CA certificates to trust (a PEM
            file or PEM text; either turns TLS on), as for
            :class:`cove.ControlClient`.
        client_cert_file, client_key_file, server_name: remote TLS (mutual
            TLS; the name checked in the server certificate).
        dangerously_skip_tls_verification: remote: encrypt but accept any
            server certificate (open to a man in the middle; test servers
            only; a warning is printed). Certificates are verified otherwise.

    Use as a context manager, or call :meth:`close`, to release an embedded
    data directory (it is locked while open)::

        with cove.Client(":memory:") as client:
            client.create_collection("docs", dimension=4)
    """

    def __init__(self, uri: str = ":memory:", *, token: str = "", user: str = "",
                 password: str = "", db_name: str = "", timeout: Optional[float] = None,
                 encryption_key: Union[str, bytes, None] = None,
                 encryption_key_file: Optional[str] = None, read_only: bool = False,
                 sync: str = "per_batch", index_threads: int = 0, ca_cert_file: str = "",
                 client_cert_file: str = "", client_key_file: str = "",
                 server_name: str = "",
                 dangerously_skip_tls_verification: bool = False,
                 ca_cert_pem: str = "") -> None:
        self._uri = str(uri)
        self._db_name = db_name
        self._timeout = timeout
        if ca_cert_file and ca_cert_pem:
            raise InvalidArgumentError(
                "ca_cert_file / ca_cert_pem: expected one of them (got both)")
        with _pem_file(ca_cert_pem) as pem_path:
            options = _client_options(self._uri, token, user, password, db_name, timeout,
                                      encryption_key, encryption_key_file, read_only, sync,
                                      index_threads, str(ca_cert_file or pem_path),
                                      client_cert_file, client_key_file, server_name,
                                      dangerously_skip_tls_verification)
            # The remote backend reads the CA when it connects, here.
            self._core = _core.Client.open(self._uri, options)

    # -- lifecycle ------------------------------------------------------------------

    @property
    def uri(self) -> str:
        """The URI the client was opened with."""
        return self._uri

    @property
    def backend(self) -> str:
        """``"embedded"`` or ``"remote"``."""
        return self._core.backend_name

    @property
    def db_name(self) -> str:
        """The database of calls that do not name one ("" means "default")."""
        return self._db_name

    def close(self) -> None:
        """Closes the client (idempotent); an embedded data directory is released."""
        self._core.close()

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._core.closed

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.backend
        return f"cove.Client({self._uri!r}, {state})"

    def _call(self, timeout: Optional[float] = None, db_name: Optional[str] = None) -> Any:
        t = timeout if timeout is not None else self._timeout
        db = db_name if db_name is not None else self._db_name
        return _core.CallOptions(timeout=t, db_name=db or "")

    # -- server ------------------------------------------------------------------------

    def get_server_version(self, *, timeout: Optional[float] = None) -> str:
        """The server (remote) or library (embedded) version string."""
        return self._core.get_server_version(call=self._call(timeout))

    def check_health(self, *, timeout: Optional[float] = None) -> None:
        """Raises unless the backend can serve requests."""
        self._core.check_health(call=self._call(timeout))

    # -- databases ---------------------------------------------------------------------

    def create_database(self, name: str, *, properties: Optional[Mapping[str, Any]] = None,
                        timeout: Optional[float] = None) -> None:
        """Creates a database (AlreadyExistsError if it exists), with Milvus'
        database properties ("database.max.collections", ...)."""
        self._core.create_database(name, _properties(properties, "properties"),
                                   call=self._call(timeout))

    def describe_database(self, name: str, *,
                          timeout: Optional[float] = None) -> DatabaseDescription:
        """Id, creation time and properties of a database."""
        d = self._core.describe_database(name, call=self._call(timeout))
        return DatabaseDescription(d.name, d.id, d.created_timestamp, dict(d.properties))

    def alter_database_properties(self, name: str, properties: Mapping[str, Any], *,
                                  timeout: Optional[float] = None) -> None:
        """Sets database properties."""
        self._core.alter_database_properties(name, _properties(properties, "properties"), [],
                                             call=self._call(timeout))

    def drop_database_properties(self, name: str, property_keys: Sequence[str], *,
                                 timeout: Optional[float] = None) -> None:
        """Removes database properties."""
        self._core.alter_database_properties(name, {}, [str(k) for k in property_keys],
                                             call=self._call(timeout))

    def drop_database(self, name: str, *, timeout: Optional[float] = None) -> None:
        """Drops an empty database."""
        self._core.drop_database(name, call=self._call(timeout))

    def list_databases(self, *, timeout: Optional[float] = None) -> List[str]:
        """Names of the databases ("default" always exists)."""
        return list(self._core.list_databases(call=self._call(timeout)))

    def use_database(self, name: str) -> None:
        """Makes ``name`` the database of the following calls."""
        self._db_name = name

    # -- collections -------------------------------------------------------------------

    def create_collection(self, name: str, dimension: Optional[int] = None, *,
                          schema: Optional[CollectionSchema] = None,
                          indexes: IndexesLike = None,
                          metric_type: Union[MetricType, str] = "COSINE",
                          primary_field_name: str = "id",
                          vector_field_name: str = "vector",
                          id_type: Union[DataType, str] = "int", max_length: int = 65535,
                          auto_id: bool = False,
                          consistency_level: Union[str, int, None] = None,
                          properties: Optional[Mapping[str, Any]] = None,
                          num_partitions: Optional[int] = None,
                          timeout: Optional[float] = None,
                          db_name: Optional[str] = None) -> None:
        """Creates a collection.

        Quick form (``dimension`` given): an INT64 (or VARCHAR, ``id_type="string"``)
        primary key, a FLOAT_VECTOR field, dynamic fields on, an AUTOINDEX with
        ``metric_type``; the collection is loaded.

        Schema form (``schema`` given): the fields of the schema and ``indexes``
        (IndexParams or a list of dicts); loaded when every vector field has an index.

        Both forms store ``consistency_level`` ("Strong", "Session", "Bounded",
        "Eventually", or Milvus' number) and ``properties`` (Milvus keys);
        ``num_partitions`` goes with a schema that has a partition key.
        """
        call = self._call(timeout, db_name)
        level = _consistency(consistency_level)
        props = _properties(properties, "properties")
        if schema is not None:
            specs = [index_to_core(i, _core) for i in index_list(indexes)]
            core_schema = schema_to_core(schema, _core)
            if level is not None:
                core_schema.consistency_level = level
            core_schema.properties = props
            if num_partitions is not None:
                core_schema.num_partitions = int(num_partitions)
            self._core.create_collection(name, core_schema, specs, call=call)
            return
        if num_partitions is not None:
            raise InvalidArgumentError(
                "num_partitions: needs a schema with a partition key field (got the quick form)")
        if dimension is None:
            raise InvalidArgumentError(
                f"collection '{name}': give a dimension (quick form) or a schema")
        quick = _core.QuickCollectionOptions()
        metric = to_metric(metric_type) or MetricType.COSINE
        quick.metric_type = getattr(_core.MetricType, metric.value)
        quick.primary_field_name = primary_field_name
        quick.vector_field_name = vector_field_name
        if isinstance(id_type, str) and id_type.lower() in ("int", "int64"):
            dt = DataType.INT64
        elif isinstance(id_type, str) and id_type.lower() in ("str", "string", "varchar"):
            dt = DataType.VARCHAR
        else:
            dt = to_data_type(id_type, "id_type")
        if dt not in (DataType.INT64, DataType.VARCHAR):
            raise InvalidArgumentError(
                f"id_type: expected 'int' or 'string' (got '{id_type}')")
        quick.id_type = getattr(_core.DataType, dt.name)
        quick.max_length = int(max_length)
        quick.auto_id = bool(auto_id)
        if level is not None:
            quick.consistency_level = level
        quick.properties = props
        self._core.create_collection(name, int(dimension), quick, call=call)

    def drop_collection(self, name: str, *, timeout: Optional[float] = None,
                        db_name: Optional[str] = None) -> None:
        """Drops a collection; dropping one that does not exist succeeds (as Milvus)."""
        self._core.drop_collection(name, call=self._call(timeout, db_name))

    def has_collection(self, name: str, *, timeout: Optional[float] = None,
                       db_name: Optional[str] = None) -> bool:
        """True when the collection exists."""
        return bool(self._core.has_collection(name, call=self._call(timeout, db_name)))

    def list_collections(self, *, timeout: Optional[float] = None,
                         db_name: Optional[str] = None) -> List[str]:
        """Names of the collections of the database."""
        return list(self._core.list_collections(call=self._call(timeout, db_name)))

    def describe_collection(self, name: str, *, timeout: Optional[float] = None,
                            db_name: Optional[str] = None) -> CollectionDescription:
        """Schema, aliases and partitions of a collection."""
        d = self._core.describe_collection(name, call=self._call(timeout, db_name))
        return CollectionDescription(d.name, d.collection_id, schema_from_core(d.schema),
                                     list(d.aliases), list(d.partitions),
                                     d.created_timestamp, d.num_shards)

    def alter_collection_properties(self, name: str, properties: Mapping[str, Any], *,
                                    timeout: Optional[float] = None,
                                    db_name: Optional[str] = None) -> None:
        """Sets collection properties (Milvus keys: "collection.ttl.seconds",
        "mmap.enabled", ...; stored and reported)."""
        self._core.alter_collection_properties(name, _properties(properties, "properties"), [],
                                               call=self._call(timeout, db_name))

    def drop_collection_properties(self, name: str, property_keys: Sequence[str], *,
                                   timeout: Optional[float] = None,
                                   db_name: Optional[str] = None) -> None:
        """Removes collection properties."""
        self._core.alter_collection_properties(name, {}, [str(k) for k in property_keys],
                                               call=self._call(timeout, db_name))

    def alter_collection_field(self, collection: str, field_name: str,
                               properties: Mapping[str, Any], *,
                               timeout: Optional[float] = None,
                               db_name: Optional[str] = None) -> None:
        """Sets a field's properties: "max_length" (VARCHAR), "max_capacity"
        (ARRAY), "mmap.enabled". New limits apply to later writes."""
        self._core.alter_collection_field(collection, field_name,
                                          _properties(properties, "field properties"),
                                          call=self._call(timeout, db_name))

    def alter_index_properties(self, collection: str, index_name: str,
                               properties: Mapping[str, Any], *,
                               timeout: Optional[float] = None,
                               db_name: Optional[str] = None) -> None:
        """Sets index properties ("mmap.enabled")."""
        self._core.alter_index_properties(collection, index_name,
                                          _properties(properties, "properties"), [],
                                          call=self._call(timeout, db_name))

    def drop_index_properties(self, collection: str, index_name: str,
                              property_keys: Sequence[str], *,
                              timeout: Optional[float] = None,
                              db_name: Optional[str] = None) -> None:
        """Removes index properties."""
        self._core.alter_index_properties(collection, index_name, {},
                                          [str(k) for k in property_keys],
                                          call=self._call(timeout, db_name))

    def rename_collection(self, old_name: str, new_name: str, *,
                          new_db_name: str = "",
                          timeout: Optional[float] = None,
                          db_name: Optional[str] = None) -> None:
        """Renames a collection; with ``new_db_name``, also moves it into that
        database (which must exist; the collection may have no aliases)."""
        self._core.rename_collection(old_name, new_name, new_db_name or "",
                                     call=self._call(timeout, db_name))

    def get_collection_stats(self, name: str, *, timeout: Optional[float] = None,
                             db_name: Optional[str] = None) -> Dict[str, int]:
        """``{"row_count": n}``."""
        return dict(self._core.get_collection_stats(name, call=self._call(timeout, db_name)))

    def load_collection(self, name: str, *, load_fields: Optional[Sequence[str]] = None,
                        skip_load_dynamic_field: bool = False,
                        timeout: Optional[float] = None,
                        db_name: Optional[str] = None) -> None:
        """Loads a collection for search and query. With ``load_fields`` (which
        must hold the primary key, a vector field and the partition and
        clustering keys), searches and queries see only those fields, and
        ``skip_load_dynamic_field`` leaves out the dynamic keys (Milvus'
        partial load); a loaded collection keeps its field list until
        released."""
        self._core.load_collection(name, [str(f) for f in load_fields or []],
                                   bool(skip_load_dynamic_field),
                                   call=self._call(timeout, db_name))

    def release_collection(self, name: str, *, timeout: Optional[float] = None,
                           db_name: Optional[str] = None) -> None:
        """Releases a loaded collection."""
        self._core.release_collection(name, call=self._call(timeout, db_name))

    def get_load_state(self, name: str, *, partition_names: Optional[List[str]] = None,
                       timeout: Optional[float] = None,
                       db_name: Optional[str] = None) -> LoadState:
        """The :class:`LoadState` of a collection; with ``partition_names``,
        ``Loaded`` when every one of them is loaded."""
        if partition_names:
            state = self._core.get_partitions_load_state(
                name, list(partition_names), call=self._call(timeout, db_name))
        else:
            state = self._core.get_load_state(name, call=self._call(timeout, db_name))
        return LoadState(int(state))

    def load_partitions(self, name: str, partition_names: List[str], *,
                        timeout: Optional[float] = None,
                        db_name: Optional[str] = None) -> None:
        """Loads the named partitions (a released collection loads only
        those; searches and queries then read the loaded partitions)."""
        self._core.load_partitions(name, list(partition_names),
                                   call=self._call(timeout, db_name))

    def release_partitions(self, name: str, partition_names: List[str], *,
                           timeout: Optional[float] = None,
                           db_name: Optional[str] = None) -> None:
        """Releases the named partitions (all of them: the collection)."""
        self._core.release_partitions(name, list(partition_names),
                                      call=self._call(timeout, db_name))

    def get_partition_stats(self, name: str, partition_name: str, *,
                            timeout: Optional[float] = None,
                            db_name: Optional[str] = None) -> Dict[str, int]:
        """``{"row_count": n}`` of one partition, loaded or not."""
        return dict(self._core.get_partition_stats(name, partition_name,
                                                   call=self._call(timeout, db_name)))

    # -- partitions --------------------------------------------------------------------

    def create_partition(self, collection: str, partition: str, *,
                         timeout: Optional[float] = None, db_name: Optional[str] = None) -> None:
        """Creates a partition."""
        self._core.create_partition(collection, partition, call=self._call(timeout, db_name))

    def drop_partition(self, collection: str, partition: str, *,
                       timeout: Optional[float] = None, db_name: Optional[str] = None) -> None:
        """Drops a partition and its rows."""
        self._core.drop_partition(collection, partition, call=self._call(timeout, db_name))

    def has_partition(self, collection: str, partition: str, *,
                      timeout: Optional[float] = None, db_name: Optional[str] = None) -> bool:
        """True when the partition exists."""
        return bool(self._core.has_partition(collection, partition,
                                             call=self._call(timeout, db_name)))

    def list_partitions(self, collection: str, *, timeout: Optional[float] = None,
                        db_name: Optional[str] = None) -> List[str]:
        """Names of the partitions ("_default" always exists)."""
        return list(self._core.list_partitions(collection, call=self._call(timeout, db_name)))

    # -- aliases ---------------------------------------------------------------------

    def create_alias(self, collection: str, alias: str, *, timeout: Optional[float] = None,
                     db_name: Optional[str] = None) -> None:
        """Creates an alias: another name for the collection."""
        self._core.create_alias(collection, alias, call=self._call(timeout, db_name))

    def drop_alias(self, alias: str, *, timeout: Optional[float] = None,
                   db_name: Optional[str] = None) -> None:
        """Drops an alias."""
        self._core.drop_alias(alias, call=self._call(timeout, db_name))

    def alter_alias(self, collection: str, alias: str, *, timeout: Optional[float] = None,
                    db_name: Optional[str] = None) -> None:
        """Points an existing alias at another collection."""
        self._core.alter_alias(collection, alias, call=self._call(timeout, db_name))

    def describe_alias(self, alias: str, *, timeout: Optional[float] = None,
                       db_name: Optional[str] = None) -> AliasDescription:
        """The alias and its collection."""
        d = self._core.describe_alias(alias, call=self._call(timeout, db_name))
        return AliasDescription(d.alias, d.collection, d.db_name)

    def list_aliases(self, collection: str, *, timeout: Optional[float] = None,
                     db_name: Optional[str] = None) -> List[str]:
        """Aliases of a collection."""
        return list(self._core.list_aliases(collection, call=self._call(timeout, db_name)))

    # -- indexes -----------------------------------------------------------------------

    def create_index(self, collection: str, indexes: IndexesLike, *,
                     timeout: Optional[float] = None, db_name: Optional[str] = None) -> None:
        """Creates indexes (IndexParams, an IndexParam, a dict or a list)."""
        call = self._call(timeout, db_name)
        for index in index_list(indexes):
            self._core.create_index(collection, index_to_core(index, _core), call=call)

    def describe_indexes(self, collection: str, *, timeout: Optional[float] = None,
                         db_name: Optional[str] = None) -> List[IndexDescription]:
        """The indexes of a collection, with build progress."""
        out = []
        for d in self._core.describe_indexes(collection, call=self._call(timeout, db_name)):
            out.append(IndexDescription(d.index_name, d.field_name, IndexType(d.index_type.name),
                                        MetricType(d.metric_type.name), dict(d.params),
                                        d.indexed_rows, d.total_rows, d.state,
                                        dict(d.properties)))
        return out

    def drop_index(self, collection: str, index_name: str, *, timeout: Optional[float] = None,
                   db_name: Optional[str] = None) -> None:
        """Drops an index."""
        self._core.drop_index(collection, index_name, call=self._call(timeout, db_name))

    def wait_for_index(self, collection: str, index_name: Optional[str] = None, *,
                       timeout: Optional[float] = None, poll_interval: float = 0.05,
                       progress: bool = True, db_name: Optional[str] = None) -> None:
        """Waits until the index (default: all indexes) of a collection is built.

        Shows a progress bar over the rows indexed (see docs/python.md).
        Raises :class:`cove.DeadlineExceededError` after ``timeout`` seconds.
        """
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        bar: Optional[Progress] = None
        done_rows = 0
        try:
            while True:
                indexes = [i for i in self.describe_indexes(collection, db_name=db_name)
                           if index_name is None or i.index_name == index_name]
                total = sum(i.total_rows for i in indexes)
                indexed = sum(min(i.indexed_rows, i.total_rows) for i in indexes)
                if all(i.state != "InProgress" and i.indexed_rows >= i.total_rows
                       for i in indexes):
                    if bar is not None:
                        bar.update(total - done_rows)
                    return
                if bar is None:
                    bar = Progress(total, f"indexing {collection}", progress_enabled(progress))
                bar.update(indexed - done_rows)
                done_rows = indexed
                if deadline is not None and time.monotonic() > deadline:
                    raise DeadlineExceededError(
                        f"wait_for_index: collection '{collection}': {indexed} of "
                        f"{total} rows indexed after {timeout} s")
                time.sleep(poll_interval)
        finally:
            if bar is not None:
                bar.close()

    # -- data ------------------------------------------------------------------------

    def _write(self, op: str, collection: str, data: RowsLike, partition_name: str,
               batch_size: int, progress: bool, timeout: Optional[float],
               db_name: Optional[str]) -> MutationResult:
        call = self._call(timeout, db_name)
        fn = getattr(self._core, op)
        if isinstance(data, Mapping) and not _is_columns(data):
            data = [data]  # a single row
        elif not isinstance(data, (Mapping, list, tuple)):
            data = list(data)  # a generator or another iterable of rows
        columnar = isinstance(data, Mapping)
        n = _num_rows(data)
        if batch_size <= 0:
            raise InvalidArgumentError(f"batch_size: expected > 0 (got {batch_size})")
        if n <= batch_size:
            if columnar:
                return MutationResult._from_core(
                    fn(collection, columns=dict(data), partition_name=partition_name, call=call))
            return MutationResult._from_core(
                fn(collection, rows=list(data), partition_name=partition_name, call=call))
        count = 0
        ids: List[Any] = []
        with Progress(n, f"{op} {collection}", progress_enabled(progress)) as bar:
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                if columnar:
                    r = fn(collection, columns=_slice_columns(data, start, stop),  # type: ignore[arg-type]
                           partition_name=partition_name, call=call)
                else:
                    r = fn(collection, rows=data[start:stop],  # type: ignore[index]
                           partition_name=partition_name, call=call)
                count += int(r["count"])
                ids.extend(r["ids"])
                bar.update(stop - start)
        return MutationResult(count, _ids_array(ids))

    def insert(self, collection: str, data: RowsLike, *, partition_name: str = "",
               batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True,
               timeout: Optional[float] = None, db_name: Optional[str] = None) -> MutationResult:
        """Inserts rows.

        ``data`` is a list of dicts (field name to value; unknown keys go to
        dynamic fields), a single dict, or a dict of columns (lists or numpy
        arrays; a 2-D float array is a vector column, read through the buffer
        protocol). More than ``batch_size`` rows are sent in batches, with a
        progress bar when stderr is a terminal (``progress=False`` turns it off).
        """
        return self._write("insert", collection, data, partition_name, batch_size,
                           progress, timeout, db_name)

    def upsert(self, collection: str, data: RowsLike, *, partition_name: str = "",
               batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True,
               timeout: Optional[float] = None, db_name: Optional[str] = None) -> MutationResult:
        """Inserts rows, replacing those whose primary key exists (as :meth:`insert`)."""
        return self._write("upsert", collection, data, partition_name, batch_size,
                           progress, timeout, db_name)

    def delete(self, collection: str, ids: Optional[IdsLike] = None, *, filter: str = "",
               filter_params: Optional[Mapping[str, Any]] = None, partition_name: str = "",
               timeout: Optional[float] = None, db_name: Optional[str] = None) -> MutationResult:
        """Deletes rows by primary keys or by a filter expression."""
        if isinstance(ids, (int, str)):
            ids = [ids]
        r = self._core.delete(collection, ids=ids, filter=filter,
                              filter_params=dict(filter_params or {}),
                              partition_name=partition_name, call=self._call(timeout, db_name))
        return MutationResult._from_core(r)

    def search(self, collection: str, data: VectorsLike, *, limit: int = 10, filter: str = "",
               filter_params: Optional[Mapping[str, Any]] = None,
               output_fields: Optional[Sequence[str]] = None, anns_field: str = "",
               partition_names: Optional[Sequence[str]] = None, offset: int = 0,
               metric_type: Union[MetricType, str, None] = None,
               params: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None,
               db_name: Optional[str] = None, group_by_field: str = "", group_size: int = 1,
               strict_group_size: bool = False) -> SearchResult:
        """Searches the nearest rows of each query vector.

        ``data`` is one vector or a (nq, dim) matrix: a float32 C-contiguous
        numpy array is read in place (one copy, into the request); other
        inputs are converted. ``params``: "ef" (HNSW), "nprobe" (IVF),
        "radius", "range_filter". With ``group_by_field`` (a BOOL, INT or
        VARCHAR field) the hits come in ``limit`` groups of that field's
        value, up to ``group_size`` each (``strict_group_size``: fill every
        group when the rows allow it). Returns a :class:`SearchResult`.

        Full-text search: ``data`` is a list of query texts and
        ``anns_field`` the output of a BM25 function (metric BM25; params
        "bm25_k1", "bm25_b", "drop_ratio_search").

        BINARY_VECTOR fields: ``data`` is one code or a list of codes, each
        ``bytes`` of dim / 8 (pymilvus' form) or a numpy uint8 array, or a
        2-D uint8 array of codes (metric HAMMING or JACCARD; BIN_FLAT also
        SUBSTRUCTURE / SUPERSTRUCTURE).
        """
        metric = to_metric(metric_type)
        core_metric = None if metric is None else getattr(_core.MetricType, metric.value)
        if isinstance(data, str):
            data = [data]
        raw = self._core.search(collection, data, limit=int(limit), filter=filter,
                                filter_params=dict(filter_params or {}),
                                output_fields=list(output_fields or []), anns_field=anns_field,
                                partition_names=list(partition_names or []), offset=int(offset),
                                metric_type=core_metric, params=dict(params or {}),
                                group_by_field=group_by_field, group_size=int(group_size),
                                strict_group_size=bool(strict_group_size),
                                call=self._call(timeout, db_name))
        return SearchResult([QueryHits(ids, distances, entities)
                             for ids, distances, entities in raw])

    def hybrid_search(self, collection: str, requests: Sequence[Any], ranker: Any, *,
                      limit: int = 10, offset: int = 0,
                      output_fields: Optional[Sequence[str]] = None,
                      partition_names: Optional[Sequence[str]] = None,
                      timeout: Optional[float] = None,
                      db_name: Optional[str] = None, group_by_field: str = "",
                      group_size: int = 1, strict_group_size: bool = False,
                      rank_group_scorer: str = "max") -> SearchResult:
        """Several searches (:class:`cove.AnnSearchRequest`: dense vectors or
        full-text queries, each with its own field, filter, params and limit)
        fused by ``ranker`` (:class:`cove.RRFRanker` or
        :class:`cove.WeightedRanker`); distances are the fused scores. With
        ``group_by_field`` each search groups by it and the fused rows come in
        ``limit`` groups of up to ``group_size``, a group scored by its best
        row (``rank_group_scorer`` "max"), the sum ("sum") or the mean
        ("avg") of its rows."""
        from .types import AnnSearchRequest, RRFRanker, WeightedRanker
        subs = []
        for r in requests:
            if not isinstance(r, AnnSearchRequest):
                raise InvalidArgumentError(
                    f"hybrid_search: expected AnnSearchRequest (got {type(r).__name__})")
            param = dict(r.param)
            metric = to_metric(param.pop("metric_type", None))
            params = dict(param.pop("params", None) or {})
            params.update(param)
            data = [r.data] if isinstance(r.data, str) else r.data
            subs.append({"data": data, "anns_field": r.anns_field, "limit": int(r.limit),
                         "filter": r.expr or "", "filter_params": dict(r.expr_params or {}),
                         "params": params,
                         "metric_type": None if metric is None
                         else getattr(_core.MetricType, metric.value)})
        if isinstance(ranker, RRFRanker):
            kind, k, weights, norm = "rrf", float(ranker.k), [], True
        elif isinstance(ranker, WeightedRanker):
            kind, k, weights, norm = "weighted", 60.0, list(ranker.weights), ranker.norm_score
        else:
            raise InvalidArgumentError(
                f"hybrid_search: ranker: expected RRFRanker or WeightedRanker "
                f"(got {type(ranker).__name__})")
        raw = self._core.hybrid_search(collection, subs, ranker=kind, k=k, weights=weights,
                                       norm_score=norm, limit=int(limit), offset=int(offset),
                                       output_fields=list(output_fields or []),
                                       partition_names=list(partition_names or []),
                                       group_by_field=group_by_field,
                                       group_size=int(group_size),
                                       strict_group_size=bool(strict_group_size),
                                       group_scorer=str(rank_group_scorer),
                                       call=self._call(timeout, db_name))
        return SearchResult([QueryHits(ids, distances, entities)
                             for ids, distances, entities in raw])

    def query(self, collection: str, filter: str = "", *,
              output_fields: Optional[Sequence[str]] = None, ids: Optional[IdsLike] = None,
              limit: Optional[int] = None, offset: int = 0,
              filter_params: Optional[Mapping[str, Any]] = None,
              partition_names: Optional[Sequence[str]] = None,
              timeout: Optional[float] = None, db_name: Optional[str] = None) -> List[Dict[str, Any]]:
        """Rows matching a filter (or ``ids``), as dicts; vectors as float32 arrays.

        ``output_fields=["count(*)"]`` returns ``[{"count(*)": n}]``. Without
        ids, a filter or a limit is required (as in Milvus).
        """
        if isinstance(ids, (int, str)):
            ids = [ids]
        return self._core.query(collection, filter=filter,
                                filter_params=dict(filter_params or {}), ids=ids,
                                output_fields=list(output_fields or []),
                                limit=int(limit or 0), offset=int(offset or 0),
                                partition_names=list(partition_names or []),
                                call=self._call(timeout, db_name))

    def query_iterator(self, collection: str, filter: str = "", *, batch_size: int = 1000,
                       limit: Optional[int] = None,
                       output_fields: Optional[Sequence[str]] = None,
                       filter_params: Optional[Mapping[str, Any]] = None,
                       partition_names: Optional[Sequence[str]] = None,
                       timeout: Optional[float] = None,
                       db_name: Optional[str] = None) -> Iterator[List[Dict[str, Any]]]:
        """Yields the rows matching ``filter`` in pages of up to ``batch_size``.

        Rows come in primary-key order from a snapshot of the collection
        taken by this call (embedded and cove-server): rows written later do
        not show, none is returned twice or skipped. The snapshot is released
        when the generator ends or is closed (``close()``), or after 10
        minutes unused (then ``NotFoundError``). ``limit`` caps the total.
        """
        it = self._core.new_query_iterator(
            collection, filter=filter, filter_params=dict(filter_params or {}),
            output_fields=list(output_fields or []), limit=int(limit or 0),
            partition_names=list(partition_names or []), batch_size=int(batch_size),
            call=self._call(timeout, db_name))
        return _query_pages(it)

    def search_iterator(self, collection: str, data: VectorsLike, *, batch_size: int = 1000,
                        limit: Optional[int] = None, filter: str = "",
                        filter_params: Optional[Mapping[str, Any]] = None,
                        output_fields: Optional[Sequence[str]] = None, anns_field: str = "",
                        partition_names: Optional[Sequence[str]] = None,
                        metric_type: Union[MetricType, str, None] = None,
                        params: Optional[Mapping[str, Any]] = None,
                        timeout: Optional[float] = None,
                        db_name: Optional[str] = None) -> Iterator[QueryHits]:
        """Yields the hits of ONE query vector, closest first, in pages of up to
        ``batch_size`` (a :class:`QueryHits` each), beyond the 16,384 hits a
        single search may return. ``limit`` caps the total (None: all rows).
        Like :meth:`query_iterator`, it reads a snapshot taken by this call;
        each page is an exact scan of it (every matching row once, equal
        distances by id, on any index type; O(rows) per page).
        """
        metric = to_metric(metric_type)
        core_metric = None if metric is None else getattr(_core.MetricType, metric.value)
        it = self._core.new_search_iterator(
            collection, data, filter=filter, filter_params=dict(filter_params or {}),
            output_fields=list(output_fields or []), anns_field=anns_field,
            partition_names=list(partition_names or []), metric_type=core_metric,
            params=dict(params or {}), batch_size=int(batch_size),
            limit=-1 if limit is None else int(limit), call=self._call(timeout, db_name))
        return _search_pages(it)

    def get(self, collection: str, ids: IdsLike, *, output_fields: Optional[Sequence[str]] = None,
            timeout: Optional[float] = None, db_name: Optional[str] = None) -> List[Dict[str, Any]]:
        """Rows by primary key (missing keys are skipped)."""
        if isinstance(ids, (int, str)):
            ids = [ids]
        return self._core.get(collection, ids, output_fields=list(output_fields or []),
                              call=self._call(timeout, db_name))

    def count(self, collection: str, filter: str = "", *, timeout: Optional[float] = None,
              db_name: Optional[str] = None) -> int:
        """Number of rows matching ``filter`` (all rows when empty)."""
        rows = self.query(collection, filter, output_fields=["count(*)"], timeout=timeout,
                          db_name=db_name)
        return int(rows[0]["count(*)"]) if rows else 0

    def flush(self, collection: str, *, timeout: Optional[float] = None,
              db_name: Optional[str] = None) -> None:
        """Makes all writes durable (writes are visible before a flush)."""
        self._core.flush(collection, call=self._call(timeout, db_name))

    # -- users, roles, privileges ------------------------------------------------------

    def create_user(self, user: str, password: str, *, timeout: Optional[float] = None) -> None:
        """Creates a user (servers only; the embedded backend raises UnimplementedError)."""
        self._core.create_user(user, password, call=self._call(timeout))

    def update_password(self, user: str, old_password: str, new_password: str, *,
                        timeout: Optional[float] = None) -> None:
        """Changes a user's password."""
        self._core.update_password(user, old_password, new_password, call=self._call(timeout))

    def drop_user(self, user: str, *, timeout: Optional[float] = None) -> None:
        """Drops a user."""
        self._core.drop_user(user, call=self._call(timeout))

    def list_users(self, *, timeout: Optional[float] = None) -> List[str]:
        """Names of the users."""
        return list(self._core.list_users(call=self._call(timeout)))

    def describe_user(self, user: str, *, timeout: Optional[float] = None) -> UserInfo:
        """A user and its roles."""
        u = self._core.describe_user(user, call=self._call(timeout))
        return UserInfo(u.name, list(u.roles))

    def create_role(self, role: str, *, timeout: Optional[float] = None) -> None:
        """Creates a role."""
        self._core.create_role(role, call=self._call(timeout))

    def drop_role(self, role: str, *, timeout: Optional[float] = None) -> None:
        """Drops a role."""
        self._core.drop_role(role, call=self._call(timeout))

    def list_roles(self, *, timeout: Optional[float] = None) -> List[RoleInfo]:
        """Roles and their users."""
        return [RoleInfo(r.name, list(r.users)) for r in self._core.list_roles(call=self._call(timeout))]

    def grant_role(self, user: str, role: str, *, timeout: Optional[float] = None) -> None:
        """Grants a role to a user."""
        self._core.grant_role(user, role, call=self._call(timeout))

    def revoke_role(self, user: str, role: str, *, timeout: Optional[float] = None) -> None:
        """Revokes a role from a user."""
        self._core.revoke_role(user, role, call=self._call(timeout))

    def grant_privilege(self, grant: Grant, *, timeout: Optional[float] = None) -> None:
        """Grants a privilege to a role."""
        self._core.grant_privilege(grant._to_core(), call=self._call(timeout))

    def revoke_privilege(self, grant: Grant, *, timeout: Optional[float] = None) -> None:
        """Revokes a privilege from a role."""
        self._core.revoke_privilege(grant._to_core(), call=self._call(timeout))

    def list_grants(self, role: str, *, timeout: Optional[float] = None) -> List[Grant]:
        """The privileges granted to a role."""
        return [Grant._from_core(g) for g in self._core.list_grants(role, call=self._call(timeout))]

