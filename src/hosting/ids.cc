#include "hosting/ids.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cove::hosting {

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  bool ok = id.size() >= 3 && id.size() <= 63 && absl::ascii_islower(id[0]) &&
            id.back() != '-';
  for (char c : id) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": expected 3 to 63 characters of [a-z0-9-], starting with a letter "
        "and not ending with '-' (got '",
        id, "')"));
  }
  return absl::OkStatus();
}

}  // namespace cove::hosting
