// The limits of the control API's requests.
#include "cloud/request_limits.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace cove::cloud {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// ---- the table ------------------------------------------------------------

constexpr FieldLimit Limit(size_t max_length, Charset charset, size_t max_count,
                           const char* what) {
  FieldLimit l;
  l.max_length = max_length;
  l.charset = charset;
  l.max_count = max_count;
  l.what = what;
  return l;
}

const FieldLimit kDefault = Limit(1024, Charset::kText, 100, "other text");
const FieldLimit kDisplayName = [] {
  FieldLimit l = Limit(256, Charset::kText, 100, "display name");
  l.count_characters = true;
  return l;
}();
const FieldLimit kName =
    Limit(512, Charset::kVisibleAscii, 100, "resource name");
const FieldLimit kId = Limit(128, Charset::kVisibleAscii, 100, "id");
const FieldLimit kSecret = Limit(256, Charset::kVisibleAscii, 100, "secret");
const FieldLimit kEmail = Limit(254, Charset::kVisibleAscii, 100, "e-mail");
const FieldLimit kPageToken =
    Limit(1024, Charset::kVisibleAscii, 100, "page token");
const FieldLimit kActions = Limit(64, Charset::kVisibleAscii, 128, "action");
const FieldLimit kPatterns =
    Limit(256, Charset::kVisibleAscii, 16, "resource pattern");
const FieldLimit kSubnets = Limit(128, Charset::kVisibleAscii, 16, "subnet");
const FieldLimit kCollections =
    Limit(255, Charset::kVisibleAscii, 256, "collection name");
const FieldLimit kMaskPaths =
    Limit(64, Charset::kVisibleAscii, 16, "update mask path");
const FieldLimit kStatements = Limit(0, Charset::kText, 32, "statements");
const FieldLimit kSchedules = Limit(0, Charset::kText, 32, "schedules");
const FieldLimit kCron = Limit(128, Charset::kText, 100, "cron");
const FieldLimit kLabelKey = Limit(63, Charset::kLabelKey, 0, "label key");
const FieldLimit kLabelValue =
    Limit(63, Charset::kLabelValue, 0, "label value");
const FieldLimit kLabels = [] {
  FieldLimit l = Limit(0, Charset::kText, 64, "labels");
  l.key = &kLabelKey;
  l.value = &kLabelValue;
  return l;
}();
const FieldLimit kCuKey = Limit(64, Charset::kVisibleAscii, 0, "CU type");
const FieldLimit kVectorsPerCu = [] {
  FieldLimit l = Limit(0, Charset::kText, 8, "vectors per CU");
  l.key = &kCuKey;
  return l;
}();

const std::map<std::string, const FieldLimit*>& TableImpl() {
  static const auto* table = new std::map<std::string, const FieldLimit*>{
      {"display_name", &kDisplayName},
      {"name", &kName},
      {"parent", &kName},
      {"scope", &kName},
      {"principal", &kName},
      {"environment", &kName},
      {"cluster", &kName},
      {"target", &kName},
      {"target_cluster", &kName},
      {"resource", &kName},
      {"role", &kName},
      {"owner", &kEmail},
      {"encryption_key", &kName},
      {"location", &kDefault},
      {"bucket", &kDefault},
      {"filter", &kDefault},
      {"request_id", &kId},
      {"etag", &kId},
      {"kind", &kId},
      {"verb", &kId},
      {"plan", &kId},
      {"region", &kId},
      {"cu_type", &kId},
      {"cloud_account_id", &kId},
      {"vpc_id", &kId},
      {"time_zone", &kId},
      {"admin_user", &kId},
      {"external_id", &kId},
      {"encryption_key_id", &kId},
      {"role_arn", &kName},
      {"token", &kSecret},
      {"secret", &kSecret},
      {"agent_token", &kSecret},
      {"admin_password", &kSecret},
      {"email", &kEmail},
      {"owner_email", &kEmail},
      {"user", &kEmail},
      {"page_token", &kPageToken},
      {"actions", &kActions},
      {"resources", &kPatterns},
      {"subnet_ids", &kSubnets},
      {"collections", &kCollections},
      {"paths", &kMaskPaths},
      {"statements", &kStatements},
      {"schedules", &kSchedules},
      {"cron", &kCron},
      {"labels", &kLabels},
      {"vectors_per_cu", &kVectorsPerCu},
  };
  return *table;
}

bool Allowed(Charset charset, int32_t cp, bool first) {
  switch (charset) {
    case Charset::kText:
      return !internal::IsUnsafeToShow(cp);
    case Charset::kVisibleAscii:
      return cp >= 0x21 && cp <= 0x7E;
    case Charset::kLabelKey:
      if (first) return cp >= 'a' && cp <= 'z';
      return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') ||
             cp == '_' || cp == '-';
    case Charset::kLabelValue:
      return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
             (cp >= '0' && cp <= '9') || cp == '_' || cp == '-' || cp == '.';
  }
  return false;
}

std::string CodePoint(int32_t cp) {
  return cp < 0x80 && absl::ascii_isprint(static_cast<char>(cp))
             ? absl::StrFormat("'%c'", static_cast<char>(cp))
             : absl::StrFormat("U+%04X", cp);
}

absl::Status CheckString(absl::string_view s, const FieldLimit& limit,
                         const std::string& path) {
  // Length first: a huge value is refused without looking at it all.
  if (!limit.count_characters && s.size() > limit.max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected at most ", limit.max_length,
                     " bytes (got ", s.size(), ")"));
  }
  if (limit.count_characters && s.size() > 4 * limit.max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected at most ", limit.max_length,
                     " characters (got ", s.size(), " bytes)"));
  }
  size_t i = 0, chars = 0;
  while (i < s.size()) {
    const size_t at = i;
    const int32_t cp =
        internal::NextCodePoint(std::string_view(s.data(), s.size()), &i);
    if (cp < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: expected valid UTF-8 (got byte 0x%02X at byte %d)", path,
          static_cast<uint8_t>(s[at]), at));
    }
    if (!Allowed(limit.charset, cp, chars == 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": expected ", CharsetName(limit.charset), " (got ",
          CodePoint(cp), " at character ", chars + 1, ")"));
    }
    ++chars;
  }
  if (limit.count_characters && chars > limit.max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected at most ", limit.max_length,
                     " characters (got ", chars, ")"));
  }
  if (limit.charset == Charset::kLabelKey && s.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected a label key (got an empty one)"));
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& m, const std::string& prefix,
                          int depth);

// One value of `field` (an element of a repeated field, or the field).
absl::Status CheckValue(const Message& m, const FieldDescriptor* field,
                        int index, const FieldLimit& limit,
                        const std::string& path, int depth) {
  const Reflection* r = m.GetReflection();
  std::string scratch;
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    const std::string& s =
        index < 0 ? r->GetStringReference(m, field, &scratch)
                  : r->GetRepeatedStringReference(m, field, index, &scratch);
    return CheckString(s, limit, path);
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const Message& sub = index < 0 ? r->GetMessage(m, field)
                                   : r->GetRepeatedMessage(m, field, index);
    return CheckMessage(sub, path, depth + 1);
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& m, const std::string& prefix,
                          int depth) {
  if (depth > 16) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": expected at most 16 levels of nesting"));
  }
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path = prefix.empty()
                                 ? field->name()
                                 : absl::StrCat(prefix, ".", field->name());
    const FieldLimit& limit = LimitOf(field);
    if (!field->is_repeated()) {
      COVE_RETURN_IF_ERROR(CheckValue(m, field, -1, limit, path, depth));
      continue;
    }
    const int n = r->FieldSize(m, field);
    if (static_cast<size_t>(n) > limit.max_count) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": expected at most ", limit.max_count,
          field->is_map() ? " entries" : " items", " (got ", n, ")"));
    }
    if (field->is_map()) {
      const FieldDescriptor* key = field->message_type()->map_key();
      const FieldDescriptor* value = field->message_type()->map_value();
      for (int i = 0; i < n; ++i) {
        const Message& entry = r->GetRepeatedMessage(m, field, i);
        const Reflection* er = entry.GetReflection();
        std::string key_text;
        if (key->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          key_text = er->GetString(entry, key);
          COVE_RETURN_IF_ERROR(CheckString(
              key_text, limit.key != nullptr ? *limit.key : kDefault,
              absl::StrCat(path, " key '", EscapeForMessage(key_text), "'")));
        }
        const std::string value_path =
            absl::StrCat(path, "['", EscapeForMessage(key_text), "']");
        COVE_RETURN_IF_ERROR(CheckValue(
            entry, value, -1, limit.value != nullptr ? *limit.value : kDefault,
            value_path, depth));
      }
      continue;
    }
    for (int i = 0; i < n; ++i) {
      COVE_RETURN_IF_ERROR(CheckValue(m, field, i, limit,
                                      absl::StrCat(path, "[", i, "]"), depth));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::map<std::string, const FieldLimit*>& LimitTable() {
  return TableImpl();
}
const FieldLimit& DefaultLimit() { return kDefault; }
const FieldLimit& IdLimit() { return kId; }

const FieldLimit& LimitOf(const FieldDescriptor* field) {
  const auto& table = TableImpl();
  auto it = table.find(field->name());
  if (it != table.end()) return *it->second;
  if (absl::EndsWith(field->name(), "_id")) return kId;
  return kDefault;
}

absl::string_view CharsetName(Charset charset) {
  switch (charset) {
    case Charset::kText:
      return "text without control characters";
    case Charset::kVisibleAscii:
      return "visible ASCII characters (no spaces or control characters)";
    case Charset::kLabelKey:
      return "a label key: a lowercase letter, then lowercase letters, "
             "digits, '_' or '-'";
    case Charset::kLabelValue:
      return "a label value: letters, digits, '_', '-' or '.'";
  }
  return "";
}

absl::Status CheckRequestLimits(const Message& request) {
  return CheckMessage(request, "", 0);
}

std::string EscapeForMessage(absl::string_view s, size_t max) {
  internal::EscapeOptions options;
  options.max_chars = max;
  return internal::EscapeForDisplay(std::string_view(s.data(), s.size()),
                                    options);
}

}  // namespace cove::cloud
