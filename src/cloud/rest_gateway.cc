// The REST/JSON gateway (see rest_gateway.h).
#include "cloud/rest_gateway.h"

#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "common/utf8.h"

namespace cove::cloud {

void RegisterRestGateway(CloudCore* core, HttpServer* http) {
  (void)core;
  // Any other /v1 path: 404 naming it (before the console's "/" prefix).
  http->HandlePrefix("*", "/v1", [](const HttpRequest& req) {
    return ErrorResponse(absl::NotFoundError(
        absl::StrCat("path: no route for ", internal::ValidUtf8(req.path))));
  });
}

}  // namespace cove::cloud
