// Held ports (see port_reservation.h).
#include "hosting/port_reservation.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cove::hosting {

PortReservation::~PortReservation() { Release(); }

PortReservation::PortReservation(PortReservation&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(std::exchange(other.port_, 0)) {}

PortReservation& PortReservation::operator=(PortReservation&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    port_ = std::exchange(other.port_, 0);
  }
  return *this;
}

void PortReservation::Release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  port_ = 0;
}

absl::StatusOr<PortReservation> PortReservation::Reserve(
    const std::string& host, int port) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("port: expected 0 to 65535 (got ", port, ")"));
  }
  sockaddr_storage addr{};
  socklen_t len = 0;
  const std::string h = host == "localhost" || host.empty() ? "127.0.0.1"
                        : host.size() > 2 && host.front() == '['
                            ? host.substr(1, host.size() - 2)
                            : host;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "host: expected an IP address or localhost (got '", host, "')"));
  }
  const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("port reservation: socket: ", std::strerror(errno)));
  }
  // SO_REUSEADDR and SO_REUSEPORT: bindable while connections of the
  // earlier listener on the port are in TIME_WAIT (gRPC's carry
  // SO_REUSEADDR, the metrics endpoint's SO_REUSEPORT). A bound socket,
  // even one that never listens, keeps the port out of every bind of port
  // 0 and out of every explicit bind without SO_REUSEPORT of this user (or
  // with it, of another user).
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat(
        "port ", h, ":", port, ": cannot hold it (", std::strerror(err), ")"));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  PortReservation r;
  r.fd_ = fd;
  r.port_ = ntohs(bound.ss_family == AF_INET
                      ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                      : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return r;
}

int PortOf(const std::string& endpoint) {
  std::string s = endpoint;
  const size_t scheme = s.find("://");
  if (scheme != std::string::npos) s = s.substr(scheme + 3);
  const size_t slash = s.find('/');
  if (slash != std::string::npos) s = s.substr(0, slash);
  const size_t colon = s.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(s.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return 0;
  }
  return port;
}

std::string JoinHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos && host.front() != '[')
    return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace cove::hosting
