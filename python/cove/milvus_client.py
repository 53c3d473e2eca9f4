"""cove.MilvusClient: pymilvus' MilvusClient surface on top of Cove.

Same method names, arguments and result shapes as pymilvus (2.4/2.5) for
what Cove supports, so that pymilvus code runs with the import line changed::

    from cove import MilvusClient, DataType     # was: from pymilvus import ...

    client = MilvusClient("milvus_demo.db")       # embedded (a data directory)
    client = MilvusClient("http://localhost:19530", token="root:Milvus")

Results are plain Python (lists, dicts, ints, floats): vectors come back as
lists of floats, ids as ints or strs. See docs/python.md for the differences.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Union

import numpy as np

from ._errors import InvalidArgumentError, NotFoundError, UnimplementedError
from .client import Client, Grant
from .types import CollectionSchema, DataType, FieldSchema, IndexParams, LoadState

__all__ = ["MilvusClient", "Hit", "SearchResult", "ExtraList", "QueryIterator", "SearchIterator"]


def _plain(v: Any) -> Any:
    """numpy arrays and scalars to lists and Python numbers (pymilvus' shapes)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


# Milvus' numbers of the consistency levels, as pymilvus' describe_collection
# reports them.
_CONSISTENCY_NUMBERS = {"Strong": 0, "Session": 1, "Bounded": 2, "Eventually": 3,
                        "Customized": 4}


class ExtraList(list):  # type: ignore[type-arg]
    """A list with an ``extra`` dict (pymilvus' ExtraList), e.g. query results."""

    def __init__(self, *args: Any, extra: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(*args)
        self.extra: Dict[str, Any] = dict(extra or {})


class Hit(dict):  # type: ignore[type-arg]
    """One search hit: a dict with "id", "distance" and "entity" (the output fields).

    Attribute access works as in pymilvus: ``hit.id``, ``hit.distance``,
    ``hit.entity``, ``hit.entity.get("title")``, and ``hit.title`` for an output field.
    """

    @property
    def id(self) -> Any:
        """The primary key."""
        return self["id"]

    @property
    def pk(self) -> Any:
        """The primary key (pymilvus' other name for it)."""
        return self["id"]

    @property
    def distance(self) -> float:
        """The distance or similarity."""
        return self["distance"]

    @property
    def score(self) -> float:
        """The distance or similarity (pymilvus' other name for it)."""
        return self["distance"]

    @property
    def entity(self) -> Dict[str, Any]:
        """The output fields."""
        return self["entity"]

    @property
    def fields(self) -> Dict[str, Any]:
        """The output fields."""
        return self["entity"]

    def __getattr__(self, name: str) -> Any:
        entity = self.get("entity") or {}
        if name in entity:
            return entity[name]
        raise AttributeError(f"'Hit' has no attribute or output field '{name}'")

    def to_dict(self) -> Dict[str, Any]:
        """The hit as a plain dict."""
        return dict(self)


class SearchResult(list):  # type: ignore[type-arg]
    """Search results: one list of :class:`Hit` per query vector (as pymilvus)."""

    def __init__(self, *args: Any, extra: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(*args)
        self.extra: Dict[str, Any] = dict(extra or {})

    def __str__(self) -> str:
        return f"data: {list.__repr__(self)}"


class QueryIterator:
    """pymilvus' QueryIterator: ``next()`` returns the next page (empty when done)."""

    def __init__(self, pages: Any) -> None:
        self._pages = pages

    def next(self) -> ExtraList:
        """The next page of rows (a list of dicts); empty when done."""
        if self._pages is None:
            return ExtraList()
        page = next(self._pages, None)
        if page is None:
            self.close()
            return ExtraList()
        return ExtraList([_plain(r) for r in page])

    def close(self) -> None:
        """Ends the iteration."""
        if self._pages is not None:
            self._pages.close()
            self._pages = None


class SearchIterator:
    """pymilvus' SearchIterator: ``next()`` returns the next page of :class:`Hit`."""

    def __init__(self, pages: Any, output_fields: Optional[List[str]]) -> None:
        self._pages = pages
        self._keep = None if output_fields and "*" in output_fields else set(output_fields or ())

    def next(self) -> List[Hit]:
        """The next page of hits, closest first; empty when done."""
        if self._pages is None:
            return []
        page = next(self._pages, None)
        if page is None:
            self.close()
            return []
        ids = page.ids.tolist() if isinstance(page.ids, np.ndarray) else list(page.ids)
        return [Hit(id=i, distance=d, entity={k: _plain(v) for k, v in e.items()
                                              if self._keep is None or k in self._keep})
                for i, d, e in zip(ids, page.distances.tolist(), page.entities)]

    def close(self) -> None:
        """Ends the iteration."""
        if self._pages is not None:
            self._pages.close()
            self._pages = None


def _search_params(search_params: Optional[Mapping[str, Any]], kwargs: Dict[str, Any]):
    """Splits pymilvus search_params into (metric_type, params, offset)."""
    sp = dict(search_params or {})
    metric = sp.pop("metric_type", None)
    params: Dict[str, Any] = dict(sp.pop("params", None) or {})
    offset = sp.pop("offset", None)
    sp.pop("ignore_growing", None)
    params.update(sp)  # flat keys: ef, nprobe, radius, range_filter
    if "offset" in kwargs:
        offset = kwargs.pop("offset")
    return metric, params, int(offset or 0)


def _check_load_options(verb: str, kwargs: Dict[str, Any], fields_ok: bool = False) -> None:
    """Load options Cove cannot honour are refused by name, never ignored
    (partial load is load_collection's only)."""
    replicas = kwargs.get("replica_number")
    if replicas is not None and int(replicas) > 1:
        raise UnimplementedError(f"{verb}: replica_number: Cove serves one replica "
                                 f"(expected 0 or 1, got {replicas})")
    if fields_ok:
        return
    if kwargs.get("load_fields"):
        raise UnimplementedError(f"{verb}: load_fields: partial load of partitions is not "
                                 "supported (load the collection with load_fields instead)")
    if kwargs.get("skip_load_dynamic_field"):
        raise UnimplementedError(f"{verb}: skip_load_dynamic_field: partial load of partitions "
                                 "is not supported (load the collection with it instead)")


_GROUP_KEYS = ("group_by_field", "group_size", "strict_group_size")
_SCALAR_INDEX_TYPES = ("STL_SORT", "Trie", "BITMAP", "INVERTED")


def _flag(v: Any) -> bool:
    """A boolean as pymilvus users pass it (True, "true", "True")."""
    if isinstance(v, str):
        if v.lower() not in ("true", "false"):
            raise ValueError(f"strict_group_size: expected true or false (got {v!r})")
        return v.lower() == "true"
    return bool(v)


def _ids_list(ids: Any) -> Optional[List[Any]]:
    if ids is None:
        return None
    if isinstance(ids, (int, str, np.integer)):
        return [_plain(ids)]
    return [_plain(i) for i in ids]


class MilvusClient:
    """pymilvus' MilvusClient over a Cove backend.

    Args:
        uri: a local path (``"milvus_demo.db"``: an embedded data directory, as
            Milvus Lite), ``":memory:"``, or ``"http(s)://host:port"``.
        user, password, token: credentials of a server (token wins).
        db_name: the database (``using_database`` changes it).
        timeout: default deadline of each call, in seconds.
        **kwargs: accepted for compatibility; Cove-specific options of
            :class:`cove.Client` (e.g. ``encryption_key``) are passed through.
    """

    def __init__(self, uri: str = "http://localhost:19530", user: str = "", password: str = "",
                 db_name: str = "", token: str = "", timeout: Optional[float] = None,
                 **kwargs: Any) -> None:
        passthrough = {k: kwargs.pop(k) for k in list(kwargs)
                       if k in ("encryption_key", "encryption_key_file", "read_only", "sync",
                                "index_threads", "ca_cert_file", "ca_cert_pem",
                                "client_cert_file",
                                "client_key_file", "server_name")}
        if "server_pem_path" in kwargs:
            passthrough["ca_cert_file"] = kwargs.pop("server_pem_path")
        if "server_name" in kwargs:
            passthrough["server_name"] = kwargs.pop("server_name")
        self._client = Client(uri, token=token, user=user, password=password, db_name=db_name,
                              timeout=timeout, **passthrough)
        self._db = db_name
        self._timeout = timeout

    # -- plumbing ------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The underlying :class:`cove.Client` (typed results, numpy arrays)."""
        return self._client

    def _t(self, timeout: Optional[float]) -> Optional[float]:
        return timeout if timeout is not None else self._timeout

    def close(self) -> None:
        """Closes the client; an embedded data directory is released."""
        self._client.close()

    def __enter__(self) -> "MilvusClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_server_version(self, timeout: Optional[float] = None, **kwargs: Any) -> str:
        """The server (or library) version."""
        return self._client.get_server_version(timeout=self._t(timeout))

    # -- schemas and index params ---------------------------------------------------------

    @staticmethod
    def create_schema(**kwargs: Any) -> CollectionSchema:
        """A new, empty :class:`CollectionSchema` (auto_id, enable_dynamic_field, description)."""
        return CollectionSchema(**kwargs)

    @staticmethod
    def create_field_schema(name: str, data_type: DataType, desc: str = "",
                            **kwargs: Any) -> FieldSchema:
        """A :class:`FieldSchema`."""
        return FieldSchema(name, data_type, desc, **kwargs)

    @staticmethod
    def prepare_index_params(field_name: str = "", **kwargs: Any) -> IndexParams:
        """A new :class:`IndexParams` (optionally with a first index)."""
        return IndexParams(field_name, **kwargs)

    # -- collections -------------------------------------------------------------------------

    def create_collection(self, collection_name: str, dimension: Optional[int] = None,
                          primary_field_name: str = "id", id_type: str = "int",
                          vector_field_name: str = "vector", metric_type: str = "COSINE",
                          auto_id: bool = False, timeout: Optional[float] = None,
                          schema: Optional[CollectionSchema] = None,
                          index_params: Optional[IndexParams] = None, **kwargs: Any) -> None:
        """Creates a collection: quick form with ``dimension``, or from ``schema``.

        The quick form has dynamic fields on, an AUTOINDEX with ``metric_type``,
        and is loaded. With a schema, ``index_params`` are created and the
        collection is loaded when every vector field has an index.
        ``consistency_level``, ``properties`` and (with a partition key)
        ``num_partitions`` are stored and described; ``max_length`` sizes
        VARCHAR ids; ``num_shards`` is accepted (Cove has one shard).
        """
        settings = {"consistency_level": kwargs.get("consistency_level"),
                    "properties": kwargs.get("properties")}
        if schema is not None:
            self._client.create_collection(collection_name, schema=schema, indexes=index_params,
                                           num_partitions=kwargs.get("num_partitions"),
                                           timeout=self._t(timeout), **settings)
            return
        self._client.create_collection(collection_name, dimension,
                                       metric_type=metric_type or "COSINE",
                                       primary_field_name=primary_field_name,
                                       vector_field_name=vector_field_name, id_type=id_type,
                                       max_length=int(kwargs.get("max_length", 65535)),
                                       auto_id=auto_id, timeout=self._t(timeout), **settings)

    def has_collection(self, collection_name: str, timeout: Optional[float] = None,
                       **kwargs: Any) -> bool:
        """True when the collection exists."""
        return self._client.has_collection(collection_name, timeout=self._t(timeout))

    def list_collections(self, **kwargs: Any) -> List[str]:
        """Names of the collections."""
        return self._client.list_collections(timeout=self._t(kwargs.get("timeout")))

    def drop_collection(self, collection_name: str, timeout: Optional[float] = None,
                        **kwargs: Any) -> None:
        """Drops a collection."""
        self._client.drop_collection(collection_name, timeout=self._t(timeout))

    def rename_collection(self, old_name: str, new_name: str, target_db: str = "",
                          timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Renames a collection; with ``target_db``, also moves it into that
        database (as pymilvus: it must exist and the collection have no
        aliases)."""
        self._client.rename_collection(old_name, new_name, new_db_name=target_db or "",
                                       timeout=self._t(timeout))

    def describe_collection(self, collection_name: str, timeout: Optional[float] = None,
                            **kwargs: Any) -> Dict[str, Any]:
        """The collection as pymilvus describes it (a dict)."""
        d = self._client.describe_collection(collection_name, timeout=self._t(timeout))
        fields = []
        for i, f in enumerate(d.schema.fields):
            fd = {"field_id": 100 + i}
            fd.update(f.to_dict())
            fields.append(fd)
        return {
            "collection_name": d.name,
            "auto_id": any(f.auto_id for f in d.schema.fields),
            "num_shards": d.num_shards,
            "description": d.schema.description,
            "fields": fields,
            "functions": [fn.to_dict() for fn in d.schema.functions],
            "aliases": list(d.aliases),
            "collection_id": d.collection_id,
            "consistency_level": _CONSISTENCY_NUMBERS[d.schema.consistency_level],
            "properties": dict(d.schema.properties),
            "num_partitions": d.schema.num_partitions or len(d.partitions),
            "enable_dynamic_field": d.schema.enable_dynamic_field,
            "created_timestamp": d.created_timestamp,
        }

    def alter_collection_properties(self, collection_name: str, properties: Dict[str, Any],
                                    timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Sets collection properties (stored and described)."""
        self._client.alter_collection_properties(collection_name, properties,
                                                 timeout=self._t(timeout))

    def drop_collection_properties(self, collection_name: str, property_keys: List[str],
                                   timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Removes collection properties."""
        self._client.drop_collection_properties(collection_name, property_keys,
                                                timeout=self._t(timeout))

    def alter_collection_field(self, collection_name: str, field_name: str,
                               field_params: Dict[str, Any], timeout: Optional[float] = None,
                               **kwargs: Any) -> None:
        """Sets a field's properties: max_length, max_capacity, mmap.enabled."""
        self._client.alter_collection_field(collection_name, field_name, field_params,
                                            timeout=self._t(timeout))

    def get_collection_stats(self, collection_name: str, timeout: Optional[float] = None,
                             **kwargs: Any) -> Dict[str, int]:
        """``{"row_count": n}``."""
        return self._client.get_collection_stats(collection_name, timeout=self._t(timeout))

    def load_collection(self, collection_name: str, timeout: Optional[float] = None,
                        **kwargs: Any) -> None:
        """Loads a collection (one replica); ``load_fields`` and
        ``skip_load_dynamic_field`` load some fields only (partial load)."""
        _check_load_options("load_collection", kwargs, fields_ok=True)
        self._client.load_collection(
            collection_name, load_fields=kwargs.get("load_fields"),
            skip_load_dynamic_field=_flag(kwargs.get("skip_load_dynamic_field", False)),
            timeout=self._t(timeout))

    def release_collection(self, collection_name: str, timeout: Optional[float] = None,
                           **kwargs: Any) -> None:
        """Releases a collection."""
        self._client.release_collection(collection_name, timeout=self._t(timeout))

    def get_load_state(self, collection_name: str, partition_name: str = "",
                       timeout: Optional[float] = None, **kwargs: Any) -> Dict[str, Any]:
        """``{"state": LoadState.Loaded}``; with ``partition_name``, that partition's."""
        return {"state": self._client.get_load_state(
            collection_name, partition_names=[partition_name] if partition_name else None,
            timeout=self._t(timeout))}

    def refresh_load(self, collection_name: str, timeout: Optional[float] = None,
                     **kwargs: Any) -> None:
        """Loads a collection again (a no-op when loaded)."""
        self.load_collection(collection_name, timeout=timeout)

    # -- partitions ------------------------------------------------------------------------------

    def create_partition(self, collection_name: str, partition_name: str,
                         timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Creates a partition."""
        self._client.create_partition(collection_name, partition_name, timeout=self._t(timeout))

    def drop_partition(self, collection_name: str, partition_name: str,
                       timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Drops a partition and its rows."""
        self._client.drop_partition(collection_name, partition_name, timeout=self._t(timeout))

    def has_partition(self, collection_name: str, partition_name: str,
                      timeout: Optional[float] = None, **kwargs: Any) -> bool:
        """True when the partition exists."""
        return self._client.has_partition(collection_name, partition_name,
                                          timeout=self._t(timeout))

    def list_partitions(self, collection_name: str, timeout: Optional[float] = None,
                        **kwargs: Any) -> List[str]:
        """Names of the partitions."""
        return self._client.list_partitions(collection_name, timeout=self._t(timeout))

    def load_partitions(self, collection_name: str, partition_names: Union[str, List[str]],
                        timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Loads the named partitions (a released collection loads only those)."""
        _check_load_options("load_partitions", kwargs)
        names = [partition_names] if isinstance(partition_names, str) else list(partition_names)
        if not names:
            raise InvalidArgumentError("load_partitions: partition_names: must not be empty")
        self._client.load_partitions(collection_name, names, timeout=self._t(timeout))

    def release_partitions(self, collection_name: str, partition_names: Union[str, List[str]],
                           timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Releases the named partitions (all loaded ones: the collection)."""
        names = [partition_names] if isinstance(partition_names, str) else list(partition_names)
        if not names:
            raise InvalidArgumentError("release_partitions: partition_names: must not be empty")
        self._client.release_partitions(collection_name, names, timeout=self._t(timeout))

    def get_partition_stats(self, collection_name: str, partition_name: str,
                            timeout: Optional[float] = None, **kwargs: Any) -> Dict[str, int]:
        """``{"row_count": n}`` of one partition, loaded or not."""
        return self._client.get_partition_stats(collection_name, partition_name,
                                                timeout=self._t(timeout))

    # -- aliases ---------------------------------------------------------------------------------

    def create_alias(self, collection_name: str, alias: str, timeout: Optional[float] = None,
                     **kwargs: Any) -> None:
        """Creates an alias."""
        self._client.create_alias(collection_name, alias, timeout=self._t(timeout))

    def drop_alias(self, alias: str, timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Drops an alias."""
        self._client.drop_alias(alias, timeout=self._t(timeout))

    def alter_alias(self, collection_name: str, alias: str, timeout: Optional[float] = None,
                    **kwargs: Any) -> None:
        """Points an alias at another collection."""
        self._client.alter_alias(collection_name, alias, timeout=self._t(timeout))

    def describe_alias(self, alias: str, timeout: Optional[float] = None,
                       **kwargs: Any) -> Dict[str, str]:
        """``{"alias": ..., "collection_name": ..., "db_name": ...}``."""
        d = self._client.describe_alias(alias, timeout=self._t(timeout))
        return {"alias": d.alias, "collection_name": d.collection,
                "db_name": d.db_name or self._client.db_name or "default"}

    def list_aliases(self, collection_name: str = "", timeout: Optional[float] = None,
                     **kwargs: Any) -> Dict[str, Any]:
        """``{"aliases": [...], "collection_name": ..., "db_name": ...}``."""
        names = [collection_name] if collection_name else self.list_collections()
        aliases: List[str] = []
        for name in names:
            aliases.extend(self._client.list_aliases(name, timeout=self._t(timeout)))
        return {"aliases": aliases, "collection_name": collection_name,
                "db_name": self._client.db_name or "default"}

    # -- databases ----------------------------------------------------------------------------

    def create_database(self, db_name: str, properties: Optional[Dict[str, Any]] = None,
                        timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Creates a database with properties ("database.max.collections", ...)."""
        self._client.create_database(db_name, properties=properties, timeout=self._t(timeout))

    def describe_database(self, db_name: str, timeout: Optional[float] = None,
                          **kwargs: Any) -> Dict[str, Any]:
        """``{"name": ..., **properties}`` as pymilvus (cove.Client's
        describe_database also gives the id and creation time)."""
        d = self._client.describe_database(db_name, timeout=self._t(timeout))
        out: Dict[str, Any] = {"name": d.name}
        out.update(d.properties)
        return out

    def alter_database_properties(self, db_name: str, properties: Dict[str, Any],
                                  timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Sets database properties."""
        self._client.alter_database_properties(db_name, properties, timeout=self._t(timeout))

    def drop_database_properties(self, db_name: str, property_keys: List[str],
                                 timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Removes database properties."""
        self._client.drop_database_properties(db_name, property_keys, timeout=self._t(timeout))

    def drop_database(self, db_name: str, timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Drops an empty database."""
        self._client.drop_database(db_name, timeout=self._t(timeout))

    def list_databases(self, timeout: Optional[float] = None, **kwargs: Any) -> List[str]:
        """Names of the databases."""
        return self._client.list_databases(timeout=self._t(timeout))

    def using_database(self, db_name: str, **kwargs: Any) -> None:
        """Makes ``db_name`` the database of the following calls."""
        self._client.use_database(db_name)

    use_database = using_database

    # -- indexes --------------------------------------------------------------------------------

    def create_index(self, collection_name: str, index_params: IndexParams,
                     timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Creates the indexes of ``index_params`` (built at once)."""
        self._client.create_index(collection_name, index_params, timeout=self._t(timeout))

    def list_indexes(self, collection_name: str, field_name: Optional[str] = "",
                     **kwargs: Any) -> List[str]:
        """Index names of a collection (of one field when ``field_name`` is given)."""
        return [d.index_name for d in self._client.describe_indexes(collection_name)
                if not field_name or d.field_name == field_name]

    def describe_index(self, collection_name: str, index_name: str,
                       timeout: Optional[float] = None, **kwargs: Any) -> Dict[str, Any]:
        """The index as pymilvus describes it (build params flattened in)."""
        for d in self._client.describe_indexes(collection_name, timeout=self._t(timeout)):
            if d.index_name == index_name:
                out: Dict[str, Any] = dict(d.params)
                # As Milvus: a scalar index has no metric.
                if d.index_type.value not in _SCALAR_INDEX_TYPES:
                    out["metric_type"] = d.metric_type.value
                out.update({"index_type": d.index_type.value,
                            "field_name": d.field_name, "index_name": d.index_name,
                            "total_rows": d.total_rows, "indexed_rows": d.indexed_rows,
                            "pending_index_rows": max(d.total_rows - d.indexed_rows, 0),
                            "state": d.state})
                out.update(d.properties)
                return out
        raise NotFoundError(f"index '{index_name}' of collection '{collection_name}' not found")

    def drop_index(self, collection_name: str, index_name: str, timeout: Optional[float] = None,
                   **kwargs: Any) -> None:
        """Drops an index."""
        self._client.drop_index(collection_name, index_name, timeout=self._t(timeout))

    def alter_index_properties(self, collection_name: str, index_name: str,
                               properties: Dict[str, Any], timeout: Optional[float] = None,
                               **kwargs: Any) -> None:
        """Sets index properties ("mmap.enabled"; stored and described)."""
        self._client.alter_index_properties(collection_name, index_name, properties,
                                            timeout=self._t(timeout))

    def drop_index_properties(self, collection_name: str, index_name: str,
                              property_keys: List[str], timeout: Optional[float] = None,
                              **kwargs: Any) -> None:
        """Removes index properties."""
        self._client.drop_index_properties(collection_name, index_name, property_keys,
                                           timeout=self._t(timeout))

    # -- data -----------------------------------------------------------------------------------

    def insert(self, collection_name: str, data: Union[Dict[str, Any], List[Dict[str, Any]]],
               timeout: Optional[float] = None, partition_name: Optional[str] = "",
               **kwargs: Any) -> Dict[str, Any]:
        """Inserts rows; returns ``{"insert_count": n, "ids": [...], "cost": 0}``."""
        if isinstance(data, Mapping):
            data = [data]
        r = self._client.insert(collection_name, list(data), partition_name=partition_name or "",
                                progress=kwargs.get("progress", True), timeout=self._t(timeout))
        return {"insert_count": r.count, "ids": _plain(list(r.ids)), "cost": 0}

    def upsert(self, collection_name: str, data: Union[Dict[str, Any], List[Dict[str, Any]]],
               timeout: Optional[float] = None, partition_name: Optional[str] = "",
               **kwargs: Any) -> Dict[str, Any]:
        """Upserts rows; returns ``{"upsert_count": n, "ids": [...], "cost": 0}``."""
        if isinstance(data, Mapping):
            data = [data]
        r = self._client.upsert(collection_name, list(data), partition_name=partition_name or "",
                                progress=kwargs.get("progress", True), timeout=self._t(timeout))
        return {"upsert_count": r.count, "ids": _plain(list(r.ids)), "cost": 0}

    def delete(self, collection_name: str, ids: Optional[Union[list, str, int]] = None,
               timeout: Optional[float] = None, filter: Optional[str] = None,
               partition_name: Optional[str] = None, **kwargs: Any) -> Dict[str, int]:
        """Deletes by ids or filter; returns ``{"delete_count": n}``."""
        if kwargs.get("pks") is not None and ids is None:
            ids = kwargs["pks"]
        r = self._client.delete(collection_name, _ids_list(ids), filter=filter or "",
                                filter_params=kwargs.get("filter_params"),
                                partition_name=partition_name or "", timeout=self._t(timeout))
        return {"delete_count": r.count}

    def search(self, collection_name: str, data: Union[List[list], list, np.ndarray],
               filter: str = "", limit: int = 10, output_fields: Optional[List[str]] = None,
               search_params: Optional[dict] = None, timeout: Optional[float] = None,
               partition_names: Optional[List[str]] = None, anns_field: Optional[str] = None,
               **kwargs: Any) -> SearchResult:
        """Searches; returns one list of :class:`Hit` per query vector.

        ``search_params``: ``{"metric_type": ..., "params": {"ef": 64}}`` (flat keys
        and "offset" work too); ``filter_params`` fills ``{name}`` placeholders.
        """
        metric, params, offset = _search_params(search_params, kwargs)
        # Grouping search, as pymilvus takes it: keywords or search_params keys.
        group = {k: params.pop(k) for k in _GROUP_KEYS if k in params}
        group.update({k: kwargs[k] for k in _GROUP_KEYS if kwargs.get(k) is not None})
        res = self._client.search(collection_name, data, limit=int(kwargs.get("topk", limit)),
                                  filter=filter or "", filter_params=kwargs.get("filter_params"),
                                  output_fields=output_fields, anns_field=anns_field or "",
                                  partition_names=partition_names, offset=offset,
                                  metric_type=metric, params=params,
                                  group_by_field=str(group.get("group_by_field") or ""),
                                  group_size=int(group.get("group_size") or 1),
                                  strict_group_size=_flag(group.get("strict_group_size", False)),
                                  timeout=self._t(timeout))
        # As Milvus: the entity holds the requested output fields only (the
        # primary key is the hit's "id"), all fields for "*".
        keep = None if output_fields and "*" in output_fields else set(output_fields or ())
        out = SearchResult()
        for q in res:
            ids = q.ids.tolist() if isinstance(q.ids, np.ndarray) else list(q.ids)
            dists = q.distances.tolist()
            out.append([Hit(id=i, distance=d,
                            entity={k: _plain(v) for k, v in e.items()
                                    if keep is None or k in keep})
                        for i, d, e in zip(ids, dists, q.entities)])
        return out

    def hybrid_search(self, collection_name: str, reqs: List[Any], ranker: Any,
                      limit: int = 10, output_fields: Optional[List[str]] = None,
                      timeout: Optional[float] = None,
                      partition_names: Optional[List[str]] = None,
                      **kwargs: Any) -> SearchResult:
        """Several AnnSearchRequests fused by an RRFRanker or WeightedRanker;
        ``group_by_field``, ``group_size``, ``strict_group_size`` and
        ``rank_group_scorer`` (max, sum, avg) group them as Milvus 2.5 does."""
        res = self._client.hybrid_search(
            collection_name, reqs, ranker, limit=int(limit),
            offset=int(kwargs.get("offset") or 0), output_fields=output_fields,
            partition_names=partition_names, timeout=self._t(timeout),
            group_by_field=str(kwargs.get("group_by_field") or ""),
            group_size=int(kwargs.get("group_size") or 1),
            strict_group_size=_flag(kwargs.get("strict_group_size", False)),
            rank_group_scorer=str(kwargs.get("rank_group_scorer") or "max"))
        keep = None if output_fields and "*" in output_fields else set(output_fields or ())
        out = SearchResult()
        for q in res:
            ids = q.ids.tolist() if isinstance(q.ids, np.ndarray) else list(q.ids)
            out.append([Hit(id=i, distance=d,
                            entity={k: _plain(v) for k, v in e.items()
                                    if keep is None or k in keep})
                        for i, d, e in zip(ids, q.distances.tolist(), q.entities)])
        return out

    def query(self, collection_name: str, filter: str = "",
              output_fields: Optional[List[str]] = None, timeout: Optional[float] = None,
              ids: Optional[Union[List, str, int]] = None,
              partition_names: Optional[List[str]] = None, **kwargs: Any) -> ExtraList:
        """Rows matching a filter or ids (``limit``, ``offset``, ``filter_params`` keywords)."""
        rows = self._client.query(collection_name, filter or "", output_fields=output_fields,
                                  ids=_ids_list(ids), limit=kwargs.get("limit"),
                                  offset=kwargs.get("offset") or 0,
                                  filter_params=kwargs.get("filter_params"),
                                  partition_names=partition_names, timeout=self._t(timeout))
        return ExtraList(self._binary_as_lists(collection_name, [_plain(r) for r in rows]))

    def get(self, collection_name: str, ids: Union[list, str, int],
            output_fields: Optional[List[str]] = None, timeout: Optional[float] = None,
            partition_names: Optional[List[str]] = None, **kwargs: Any) -> ExtraList:
        """Rows by primary key (missing keys are skipped)."""
        rows = self._client.get(collection_name, _ids_list(ids) or [],
                                output_fields=output_fields, timeout=self._t(timeout))
        return ExtraList(self._binary_as_lists(collection_name, [_plain(r) for r in rows]))

    def _binary_as_lists(self, collection_name: str, rows: List[Dict[str, Any]]
                         ) -> List[Dict[str, Any]]:
        # pymilvus' query and get give a BINARY_VECTOR, FLOAT16_VECTOR or
        # BFLOAT16_VECTOR value as a list holding its bytes ([b"..."]); search
        # hits give the bytes themselves.
        if not any(isinstance(v, bytes) for r in rows for v in r.values()):
            return rows
        schema = self._client.describe_collection(collection_name).schema
        wrapped = (DataType.BINARY_VECTOR, DataType.FLOAT16_VECTOR,
                   DataType.BFLOAT16_VECTOR)
        binary = {f.name for f in schema.fields if f.dtype in wrapped}
        for r in rows:
            for name in binary & r.keys():
                if isinstance(r[name], bytes):
                    r[name] = [r[name]]
        return rows

    def query_iterator(self, collection_name: str, batch_size: Optional[int] = 1000,
                       limit: Optional[int] = -1, filter: Optional[str] = "",
                       output_fields: Optional[List[str]] = None,
                       partition_names: Optional[List[str]] = None,
                       timeout: Optional[float] = None, **kwargs: Any) -> QueryIterator:
        """An iterator over the rows matching ``filter`` (pages of ``batch_size``)."""
        pages = self._client.query_iterator(
            collection_name, filter or "", batch_size=int(batch_size or 1000),
            limit=None if limit is None or limit < 0 else int(limit),
            output_fields=output_fields, filter_params=kwargs.get("filter_params"),
            partition_names=partition_names, timeout=self._t(timeout))
        return QueryIterator(pages)

    def search_iterator(self, collection_name: str, data: Union[List[list], list, np.ndarray],
                        batch_size: Optional[int] = 1000, filter: Optional[str] = None,
                        limit: Optional[int] = -1, output_fields: Optional[List[str]] = None,
                        search_params: Optional[dict] = None, timeout: Optional[float] = None,
                        partition_names: Optional[List[str]] = None,
                        anns_field: Optional[str] = None, **kwargs: Any) -> SearchIterator:
        """An iterator over the hits of one query vector, closest first."""
        vec = np.asarray(data, dtype=np.float32)
        if vec.ndim == 2:
            if vec.shape[0] != 1:
                raise InvalidArgumentError(
                    f"search_iterator: data: expected one query vector (got {vec.shape[0]})")
            vec = vec[0]
        metric, params, _ = _search_params(search_params, dict(kwargs))
        pages = self._client.search_iterator(
            collection_name, vec, batch_size=int(batch_size or 1000),
            limit=None if limit is None or limit < 0 else int(limit), filter=filter or "",
            filter_params=kwargs.get("filter_params"), output_fields=output_fields,
            anns_field=anns_field or "", partition_names=partition_names, metric_type=metric,
            params=params, timeout=self._t(timeout))
        return SearchIterator(pages, output_fields)

    def flush(self, collection_name: str, timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Makes all writes durable."""
        self._client.flush(collection_name, timeout=self._t(timeout))

    # -- users, roles, privileges ---------------------------------------------------------------

    def create_user(self, user_name: str, password: str, timeout: Optional[float] = None,
                    **kwargs: Any) -> None:
        """Creates a user."""
        self._client.create_user(user_name, password, timeout=self._t(timeout))

    def drop_user(self, user_name: str, timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Drops a user."""
        self._client.drop_user(user_name, timeout=self._t(timeout))

    def update_password(self, user_name: str, old_password: str, new_password: str,
                        reset_connection: Optional[bool] = False,
                        timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Changes a user's password."""
        self._client.update_password(user_name, old_password, new_password,
                                     timeout=self._t(timeout))

    def list_users(self, timeout: Optional[float] = None, **kwargs: Any) -> List[str]:
        """Names of the users."""
        return self._client.list_users(timeout=self._t(timeout))

    def describe_user(self, user_name: str, timeout: Optional[float] = None,
                      **kwargs: Any) -> Dict[str, Any]:
        """``{"user_name": ..., "roles": (...)}``."""
        u = self._client.describe_user(user_name, timeout=self._t(timeout))
        return {"user_name": u.name, "roles": tuple(u.roles)}

    def create_role(self, role_name: str, timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Creates a role."""
        self._client.create_role(role_name, timeout=self._t(timeout))

    def drop_role(self, role_name: str, force_drop: bool = False,
                  timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Drops a role."""
        self._client.drop_role(role_name, timeout=self._t(timeout))

    def list_roles(self, timeout: Optional[float] = None, **kwargs: Any) -> List[str]:
        """Names of the roles."""
        return [r.name for r in self._client.list_roles(timeout=self._t(timeout))]

    def describe_role(self, role_name: str, timeout: Optional[float] = None,
                      **kwargs: Any) -> Dict[str, Any]:
        """``{"role": name, "privileges": [{object_type, object_name, privilege, ...}]}``."""
        grants = self._client.list_grants(role_name, timeout=self._t(timeout))
        return {"role": role_name,
                "privileges": [{"object_type": g.object_type, "object_name": g.object_name,
                                "db_name": g.db_name, "role_name": g.role,
                                "privilege": g.privilege, "grantor_name": g.grantor}
                               for g in grants]}

    def grant_role(self, user_name: str, role_name: str, timeout: Optional[float] = None,
                   **kwargs: Any) -> None:
        """Grants a role to a user."""
        self._client.grant_role(user_name, role_name, timeout=self._t(timeout))

    def revoke_role(self, user_name: str, role_name: str, timeout: Optional[float] = None,
                    **kwargs: Any) -> None:
        """Revokes a role from a user."""
        self._client.revoke_role(user_name, role_name, timeout=self._t(timeout))

    def grant_privilege(self, role_name: str, object_type: str, privilege: str,
                        object_name: str, db_name: Optional[str] = "",
                        timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Grants ``privilege`` on ``object_type``/``object_name`` to a role."""
        self._client.grant_privilege(Grant(role_name, object_type, object_name, privilege,
                                           db_name or ""), timeout=self._t(timeout))

    def revoke_privilege(self, role_name: str, object_type: str, privilege: str,
                         object_name: str, db_name: Optional[str] = "",
                         timeout: Optional[float] = None, **kwargs: Any) -> None:
        """Revokes a privilege from a role."""
        self._client.revoke_privilege(Grant(role_name, object_type, object_name, privilege,
                                            db_name or ""), timeout=self._t(timeout))

