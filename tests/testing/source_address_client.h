// Test helper: a Milvus-protocol client whose connection leaves from a given
// loopback source address (127.0.0.2, 127.0.0.3, ...: all of 127.0.0.0/8 is
// the loopback on Linux), for IP access list tests. The socket is bound and
// connected here and handed to gRPC (CreateInsecureChannelFromFd), so the
// server sees exactly that peer address.
#ifndef COVE_TESTS_TESTING_SOURCE_ADDRESS_CLIENT_H_
#define COVE_TESTS_TESTING_SOURCE_ADDRESS_CLIENT_H_

#include <arpa/inet.h>
#include <grpcpp/create_channel_posix.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "milvus.grpc.pb.h"

namespace cove::testing {

/// A channel to 127.0.0.1:`port` (or `host`) from `source` (an IPv4
/// loopback address). One connection: make a new channel per check.
inline absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFromSource(
    const std::string& source, int port,
    const std::string& host = "127.0.0.1") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &remote.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
    const int e = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("bind/connect from ", source, ": ", std::strerror(e)));
  }
  return grpc::CreateInsecureChannelFromFd(absl::StrCat(host, ":", port), fd);
}

/// The gRPC status of a ShowCollections call from `source` (with
/// user:password credentials when `user` is not empty); on success,
/// `reply_code` gets the reply's Milvus status code.
inline grpc::Status ShowCollectionsFrom(const std::string& source, int port,
                                        const std::string& user = "",
                                        const std::string& password = "",
                                        int* reply_code = nullptr) {
  auto channel = ChannelFromSource(source, port);
  if (!channel.ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        std::string(channel.status().message()));
  }
  auto stub = ::milvus::proto::milvus::MilvusService::NewStub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!user.empty()) {
    ctx.AddMetadata("authorization",
                    absl::Base64Escape(absl::StrCat(user, ":", password)));
  }
  ::milvus::proto::milvus::ShowCollectionsRequest req;
  ::milvus::proto::milvus::ShowCollectionsResponse resp;
  grpc::Status s = stub->ShowCollections(&ctx, req, &resp);
  if (reply_code != nullptr) *reply_code = resp.status().code();
  return s;
}

}  // namespace cove::testing

#endif  // COVE_TESTS_TESTING_SOURCE_ADDRESS_CLIENT_H_
