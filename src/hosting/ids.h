// Identifiers shared by the control plane and the hosts of data planes
// (cove-cloud and cove-agent): resource ids and key names.
#ifndef COVE_SRC_HOSTING_IDS_H_
#define COVE_SRC_HOSTING_IDS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cove::hosting {

/// InvalidArgument unless `id` is 3..63 characters of [a-z0-9-], starting
/// with a letter and not ending with '-'. `field` names it in the message.
absl::Status ValidateId(absl::string_view field, absl::string_view id);

}  // namespace cove::hosting

#endif  // COVE_SRC_HOSTING_IDS_H_
