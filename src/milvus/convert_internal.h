// Helpers shared by the Milvus conversion files (convert.cc, field_data.cc,
// search_convert.cc, status_convert.cc); not part of convert.h's interface.
#ifndef COVE_SRC_MILVUS_CONVERT_INTERNAL_H_
#define COVE_SRC_MILVUS_CONVERT_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "milvus/convert.h"

namespace cove::internal::convert_detail {

absl::Status Invalid(std::string message);
const char* KindName(const Value& v);

/// The field named `name`, or null.
const FieldSchema* FindField(const CollectionSchema& schema,
                             std::string_view name);
/// The primary key field, or null.
const FieldSchema* PrimaryKey(const CollectionSchema& schema);

/// Field `f` of `rows` as one typed column (`insert`: the auto id is left
/// out and defaults apply).
absl::Status BuildColumn(const FieldSchema& f,
                         const std::vector<const Row*>& rows, bool insert,
                         schema_pb::FieldData* out);
/// The dynamic keys of `rows` as the `$meta` JSON column.
void BuildMetaColumn(const CollectionSchema& schema,
                     const std::vector<const Row*>& rows,
                     schema_pb::FieldData* out);
size_t ScalarSize(const schema_pb::ScalarField& f);
absl::StatusOr<Value> ScalarValueAt(const schema_pb::ScalarField& f, size_t i);

/// float32 as 4 little-endian bytes, and back.
void PutFloatLE(float f, std::string* out);
float GetFloatLE(const char* p);

void AddKv(google::protobuf::RepeatedPtrField<common_pb::KeyValuePair>* kvs,
           std::string key, std::string value);
/// A key-value parameter's text as a number where it reads as one.
Value ParamValue(const std::string& s);
std::string ParamString(const Value& v);
absl::StatusOr<int64_t> ParseInt64Param(const std::string& what,
                                        const std::string& text);
/// The output field names of a result, as Milvus lists them.
void ResultOutputFields(
    const CollectionSchema& schema,
    const google::protobuf::RepeatedPtrField<schema_pb::FieldData>& columns,
    const std::vector<std::string>& requested,
    google::protobuf::RepeatedPtrField<std::string>* out);

}  // namespace cove::internal::convert_detail

#endif  // COVE_SRC_MILVUS_CONVERT_INTERNAL_H_
