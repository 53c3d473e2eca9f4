// IP access lists: CIDR parsing and canonical form, matching a client's
// address, the peer address of a gRPC call, and a list that can be swapped
// while a server runs. cove-server enforces one on every call (ServerOptions
// ::ip_access_list); the cloud emulator validates clusters' lists with the
// same parser, so that what the API accepts is exactly what the data plane
// enforces.
//
// Rules (docs/security.md, "IP access lists"):
// - An entry is "a.b.c.d/n" (n 0..32), an IPv6 "x::/n" (n 0..128), or a bare
//   address meaning /32 or /128. No spaces, no zone ("%eth0"), no leading
//   zeros in the prefix length.
// - Host bits must be zero: "10.1.2.3/8" is refused (it names neither the
//   network 10.0.0.0/8 nor the host 10.1.2.3/32, and guessing either could
//   open more than was meant). The error names both readings.
// - The canonical form is lower-case, compressed IPv6 (inet_ntop) and always
//   has its prefix length; IPv4-mapped IPv6 ranges ("::ffff:10.0.0.0/104")
//   become the IPv4 range ("10.0.0.0/8"). The same network twice is refused.
// - An IPv4 client matches only IPv4 entries, also when a dual-stack
//   listener reports it as "::ffff:a.b.c.d"; an IPv6 client matches only
//   IPv6 entries. Empty list: every client is allowed.
#ifndef COVE_SRC_SERVER_IP_ACCESS_H_
#define COVE_SRC_SERVER_IP_ACCESS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace cove::server {

/// At most this many entries in one list.
inline constexpr int kMaxIpAccessListEntries = 64;

/// An IPv4 or IPv6 address (IPv4-mapped IPv6 addresses are IPv4).
struct IpAddress {
  bool v6 = false;
  /// Network byte order; IPv4 uses the first 4 bytes.
  std::array<uint8_t, 16> bytes{};

  int bits() const { return v6 ? 128 : 32; }
  /// "127.0.0.2", "::1".
  std::string ToString() const;
  bool operator==(const IpAddress& o) const {
    return v6 == o.v6 && bytes == o.bytes;
  }
};

/// A network: an address with its host bits zero, and a prefix length.
struct IpNetwork {
  IpAddress address;
  int prefix = 0;

  /// True when `a` is of the same family and its first `prefix` bits are
  /// the network's.
  bool Contains(const IpAddress& a) const;
  /// Canonical "10.0.0.0/8", "2001:db8::/32".
  std::string ToString() const;
};

/// Parses an address ("127.0.0.2", "::1", "::ffff:127.0.0.2"); nullopt-like
/// InvalidArgument when it is none.
absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view text);

/// Parses one entry of an access list (rules above); InvalidArgument naming
/// `field` with what was expected and what it got.
absl::StatusOr<IpNetwork> ParseCidr(absl::string_view field,
                                    absl::string_view text);

/// The client address of a gRPC peer string ("ipv4:127.0.0.2:5555",
/// "ipv6:[::1]:5555", "ipv6:%5B::ffff:127.0.0.2%5D:5555");
/// InvalidArgument for a peer that has no IP address ("unix:...").
absl::StatusOr<IpAddress> PeerAddress(absl::string_view peer);

/// A parsed list.
class IpAccessList {
 public:
  /// Parses `entries` (each as ParseCidr, named `field[i]`); at most
  /// kMaxIpAccessListEntries; no network twice.
  static absl::StatusOr<IpAccessList> Parse(
      absl::string_view field, const std::vector<std::string>& entries);

  /// True when the list is empty (everyone) or a network contains `a`.
  bool Allows(const IpAddress& a) const;
  bool empty() const { return networks_.empty(); }
  /// The canonical entries, in the given order.
  std::vector<std::string> Canonical() const;

 private:
  std::vector<IpNetwork> networks_;
};

/// The canonical form of a list (IpAccessList::Parse then Canonical).
absl::StatusOr<std::vector<std::string>> CanonicalIpAccessList(
    absl::string_view field, const std::vector<std::string>& entries);

/// The list a running server enforces, swapped at run time.
///
/// Thread safety: all methods may be called from any thread.
class IpAccessControl {
 public:
  /// `owner` names whose list it is in refusals ("cluster 'c1'").
  explicit IpAccessControl(std::string owner = "this server");

  /// Replaces the list (InvalidArgument naming `ip_access_list[i]` for a bad
  /// entry; the list in force then stays).
  absl::Status Set(const std::vector<std::string>& entries);
  /// The canonical entries in force.
  std::vector<std::string> Get() const;

  /// OK when the list allows the client of gRPC peer `peer`;
  /// PermissionDenied naming the client's address otherwise (never the
  /// list's entries).
  absl::Status Check(absl::string_view peer) const;

 private:
  const std::string owner_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const IpAccessList> list_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_IP_ACCESS_H_
