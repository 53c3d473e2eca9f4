// Small helpers of the cloud emulator: resource names and
// ids, list filters and page tokens, proto time conversion.
#ifndef COVE_SRC_CLOUD_UTIL_H_
#define COVE_SRC_CLOUD_UTIL_H_

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "hosting/ids.h"

namespace cove::cloud {

/// ValidateId: hosting/ids.h.
using ::cove::hosting::ValidateId;

/// NotFound: "<kind> '<name>' not found".
absl::Status NotFound(absl::string_view kind, absl::string_view name);

/// The fields an update mask names (every `allowed` field when it is
/// empty); InvalidArgument naming a field not in `allowed`.
absl::StatusOr<std::set<std::string>> MaskPaths(
    const google::protobuf::FieldMask& mask,
    const std::vector<std::string>& allowed);

/// InvalidArgument unless `email` looks like local@domain.tld.
absl::Status ValidateEmail(absl::string_view field, absl::string_view email);

/// Parses a resource name against `collections`, e.g. {"organizations",
/// "projects"} for "organizations/{org}/projects/{project}", and returns the
/// ids. InvalidArgument naming `field`, the expected form and the input.
/// `last_is_email` accepts an e-mail address as the last id (members).
absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view field, absl::string_view name,
    const std::vector<std::string>& collections, bool last_is_email = false);

/// The organization of any name below "organizations/{org}" (or "" when
/// the name is not below an organization).
std::string OrgOf(absl::string_view name);

/// True when `resource` is `scope` or below it.
bool Within(absl::string_view resource, absl::string_view scope);

/// A parsed list filter: "field=value" terms joined by " AND ".
struct Filter {
  std::vector<std::pair<std::string, std::string>> terms;
  /// The value of `field` (the last term naming it), or nullptr.
  const std::string* Get(absl::string_view field) const;
};

/// Parses `filter`; field names must be in `allowed` (a field ending in '.'
/// is a prefix, as "labels."). InvalidArgument naming the bad term.
absl::StatusOr<Filter> ParseFilter(absl::string_view filter,
                                   const std::vector<std::string>& allowed);

/// One page of a list sorted by key: page_size 0 means 50, at most 1000;
/// the token is opaque and bound to `list_id` (method, parent, filter).
struct PageRequest {
  int32_t page_size = 0;
  std::string page_token;
  std::string list_id;
};

/// Validates the page request; returns the key after which the page starts
/// ("" for the first page) and the effective page size.
absl::StatusOr<std::pair<std::string, int>> StartPage(const PageRequest& page);

/// The token of the page after the one ending at `last_key`.
std::string NextPageToken(const PageRequest& page, absl::string_view last_key);

/// Pages `sorted` (key, item) pairs: appends the page's items to `out` and
/// sets `next_token` ("" on the last page).
template <typename T, typename Out>
absl::Status Paginate(const std::vector<std::pair<std::string, T>>& sorted,
                      const PageRequest& page, Out* out,
                      std::string* next_token) {
  COVE_ASSIGN_OR_RETURN(auto start, StartPage(page));
  const auto& [after, size] = start;
  int n = 0;
  absl::string_view last;
  next_token->clear();
  for (const auto& [key, item] : sorted) {
    if (!after.empty() && key <= after) continue;
    if (n == size) {
      *next_token = NextPageToken(page, last);
      break;
    }
    *out->Add() = item;
    last = key;
    ++n;
  }
  return absl::OkStatus();
}

google::protobuf::Timestamp ToProto(absl::Time t);
absl::Time FromProto(const google::protobuf::Timestamp& t);
google::protobuf::Duration ToProtoDuration(absl::Duration d);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);

/// Deterministic serialization (maps sorted), for request fingerprints.
std::string DeterministicBytes(const google::protobuf::Message& message);

/// `n` random bytes as lowercase hex (2n characters). Internal on failure.
absl::StatusOr<std::string> RandomHex(size_t n);
/// `n` random characters of [A-Za-z0-9].
absl::StatusOr<std::string> RandomAlnum(size_t n);

/// The verbs of backups (CreateBackup, DeleteBackup, RestoreBackup).
bool IsBackupVerb(absl::string_view verb);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_UTIL_H_
