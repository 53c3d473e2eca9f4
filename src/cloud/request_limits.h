// Size and charset limits of every request of the control API (issue 13,
// items 7 and 8): each string field has a maximum length and a charset, each
// repeated or map field a maximum count. The limits are a small table keyed
// by field name (docs/security.md#limits shows the same table); a field the
// table does not name gets the default (1,024 bytes of UTF-8 text without
// control characters; 100 items). The check walks a request by reflection,
// so a new field is covered the day it is added.
//
// The check runs before anything else of the RPC: each transport (the gRPC
// service, the REST gateway) checks the request it received and hands a
// refusal to the core in RequestContext::refusal, which CloudCore::Handle
// returns first.
#ifndef COVE_SRC_CLOUD_REQUEST_LIMITS_H_
#define COVE_SRC_CLOUD_REQUEST_LIMITS_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace cove::cloud {

/// What a string may hold.
enum class Charset {
  /// UTF-8 text without control characters (C0, DEL, C1), line or paragraph
  /// separators, or bidirectional overrides and isolates.
  kText,
  /// Visible ASCII (0x21..0x7E): names, ids, etags, tokens.
  kVisibleAscii,
  /// Label keys: a lowercase letter, then lowercase letters, digits, '_'
  /// and '-'.
  kLabelKey,
  /// Label values: letters, digits, '_', '-' and '.' (or empty).
  kLabelValue,
};

/// The limit of one field.
struct FieldLimit {
  size_t max_length = 1024;       // bytes (characters for kText display names)
  bool count_characters = false;  // max_length counts UTF-8 characters
  Charset charset = Charset::kText;
  size_t max_count = 100;  // repeated and map fields
  // Map fields: the limits of the keys and of the values.
  const FieldLimit* key = nullptr;
  const FieldLimit* value = nullptr;
  const char* what = "";  // the kind, for the documentation table
};

/// The table by field name (docs/security.md#limits shows it; a test
/// compares the two). A field not named: "_id" fields are ids, others get
/// DefaultLimit().
const std::map<std::string, const FieldLimit*>& LimitTable();
const FieldLimit& DefaultLimit();
const FieldLimit& IdLimit();

/// The limit of `field` (by its name; the default otherwise).
const FieldLimit& LimitOf(const google::protobuf::FieldDescriptor* field);

/// A description of a charset for messages ("visible ASCII", ...).
absl::string_view CharsetName(Charset charset);

/// InvalidArgument naming the field ("cluster.labels['team']",
/// "role.statements[2].resources[0]") unless every string, repeated and map
/// field of `request` is within its limit. Never echoes the offending value
/// in full: at most its first characters, escaped.
absl::Status CheckRequestLimits(const google::protobuf::Message& request);

/// `s` escaped for a message or a terminal: printable ASCII as is, other
/// bytes as \xNN (valid UTF-8 letters kept), cut after `max` characters.
std::string EscapeForMessage(absl::string_view s, size_t max = 40);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_REQUEST_LIMITS_H_
