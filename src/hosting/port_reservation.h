// Ports held for a cluster's lifetime, so that its endpoint and metrics
// endpoint stay the same across suspend/resume, scaling and restarts of the
// process that runs its data plane (cove-cloud or cove-agent).
#ifndef COVE_SRC_HOSTING_PORT_RESERVATION_H_
#define COVE_SRC_HOSTING_PORT_RESERVATION_H_

#include <string>

#include "absl/status/statusor.h"

namespace cove::hosting {

/// A TCP port held by a socket bound to host:port that never listens
/// (SO_REUSEADDR and SO_REUSEPORT, so that it can be taken while
/// connections of the port's earlier listener linger in TIME_WAIT). While it
/// is held the kernel never hands the port to a bind of port 0 (of any
/// process), and refuses explicit binds of it without SO_REUSEPORT, or from
/// another user; connections to it are refused. The holder releases it just
/// before its own listener binds the port, and holds it again once that
/// listener is closed.
///
/// Thread safety: a value; not shared.
class PortReservation {
 public:
  PortReservation() = default;
  ~PortReservation();
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&& other) noexcept;
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;

  /// Holds `port` on `host` (an IPv4 or IPv6 literal, or "localhost"), or a
  /// free port when `port` is 0. Unavailable when the port is in use
  /// (listened on, or held without SO_REUSEADDR) or the host is not local.
  static absl::StatusOr<PortReservation> Reserve(const std::string& host,
                                                 int port);

  /// The port held; 0 when empty.
  int port() const { return port_; }
  bool held() const { return fd_ >= 0; }
  /// Lets the port go.
  void Release();

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// The port of "scheme://host:port[/path]" or "host:port"; 0 when there is
/// none.
int PortOf(const std::string& endpoint);

/// "host:port", an IPv6 host in brackets.
std::string JoinHostPort(const std::string& host, int port);

}  // namespace cove::hosting

#endif  // COVE_SRC_HOSTING_PORT_RESERVATION_H_
