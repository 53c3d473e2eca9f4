// The control-plane client's checks of requests (see control_validation.h).
#include "control/control_validation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace cove::internal {
namespace {

constexpr int32_t kMaxPageSize = 1000;

bool ValidId(const std::string& id) {
  if (id.size() < 3 || id.size() > 63) return false;
  if (id.front() < 'a' || id.front() > 'z') return false;
  if (id.back() == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status CheckId(const std::string& field, const std::string& id) {
  if (ValidId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      ": expected 3 to 63 characters of [a-z0-9-], starting with a letter and "
      "not ending with '-' (got '",
      id, "')"));
}

absl::Status CheckName(const std::string& field, const std::string& name,
                       const std::string& pattern) {
  std::vector<std::string> want = absl::StrSplit(pattern, '/');
  std::vector<std::string> got = absl::StrSplit(name, '/');
  bool ok = want.size() == got.size();
  for (size_t i = 0; ok && i < want.size(); ++i) {
    const std::string& w = want[i];
    const std::string& g = got[i];
    if (w == "{*}") {
      ok = !g.empty();
    } else if (w == "{-}") {
      ok = g == "-" || ValidId(g);
    } else if (!w.empty() && w.front() == '{') {
      ok = ValidId(g);
    } else {
      ok = w == g;
    }
  }
  if (ok) return absl::OkStatus();
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required (expected ", pattern, ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": expected ", pattern,
      " with ids of 3 to 63 characters of [a-z0-9-] (got '", name, "')"));
}

absl::Status CheckRequired(const std::string& field, const std::string& value) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
}

absl::Status CheckPaging(const control::ListRequest& r, bool has_filter) {
  if (r.page_size < 0 || r.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: expected 0 to ", kMaxPageSize, " (got ", r.page_size, ")"));
  }
  if (!has_filter && !r.filter.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter: this list takes no filter (got '", r.filter, "')"));
  }
  return absl::OkStatus();
}

absl::Status CheckList(const control::ListRequest& r, const char* pattern,
                       bool has_filter) {
  COVE_RETURN_IF_ERROR(CheckName("parent", r.parent, pattern));
  return CheckPaging(r, has_filter);
}

absl::Status CheckOrgOrProjectList(const control::ListRequest& r) {
  if (CheckName("parent", r.parent, kProject).ok()) {
    return CheckPaging(r, true);
  }
  return CheckList(r, kOrg, true);
}

absl::Status CheckMask(const std::vector<std::string>& mask) {
  if (mask.empty()) {
    return absl::InvalidArgumentError(
        "update_mask: required (name the fields to update)");
  }
  for (const std::string& f : mask) {
    if (f.empty()) {
      return absl::InvalidArgumentError(
          "update_mask: field names must be non-empty");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRoleName(const std::string& field, const std::string& name) {
  if (CheckName(field, name, kBuiltInRole).ok()) return absl::OkStatus();
  if (CheckName(field, name, kCustomRole).ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": expected ", kCustomRole, " or ", kBuiltInRole,
                   " (got '", name, "')"));
}

}  // namespace cove::internal
