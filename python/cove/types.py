"""Schemas, index parameters and enums shared by :class:`cove.Client` and
:class:`cove.MilvusClient` (pymilvus names and shapes)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from ._errors import InvalidArgumentError, UnimplementedError

__all__ = [
    "DataType",
    "MetricType",
    "IndexType",
    "LoadState",
    "FieldSchema",
    "CollectionSchema",
    "Function",
    "FunctionType",
    "AnnSearchRequest",
    "RRFRanker",
    "WeightedRanker",
    "IndexParam",
    "IndexParams",
]


class DataType(enum.IntEnum):
    """Field data types, with pymilvus' names and Milvus' numbers.

    Cove stores BOOL, INT8..INT64, FLOAT, DOUBLE, VARCHAR, ARRAY, JSON,
    FLOAT_VECTOR, FLOAT16_VECTOR, BFLOAT16_VECTOR (rows as numpy float16 /
    ml_dtypes bfloat16 arrays, raw bytes or floats; read back as bytes),
    BINARY_VECTOR (dim bits: rows as dim / 8 bytes or numpy uint8 arrays;
    read back as bytes) and SPARSE_FLOAT_VECTOR; the other names exist so that pymilvus code
    imports, and creating a field of such a type raises
    :class:`cove.UnimplementedError`.
    """

    NONE = 0
    BOOL = 1
    INT8 = 2
    INT16 = 3
    INT32 = 4
    INT64 = 5
    FLOAT = 10
    DOUBLE = 11
    STRING = 20
    VARCHAR = 21
    ARRAY = 22
    JSON = 23
    GEOMETRY = 24
    BINARY_VECTOR = 100
    FLOAT_VECTOR = 101
    FLOAT16_VECTOR = 102
    BFLOAT16_VECTOR = 103
    SPARSE_FLOAT_VECTOR = 104
    INT8_VECTOR = 105
    UNKNOWN = 999

    def __repr__(self) -> str:
        return f"<DataType.{self.name}: {self.value}>"


#: The types the C++ engine stores.
SUPPORTED_TYPES = frozenset({
    DataType.BOOL, DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64,
    DataType.FLOAT, DataType.DOUBLE, DataType.VARCHAR, DataType.ARRAY,
    DataType.JSON, DataType.FLOAT_VECTOR, DataType.FLOAT16_VECTOR,
    DataType.BFLOAT16_VECTOR, DataType.BINARY_VECTOR,
    DataType.SPARSE_FLOAT_VECTOR,
})


class MetricType(str, enum.Enum):
    """Similarity measures: L2 (squared, smaller is closer), IP and COSINE
    (larger is closer), BM25 (full-text search on the output of a BM25
    function); for BINARY_VECTOR fields HAMMING and JACCARD (distances) and,
    with BIN_FLAT, SUBSTRUCTURE / SUPERSTRUCTURE. Members compare equal to
    their names."""

    L2 = "L2"
    IP = "IP"
    COSINE = "COSINE"
    BM25 = "BM25"
    HAMMING = "HAMMING"
    JACCARD = "JACCARD"
    SUBSTRUCTURE = "SUBSTRUCTURE"
    SUPERSTRUCTURE = "SUPERSTRUCTURE"

    def __str__(self) -> str:
        return self.value


class IndexType(str, enum.Enum):
    """Index types: vector indexes, and the scalar indexes that make filters on a
    field faster (STL_SORT, Trie, BITMAP, INVERTED). Members compare equal to their
    names."""

    FLAT = "FLAT"
    IVF_FLAT = "IVF_FLAT"
    IVF_SQ8 = "IVF_SQ8"
    HNSW = "HNSW"
    HNSW_SQ = "HNSW_SQ"
    AUTOINDEX = "AUTOINDEX"
    IVF_PQ = "IVF_PQ"
    SCANN = "SCANN"
    SPARSE_INVERTED_INDEX = "SPARSE_INVERTED_INDEX"
    SPARSE_WAND = "SPARSE_WAND"
    DISKANN = "DISKANN"
    STL_SORT = "STL_SORT"
    Trie = "Trie"
    BITMAP = "BITMAP"
    INVERTED = "INVERTED"


    BIN_FLAT = "BIN_FLAT"
    BIN_IVF_FLAT = "BIN_IVF_FLAT"

    def __str__(self) -> str:
        return self.value


class LoadState(enum.IntEnum):
    """Load states, named as pymilvus' LoadState (str() gives the name)."""

    NotExist = 0
    NotLoad = 1
    Loading = 2
    Loaded = 3

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<LoadState: {self.name}>"


def to_data_type(value: Union[DataType, int, str], what: str = "datatype") -> DataType:
    """A :class:`DataType` from a member, a Milvus number or a name ("INT64", "int64")."""
    if isinstance(value, DataType):
        return value
    if isinstance(value, str):
        try:
            return DataType[value.strip().upper()]
        except KeyError:
            raise InvalidArgumentError(f"{what}: unknown data type '{value}'") from None
    if isinstance(value, enum.Enum):  # e.g. pymilvus' or _core's DataType
        return to_data_type(value.name, what)
    try:
        return DataType(int(value))
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{what}: unknown data type {value!r}") from None


def to_metric(value: Union[MetricType, str, None], what: str = "metric_type") -> Optional[MetricType]:
    """A :class:`MetricType` from a member or a name (case-insensitive); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, MetricType):
        return value
    try:
        return MetricType(str(value).strip().upper())
    except ValueError:
        raise InvalidArgumentError(
            f"{what}: expected L2, IP, COSINE, BM25, HAMMING, JACCARD, "
            f"SUBSTRUCTURE or SUPERSTRUCTURE (got '{value}')") from None


def to_index_type(value: Union[IndexType, str, None], what: str = "index_type") -> IndexType:
    """An :class:`IndexType` from a member or a name; empty means AUTOINDEX."""
    if value is None or value == "":
        return IndexType.AUTOINDEX
    if isinstance(value, IndexType):
        return value
    name = str(value).strip().upper()
    if name == "AUTO_INDEX":
        name = "AUTOINDEX"
    if name == "TRIE":  # Milvus spells it Trie
        name = "Trie"
    try:
        return IndexType(name)
    except ValueError:
        raise InvalidArgumentError(
            f"{what}: expected one of {', '.join(t.value for t in IndexType)} "
            f"(got '{value}')") from None


_FIELD_PARAM_KEYS = ("dim", "max_length", "max_capacity")


def _flag_param(value: Any, what: str) -> bool:
    # pymilvus takes True/False and "true"/"false".
    if isinstance(value, str):
        if value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise InvalidArgumentError(f"{what}: expected true or false (got '{value}')")
    return bool(value)


def _analyzer_json(value: Any, what: str) -> str:
    # analyzer_params as pymilvus sends it: a dict as compact JSON, or text.
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return json.dumps(dict(value), separators=(",", ":"))
    raise InvalidArgumentError(
        f"{what}: expected a dict or JSON text (got {type(value).__name__})")


class AnnSearchRequest:
    """One search of a hybrid search (pymilvus' AnnSearchRequest): query
    ``data`` (vectors, or texts for a BM25 output field), the ``anns_field``,
    search ``param`` (``{"metric_type": ..., "params": {...}}`` or flat
    keys), its own ``limit`` and filter ``expr``."""

    def __init__(self, data: Any, anns_field: str, param: Optional[Dict[str, Any]], limit: int,
                 expr: Optional[str] = None, expr_params: Optional[Dict[str, Any]] = None) -> None:
        if expr is not None and not isinstance(expr, str):
            raise InvalidArgumentError(f"AnnSearchRequest expr: expected str (got {type(expr).__name__})")
        self.data = data
        self.anns_field = anns_field
        self.param = dict(param or {})
        self.limit = int(limit)
        self.expr = expr
        self.expr_params = expr_params

    def __repr__(self) -> str:
        return (f"AnnSearchRequest(anns_field={self.anns_field!r}, param={self.param!r}, "
                f"limit={self.limit}, expr={self.expr!r})")


class RRFRanker:
    """Reciprocal rank fusion: score = sum of 1 / (k + rank) (pymilvus' RRFRanker)."""

    def __init__(self, k: int = 60) -> None:
        self.k = k

    def dict(self) -> Dict[str, Any]:
        return {"strategy": "rrf", "params": {"k": self.k}}


class WeightedRanker:
    """Weighted sum of scores normalized per metric (pymilvus' WeightedRanker)."""

    def __init__(self, *weights: float, norm_score: bool = True) -> None:
        for w in weights:
            if isinstance(w, bool) or not isinstance(w, (int, float)):
                raise InvalidArgumentError(f"WeightedRanker: weights must be numbers (got {w!r})")
        self.weights = [float(w) for w in weights]
        self.norm_score = bool(norm_score)

    def dict(self) -> Dict[str, Any]:
        return {"strategy": "weighted",
                "params": {"weights": list(self.weights), "norm_score": self.norm_score}}


class FunctionType(enum.IntEnum):
    """Schema function kinds, with pymilvus' names and Milvus' numbers. Cove
    runs BM25; TEXTEMBEDDING is refused with :class:`cove.UnimplementedError`."""

    UNKNOWN = 0
    BM25 = 1
    TEXTEMBEDDING = 2

    def __repr__(self) -> str:
        return f"<FunctionType.{self.name}: {self.value}>"


class Function:
    """A schema function (pymilvus' Function): BM25 reads an analyzed VARCHAR
    field and fills a SPARSE_FLOAT_VECTOR field at insert::

        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["text"],
                                     output_field_names=["sparse"]))
    """

    def __init__(self, name: str, function_type: Union[FunctionType, int],
                 input_field_names: Union[str, List[str]],
                 output_field_names: Union[str, List[str], None] = None,
                 description: str = "", params: Optional[Dict[str, Any]] = None) -> None:
        self.name = name
        try:
            self.type = FunctionType(int(function_type))
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"function '{name}': unknown function type {function_type!r}") from None
        self.input_field_names = ([input_field_names] if isinstance(input_field_names, str)
                                  else list(input_field_names))
        if output_field_names is None:
            output_field_names = []
        self.output_field_names = ([output_field_names] if isinstance(output_field_names, str)
                                   else list(output_field_names))
        self.description = description
        self.params: Dict[str, Any] = dict(params or {})

    def to_dict(self) -> Dict[str, Any]:
        """The function as pymilvus' describe_collection shows it."""
        return {"name": self.name, "description": self.description, "type": self.type,
                "params": dict(self.params),
                "input_field_names": list(self.input_field_names),
                "output_field_names": list(self.output_field_names)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Function) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Function({self.to_dict()!r})"


class FieldSchema:
    """One field of a schema (pymilvus' FieldSchema surface).

    Args:
        name: the field name.
        dtype: a :class:`DataType` (or its name).
        description: free text.
        is_primary: the primary key (INT64 or VARCHAR).
        auto_id: primary key only: ids are assigned on insert.
        max_length: VARCHAR (and VARCHAR array elements): maximum bytes.
        dim: FLOAT_VECTOR: the dimension.
        element_type: ARRAY: the element type.
        max_capacity: ARRAY: the maximum number of elements.
        nullable: accepts None (and missing keys in rows).
        default_value: used when a row omits the field.
    """

    def __init__(self, name: str, dtype: Union[DataType, int, str], description: str = "",
                 *, is_primary: bool = False, auto_id: bool = False,
                 max_length: Optional[int] = None, dim: Optional[int] = None,
                 element_type: Optional[Union[DataType, int, str]] = None,
                 max_capacity: Optional[int] = None, nullable: bool = False,
                 default_value: Any = None, **kwargs: Any) -> None:
        self.name = name
        self.dtype = to_data_type(dtype, f"field '{name}'")
        self.description = description
        self.is_primary = bool(is_primary or kwargs.pop("is_primary_key", False))
        self.auto_id = bool(auto_id)
        params = dict(kwargs.pop("params", None) or {})
        self.max_length = int(max_length if max_length is not None else params.get("max_length", 0) or 0)
        self.dim = int(dim if dim is not None else params.get("dim", 0) or 0)
        self.max_capacity = int(max_capacity if max_capacity is not None
                                else params.get("max_capacity", 0) or 0)
        self.element_type = (to_data_type(element_type, f"field '{name}' element_type")
                             if element_type is not None else None)
        self.nullable = bool(nullable)
        self.default_value = default_value
        # Text analysis (VARCHAR): keywords, or type params read back.
        self.enable_analyzer = _flag_param(
            kwargs.pop("enable_analyzer", params.get("enable_analyzer", False)),
            f"field '{name}' enable_analyzer")
        self.analyzer_params = _analyzer_json(
            kwargs.pop("analyzer_params", params.get("analyzer_params")),
            f"field '{name}' analyzer_params")
        self.enable_match = _flag_param(
            kwargs.pop("enable_match", params.get("enable_match", False)),
            f"field '{name}' enable_match")
        if "multi_analyzer_params" in kwargs:
            raise UnimplementedError(
                f"field '{name}': multi_analyzer_params (one analyzer per language) "
                "is not supported by Cove (give analyzer_params)")
        self.is_function_output = bool(kwargs.pop("is_function_output", False))
        # Milvus' partition and clustering keys (stored and reported; see
        # docs/compatibility.md) and the field's mmap setting.
        self.is_partition_key = bool(kwargs.pop("is_partition_key", False))
        self.is_clustering_key = bool(kwargs.pop("is_clustering_key", False))
        mmap = kwargs.pop("mmap_enabled", params.get("mmap_enabled", params.get("mmap.enabled")))
        self.mmap_enabled: Optional[bool] = (
            None if mmap is None else _flag_param(mmap, f"field '{name}' mmap_enabled"))
        # Other keywords are kept, not interpreted (pymilvus does the same
        # with keywords it does not know).
        self.extra: Dict[str, Any] = kwargs

    @property
    def params(self) -> Dict[str, Any]:
        """pymilvus' type parameters: dim, max_length, max_capacity (those set),
        and enable_analyzer, analyzer_params, enable_match as Milvus reports them
        ("true", JSON text)."""
        out: Dict[str, Any] = {k: getattr(self, k) for k in _FIELD_PARAM_KEYS if getattr(self, k)}
        if self.enable_analyzer:
            out["enable_analyzer"] = "true"
        if self.analyzer_params:
            out["analyzer_params"] = self.analyzer_params
        if self.enable_match:
            out["enable_match"] = "true"
        if self.mmap_enabled is not None:
            out["mmap_enabled"] = self.mmap_enabled
        return out

    def to_dict(self) -> Dict[str, Any]:
        """The field as pymilvus' describe_collection shows it."""
        d: Dict[str, Any] = {"name": self.name, "description": self.description,
                             "type": self.dtype, "params": self.params}
        if self.element_type is not None and self.dtype == DataType.ARRAY:
            d["element_type"] = self.element_type
        if self.is_primary:
            d["is_primary"] = True
        if self.auto_id:
            d["auto_id"] = True
        if self.nullable:
            d["nullable"] = True
        if self.default_value is not None:
            d["default_value"] = self.default_value
        if self.is_function_output:
            d["is_function_output"] = True
        if self.is_partition_key:
            d["is_partition_key"] = True
        if self.is_clustering_key:
            d["is_clustering_key"] = True
        return d

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldSchema) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"FieldSchema({self.to_dict()!r})"


class CollectionSchema:
    """A collection schema (pymilvus' CollectionSchema surface).

    Build one with :meth:`cove.MilvusClient.create_schema` (or directly) and
    :meth:`add_field`::

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=True)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=128)
    """

    def __init__(self, fields: Optional[List[FieldSchema]] = None, description: str = "",
                 *, auto_id: bool = False, enable_dynamic_field: bool = False,
                 **kwargs: Any) -> None:
        self.fields: List[FieldSchema] = list(fields or [])
        self.description = description
        self.auto_id = bool(auto_id)
        self.enable_dynamic_field = bool(enable_dynamic_field)
        self.functions: List[Function] = []
        for fn in kwargs.pop("functions", None) or []:
            self.add_function(fn)
        self.extra: Dict[str, Any] = kwargs
        # As described (schema_from_core): the collection's settings.
        self.consistency_level = "Strong"
        self.properties: Dict[str, str] = {}
        self.num_partitions = 0

    def add_function(self, function: Function) -> "CollectionSchema":
        """Appends a :class:`Function` (its output fields become function
        outputs, which rows do not give) and returns the schema."""
        if not isinstance(function, Function):
            raise InvalidArgumentError(
                f"add_function: expected a cove Function (got {type(function).__name__})")
        self.functions.append(function)
        for f in self.fields:
            if f.name in function.output_field_names:
                f.is_function_output = True
        return self

    def add_field(self, field_name: str, datatype: Union[DataType, int, str],
                  is_primary: bool = False, **kwargs: Any) -> "CollectionSchema":
        """Appends a field and returns the schema (for chaining).

        Keywords as :class:`FieldSchema`: max_length, dim, element_type,
        max_capacity, nullable, default_value, auto_id, description.
        """
        auto_id = kwargs.pop("auto_id", None)
        if auto_id is None:
            auto_id = self.auto_id and is_primary
        self.fields.append(FieldSchema(field_name, datatype, is_primary=is_primary,
                                       auto_id=bool(auto_id), **kwargs))
        return self

    @property
    def primary_field(self) -> Optional[FieldSchema]:
        """The primary key field, if any."""
        for f in self.fields:
            if f.is_primary:
                return f
        return None

    def to_dict(self) -> Dict[str, Any]:
        """The schema as a dict (fields as pymilvus shows them)."""
        return {"auto_id": any(f.auto_id for f in self.fields),
                "description": self.description,
                "fields": [f.to_dict() for f in self.fields],
                "functions": [fn.to_dict() for fn in self.functions],
                "enable_dynamic_field": self.enable_dynamic_field}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CollectionSchema) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"CollectionSchema({self.to_dict()!r})"


@dataclass
class IndexParam:
    """One index to create (an entry of :class:`IndexParams`)."""

    field_name: str
    index_type: str = "AUTOINDEX"
    index_name: str = ""
    metric_type: Optional[str] = None
    params: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        """The entry as a dict."""
        return {"field_name": self.field_name, "index_type": self.index_type,
                "index_name": self.index_name, "metric_type": self.metric_type,
                "params": dict(self.params)}


class IndexParams:
    """Indexes to create (pymilvus' ``prepare_index_params()`` object)::

        index_params = MilvusClient.prepare_index_params()
        index_params.add_index(field_name="vector", index_type="HNSW",
                               metric_type="COSINE", params={"M": 16})
    """

    def __init__(self, field_name: str = "", **kwargs: Any) -> None:
        self._indexes: List[IndexParam] = []
        if field_name:
            self.add_index(field_name, **kwargs)

    def add_index(self, field_name: str, index_type: str = "", index_name: str = "",
                  metric_type: Optional[str] = None, params: Optional[Mapping[str, Any]] = None,
                  **kwargs: Any) -> None:
        """Adds an index on ``field_name``; extra keywords become build params."""
        merged: Dict[str, Any] = dict(params or {})
        merged.update(kwargs)
        self._indexes.append(IndexParam(field_name=field_name,
                                        index_type=index_type or "AUTOINDEX",
                                        index_name=index_name,
                                        metric_type=metric_type, params=merged))

    def __iter__(self) -> Iterator[IndexParam]:
        return iter(self._indexes)

    def __len__(self) -> int:
        return len(self._indexes)

    def __getitem__(self, i: int) -> IndexParam:
        return self._indexes[i]

    def __repr__(self) -> str:
        return f"IndexParams({[i.to_dict() for i in self._indexes]!r})"


IndexesLike = Union[IndexParams, IndexParam, Mapping[str, Any], List[Union[IndexParam, Mapping[str, Any]]], None]


# --- conversions to and from cove._core ------------------------------------

def _core_enum(enum_type: Any, name: str, what: str) -> Any:
    try:
        return getattr(enum_type, name)
    except AttributeError:
        raise InvalidArgumentError(f"{what}: unsupported value '{name}'") from None


def field_to_core(f: FieldSchema, core: Any) -> Any:
    """A ``_core.FieldSchema`` from a :class:`FieldSchema`."""
    if f.dtype not in SUPPORTED_TYPES:
        raise UnimplementedError(
            f"field '{f.name}': data type {f.dtype.name} is not supported by Cove "
            f"(supported: {', '.join(sorted(t.name for t in SUPPORTED_TYPES))})")
    out = core.FieldSchema()
    out.name = f.name
    out.type = _core_enum(core.DataType, f.dtype.name, f"field '{f.name}'")
    out.description = f.description
    out.is_primary_key = f.is_primary
    out.auto_id = f.auto_id
    out.max_length = f.max_length
    out.dim = f.dim
    if f.element_type is not None:
        if f.element_type not in SUPPORTED_TYPES:
            raise UnimplementedError(
                f"field '{f.name}': element type {f.element_type.name} is not supported")
        out.element_type = _core_enum(core.DataType, f.element_type.name, f"field '{f.name}'")
    out.max_capacity = f.max_capacity
    out.nullable = f.nullable
    out.default_value = f.default_value
    out.enable_analyzer = f.enable_analyzer
    out.analyzer_params = f.analyzer_params
    out.enable_match = f.enable_match
    out.is_function_output = f.is_function_output
    out.is_partition_key = f.is_partition_key
    out.is_clustering_key = f.is_clustering_key
    if f.mmap_enabled is not None:
        out.properties = {"mmap.enabled": "true" if f.mmap_enabled else "false"}
    return out


def function_to_core(fn: Function, core: Any) -> Any:
    """A ``_core.FunctionSchema`` from a :class:`Function`."""
    if fn.type != FunctionType.BM25:
        raise UnimplementedError(
            f"function '{fn.name}': type {fn.type.name} is not supported by Cove "
            "(BM25 functions only)")
    out = core.FunctionSchema()
    out.name = fn.name
    out.description = fn.description
    out.type = core.FunctionType.BM25
    out.input_field_names = list(fn.input_field_names)
    out.output_field_names = list(fn.output_field_names)
    out.params = {str(k): _param_str(v) for k, v in fn.params.items()}
    return out


def field_from_core(f: Any) -> FieldSchema:
    """A :class:`FieldSchema` from a ``_core.FieldSchema``."""
    element = f.element_type.name
    mmap = dict(f.properties).get("mmap.enabled")
    return FieldSchema(f.name, DataType[f.type.name], f.description,
                       is_primary=f.is_primary_key, auto_id=f.auto_id,
                       max_length=f.max_length, dim=f.dim,
                       element_type=None if element == "NONE" else DataType[element],
                       max_capacity=f.max_capacity, nullable=f.nullable,
                       default_value=f.default_value, enable_analyzer=f.enable_analyzer,
                       analyzer_params=f.analyzer_params, enable_match=f.enable_match,
                       is_function_output=f.is_function_output,
                       is_partition_key=f.is_partition_key,
                       is_clustering_key=f.is_clustering_key,
                       mmap_enabled=None if mmap is None else mmap.lower() == "true")


def schema_to_core(schema: CollectionSchema, core: Any) -> Any:
    """A ``_core.CollectionSchema`` from a :class:`CollectionSchema`."""
    if not isinstance(schema, CollectionSchema):
        raise InvalidArgumentError(
            f"schema: expected a cove CollectionSchema (got {type(schema).__name__})")
    out = core.CollectionSchema()
    out.enable_dynamic_field = schema.enable_dynamic_field
    out.description = schema.description
    names = {f.name for f in schema.fields}
    for what in ("partition_key_field", "clustering_key_field"):
        named = schema.extra.get(what)
        if named is not None and named not in names:
            raise InvalidArgumentError(
                f"schema {what}: no field '{named}' in the schema")
    for f in schema.fields:
        core_field = field_to_core(f, core)
        if f.name == schema.extra.get("partition_key_field"):
            core_field.is_partition_key = True
        if f.name == schema.extra.get("clustering_key_field"):
            core_field.is_clustering_key = True
        out.add_field(core_field)
    for fn in schema.functions:
        out.add_function(function_to_core(fn, core))
    return out


def schema_from_core(s: Any) -> CollectionSchema:
    """A :class:`CollectionSchema` from a ``_core.CollectionSchema``."""
    fields = [field_from_core(f) for f in s.fields]
    out = CollectionSchema(fields, s.description,
                           auto_id=any(f.auto_id for f in fields),
                           enable_dynamic_field=s.enable_dynamic_field)
    out.consistency_level = s.consistency_level.name.capitalize()
    out.properties = dict(s.properties)
    out.num_partitions = int(s.num_partitions)
    for fn in s.functions:
        out.add_function(Function(fn.name, FunctionType(int(fn.type)),
                                  list(fn.input_field_names), list(fn.output_field_names),
                                  fn.description, dict(fn.params)))
    return out


def _param_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def index_list(indexes: IndexesLike) -> List[IndexParam]:
    """Normalizes IndexParams, an IndexParam, a dict or a list of those."""
    if indexes is None:
        return []
    if isinstance(indexes, (IndexParams, list, tuple)):
        items = list(indexes)
    else:
        items = [indexes]
    out: List[IndexParam] = []
    for item in items:
        if isinstance(item, IndexParam):
            out.append(item)
        elif isinstance(item, Mapping):
            d = dict(item)
            params = dict(d.pop("params", None) or {})
            known = {k: d.pop(k) for k in ("field_name", "index_type", "index_name", "metric_type")
                     if k in d}
            params.update(d)
            out.append(IndexParam(params=params, **known))
        else:
            raise InvalidArgumentError(
                f"index_params: expected IndexParams, IndexParam or dict (got {type(item).__name__})")
    return out


def index_to_core(index: IndexParam, core: Any) -> Any:
    """A ``_core.IndexSpec`` from an :class:`IndexParam`."""
    spec = core.IndexSpec()
    spec.field_name = index.field_name
    spec.index_name = index.index_name or ""
    spec.index_type = _core_enum(core.IndexType, to_index_type(index.index_type).value, "index_type")
    params = dict(index.params)
    metric = to_metric(index.metric_type or params.pop("metric_type", None))
    params.pop("index_type", None)
    if metric is not None:
        spec.metric_type = _core_enum(core.MetricType, metric.value, "metric_type")
    spec.params = {str(k): _param_str(v) for k, v in params.items()}
    return spec
