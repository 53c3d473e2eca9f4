// Helpers of the cloud emulator.
#include "cloud/util.h"

#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "auth/password.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace cove::cloud {

absl::Status ValidateEmail(absl::string_view field, absl::string_view email) {
  size_t at = email.find('@');
  bool ok = at != absl::string_view::npos && at > 0 && email.size() <= 254 &&
            email.find('@', at + 1) == absl::string_view::npos;
  if (ok) {
    absl::string_view domain = email.substr(at + 1);
    size_t dot = domain.rfind('.');
    ok = dot != absl::string_view::npos && dot > 0 && dot + 1 < domain.size();
  }
  for (char c : email) {
    ok = ok && (absl::ascii_isalnum(c) || c == '@' || c == '.' || c == '-' ||
                c == '_' || c == '+');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": expected an e-mail address like name@example.com (got '",
        email, "')"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view field, absl::string_view name,
    const std::vector<std::string>& collections, bool last_is_email) {
  std::vector<std::string> expected_parts;
  for (const std::string& c : collections) {
    std::string singular = c;
    if (singular == "apiKeys")
      singular = "key";
    else if (singular == "roleBindings")
      singular = "binding";
    else if (singular == "auditEvents")
      singular = "event";
    else if (!singular.empty() && singular.back() == 's')
      singular.pop_back();
    if (singular == "member") singular = "user";
    expected_parts.push_back(absl::StrCat(c, "/{", singular, "}"));
  }
  const std::string expected = absl::StrJoin(expected_parts, "/");
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 * collections.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": expected a name like ", expected, " (got '", name, "')"));
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < collections.size(); ++i) {
    if (parts[2 * i] != collections[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": expected a name like ", expected, " (got '", name, "')"));
    }
    const std::string& id = parts[2 * i + 1];
    const bool email = last_is_email && i + 1 == collections.size();
    COVE_RETURN_IF_ERROR(
        email ? ValidateEmail(absl::StrCat(field, " user"), id)
              : ValidateId(absl::StrCat(field, " id '", collections[i], "'"),
                           id));
    ids.push_back(id);
  }
  return ids;
}

std::string OrgOf(absl::string_view name) {
  if (!absl::StartsWith(name, "organizations/")) return "";
  absl::string_view rest = name.substr(14);
  size_t slash = rest.find('/');
  return absl::StrCat("organizations/", rest.substr(0, slash));
}

bool Within(absl::string_view resource, absl::string_view scope) {
  if (scope.empty()) return false;
  return resource == scope ||
         (absl::StartsWith(resource, scope) && resource.size() > scope.size() &&
          resource[scope.size()] == '/');
}

const std::string* Filter::Get(absl::string_view field) const {
  const std::string* out = nullptr;
  for (const auto& [f, v] : terms) {
    if (f == field) out = &v;
  }
  return out;
}

absl::StatusOr<Filter> ParseFilter(absl::string_view filter,
                                   const std::vector<std::string>& allowed) {
  Filter out;
  if (absl::StripAsciiWhitespace(filter).empty()) return out;
  for (absl::string_view term : absl::StrSplit(filter, " AND ")) {
    term = absl::StripAsciiWhitespace(term);
    size_t eq = term.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter: expected field=value terms joined by \" AND \" (got '", term,
          "')"));
    }
    std::string field(absl::StripAsciiWhitespace(term.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(term.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    bool known = false;
    for (const std::string& a : allowed) {
      known = known || field == a ||
              (a.back() == '.' && absl::StartsWith(field, a) &&
               field.size() > a.size());
    }
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: unknown field '", field, "' (expected one of ",
                       absl::StrJoin(allowed, ", "), ")"));
    }
    out.terms.emplace_back(std::move(field), std::move(value));
  }
  return out;
}

namespace {
std::string ListTag(absl::string_view list_id) {
  return absl::BytesToHexString(
             auth::HmacSha256("cove-page", std::string(list_id)))
      .substr(0, 12);
}
}  // namespace

absl::StatusOr<std::pair<std::string, int>> StartPage(const PageRequest& page) {
  if (page.page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: expected 0 to 1000 (got ", page.page_size, ")"));
  }
  int size = page.page_size == 0 ? 50 : std::min(page.page_size, 1000);
  if (page.page_token.empty()) return std::make_pair(std::string(), size);
  std::string raw;
  const auto bad = absl::InvalidArgumentError(absl::StrCat(
      "page_token: expected a token from the previous page of this list (got '",
      page.page_token, "')"));
  if (!absl::WebSafeBase64Unescape(page.page_token, &raw)) return bad;
  size_t bar = raw.find('|');
  if (bar == std::string::npos || raw.substr(0, bar) != ListTag(page.list_id) ||
      bar + 1 >= raw.size()) {
    return bad;
  }
  return std::make_pair(raw.substr(bar + 1), size);
}

std::string NextPageToken(const PageRequest& page, absl::string_view last_key) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(ListTag(page.list_id), "|", last_key));
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t ns = absl::ToUnixNanos(t);
  out.set_seconds(ns >= 0 ? ns / 1000000000
                          : -((-ns + 999999999) / 1000000000));
  out.set_nanos(static_cast<int32_t>(ns - out.seconds() * 1000000000));
  return out;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t ns = absl::ToInt64Nanoseconds(d);
  out.set_seconds(ns / 1000000000);
  out.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

absl::StatusOr<std::string> RandomHex(size_t n) {
  COVE_ASSIGN_OR_RETURN(std::string bytes, auth::RandomBytes(n));
  return absl::BytesToHexString(bytes);
}

absl::StatusOr<std::string> RandomAlnum(size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < n) {
    COVE_ASSIGN_OR_RETURN(std::string bytes, auth::RandomBytes(2 * n));
    for (unsigned char c : bytes) {
      if (c < 248 && out.size() < n) out.push_back(kAlphabet[c % 62]);
    }
  }
  return out;
}

absl::Status NotFound(absl::string_view kind, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(kind, " '", name, "' not found"));
}

absl::StatusOr<std::set<std::string>> MaskPaths(
    const google::protobuf::FieldMask& mask,
    const std::vector<std::string>& allowed) {
  if (mask.paths().empty()) {
    return std::set<std::string>(allowed.begin(), allowed.end());
  }
  std::set<std::string> out;
  for (const std::string& p : mask.paths()) {
    if (std::find(allowed.begin(), allowed.end(), p) == allowed.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: unknown field '", p, "' (expected ",
                       absl::StrJoin(allowed, ", "), ")"));
    }
    out.insert(p);
  }
  return out;
}

bool IsBackupVerb(absl::string_view verb) {
  return verb == "CreateBackup" || verb == "DeleteBackup" ||
         verb == "RestoreBackup";
}

}  // namespace cove::cloud
