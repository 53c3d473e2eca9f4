// Milvus URIs of the remote backend (see ParseRemoteUri in
// remote_connection.h).
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "remote/remote_connection.h"

namespace cove::internal {
namespace {

constexpr int kDefaultHttpPort = 19530;
constexpr int kDefaultHttpsPort = 443;

}  // namespace

std::string RemoteEndpoint::target() const {
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<RemoteEndpoint> ParseRemoteUri(const std::string& uri) {
  RemoteEndpoint ep;
  absl::string_view rest(uri);
  if (absl::ConsumePrefix(&rest, "https://")) {
    ep.tls = true;
  } else if (!absl::ConsumePrefix(&rest, "http://") &&
             !absl::ConsumePrefix(&rest, "tcp://") &&
             !absl::ConsumePrefix(&rest, "grpc://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "uri: expected http://host[:port] or https://host[:port] (got '", uri,
        "')"));
  }
  ep.port = ep.tls ? kDefaultHttpsPort : kDefaultHttpPort;
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    absl::string_view path = rest.substr(slash + 1);
    path = path.substr(0, path.find_first_of("/?#"));
    ep.db_name = std::string(path);
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("uri: unterminated IPv6 address (got '", uri, "')"));
    }
    ep.host = std::string(authority.substr(0, close));
    absl::string_view after = authority.substr(close + 1);
    if (absl::ConsumePrefix(&after, ":")) port_text = after;
  } else {
    size_t colon = authority.rfind(':');
    ep.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  if (ep.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("uri: missing host (got '", uri, "')"));
  }
  if (!port_text.empty()) {
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("uri: port must be 1 to 65535 (got '", port_text, "')"));
    }
    ep.port = port;
  }
  return ep;
}

}  // namespace cove::internal
