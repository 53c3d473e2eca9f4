// Shared by the unit tests of `cove data`: a schema with a field of every
// kind the readers type.
#ifndef COVE_TESTS_CLI_DATA_TEST_UTIL_H_
#define COVE_TESTS_CLI_DATA_TEST_UTIL_H_

#include "cove/types.h"

namespace cove::cli {

// A collection as `collections create --dim 4` makes it, plus typed fields.
inline CollectionSchema TestSchema(bool dynamic = true) {
  CollectionSchema s;
  s.enable_dynamic_field = dynamic;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  s.AddField(id);
  FieldSchema v;
  v.name = "vector";
  v.type = DataType::kFloatVector;
  v.dim = 4;
  s.AddField(v);
  FieldSchema title;
  title.name = "title";
  title.type = DataType::kVarChar;
  title.max_length = 8;
  title.nullable = true;
  s.AddField(title);
  FieldSchema n8;
  n8.name = "n8";
  n8.type = DataType::kInt8;
  n8.default_value = Value(0);
  s.AddField(n8);
  FieldSchema price;
  price.name = "price";
  price.type = DataType::kFloat;
  price.nullable = true;
  s.AddField(price);
  FieldSchema ok;
  ok.name = "ok";
  ok.type = DataType::kBool;
  ok.nullable = true;
  s.AddField(ok);
  FieldSchema tags;
  tags.name = "tags";
  tags.type = DataType::kArray;
  tags.element_type = DataType::kInt32;
  tags.max_capacity = 3;
  tags.nullable = true;
  s.AddField(tags);
  FieldSchema meta;
  meta.name = "meta";
  meta.type = DataType::kJson;
  meta.nullable = true;
  s.AddField(meta);
  return s;
}

// All rows of a source (batches of `batch`), or its error.
}  // namespace cove::cli

#endif  // COVE_TESTS_CLI_DATA_TEST_UTIL_H_
