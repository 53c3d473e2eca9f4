// IP access lists (ip_access.h).
#include "server/ip_access.h"

#include <arpa/inet.h>

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace cove::server {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};

bool IsMapped(const IpAddress& a) {
  return a.v6 && std::memcmp(a.bytes.data(), kMappedPrefix, 12) == 0;
}

// The IPv4 address of an IPv4-mapped one.
IpAddress Unmap(const IpAddress& a) {
  IpAddress v4;
  v4.v6 = false;
  std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
  return v4;
}

// True when bits [prefix, bits) of `a` are zero.
bool HostBitsZero(const IpAddress& a, int prefix) {
  for (int i = prefix; i < a.bits(); ++i) {
    if ((a.bytes[i / 8] >> (7 - i % 8)) & 1) return false;
  }
  return true;
}

IpAddress Masked(const IpAddress& a, int prefix) {
  IpAddress m = a;
  for (int i = prefix; i < a.bits(); ++i) {
    m.bytes[i / 8] &= static_cast<uint8_t>(~(1u << (7 - i % 8)));
  }
  return m;
}

std::string Shown(absl::string_view text) {
  internal::EscapeOptions o;
  o.max_chars = 64;
  return internal::EscapeForDisplay(std::string_view(text.data(), text.size()),
                                    o);
}

// %XX decoding of gRPC peer strings (newer gRPC escapes '[' and ']').
std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
        absl::ascii_isxdigit(s[i + 2])) {
      const auto hex = [](char c) {
        return absl::ascii_isdigit(c) ? c - '0'
                                      : absl::ascii_tolower(c) - 'a' + 10;
      };
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

bool IpNetwork::Contains(const IpAddress& a) const {
  if (a.v6 != address.v6) return false;
  const int full = prefix / 8;
  if (std::memcmp(a.bytes.data(), address.bytes.data(), full) != 0)
    return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (address.bytes[full] & mask);
}

std::string IpNetwork::ToString() const {
  return absl::StrCat(address.ToString(), "/", prefix);
}

absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view text) {
  const std::string s(text);
  IpAddress a;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  } else if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.v6 = true;
    return IsMapped(a) ? Unmap(a) : a;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "expected an IPv4 or IPv6 address (got '", Shown(text), "')"));
}

absl::StatusOr<IpNetwork> ParseCidr(absl::string_view field,
                                    absl::string_view text) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": expected a CIDR such as 10.0.0.0/8, 2001:db8::/32 or a bare "
        "address",
        why, " (got '", Shown(text), "')"));
  };
  if (text.empty()) return bad("");
  const size_t slash = text.find('/');
  const absl::string_view addr_text = text.substr(0, slash);
  // The address as written (IPv4-mapped kept IPv6 so that the prefix
  // length reads against 128 bits).
  IpAddress raw;
  const std::string s(addr_text);
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), raw.bytes.data()) != 1)
      return bad("; the address part is not an IPv4 address");
  } else {
    if (inet_pton(AF_INET6, s.c_str(), raw.bytes.data()) != 1)
      return bad("; the address part is not an IPv6 address");
    raw.v6 = true;
  }
  int prefix = raw.bits();
  if (slash != absl::string_view::npos) {
    const absl::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0'))
      return bad(absl::StrCat("; the prefix length must be 0 to ", raw.bits()));
    prefix = 0;
    for (char c : p) {
      if (!absl::ascii_isdigit(c))
        return bad(
            absl::StrCat("; the prefix length must be 0 to ", raw.bits()));
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > raw.bits())
      return bad(absl::StrCat("; the prefix length must be 0 to ", raw.bits()));
  }
  if (!HostBitsZero(raw, prefix)) {
    IpNetwork network{Masked(raw, prefix), prefix};
    IpNetwork host{raw, raw.bits()};
    if (IsMapped(raw) && prefix >= 96) {
      network = {Unmap(network.address), prefix - 96};
      host = {Unmap(raw), 32};
    }
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": expected a network address with its host bits zero (got '",
        Shown(text), "': write '", network.ToString(), "' for the network or '",
        host.ToString(), "' for the single address)"));
  }
  IpNetwork n{raw, prefix};
  if (IsMapped(raw) && prefix >= 96) n = {Unmap(raw), prefix - 96};
  return n;
}

absl::StatusOr<IpAddress> PeerAddress(absl::string_view peer) {
  const std::string decoded = PercentDecode(peer);
  absl::string_view p = decoded;
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("client address: expected an IPv4 or IPv6 peer (got '",
                     Shown(peer), "')"));
  };
  if (absl::ConsumePrefix(&p, "ipv4:")) {
    const size_t colon = p.rfind(':');
    if (colon == absl::string_view::npos) return bad();
    auto a = ParseIpAddress(p.substr(0, colon));
    if (!a.ok()) return bad();
    return a;
  }
  if (absl::ConsumePrefix(&p, "ipv6:")) {
    if (!absl::ConsumePrefix(&p, "[")) return bad();
    const size_t close = p.find(']');
    if (close == absl::string_view::npos) return bad();
    absl::string_view host = p.substr(0, close);
    // A zone ("fe80::1%eth0") is not part of the address.
    if (size_t pct = host.find('%'); pct != absl::string_view::npos)
      host = host.substr(0, pct);
    auto a = ParseIpAddress(host);
    if (!a.ok()) return bad();
    return a;
  }
  return bad();
}

absl::StatusOr<IpAccessList> IpAccessList::Parse(
    absl::string_view field, const std::vector<std::string>& entries) {
  if (entries.size() > static_cast<size_t>(kMaxIpAccessListEntries)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected at most ", kMaxIpAccessListEntries,
                     " CIDRs (got ", entries.size(), ")"));
  }
  IpAccessList list;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string name = absl::StrCat(field, "[", i, "]");
    COVE_ASSIGN_OR_RETURN(IpNetwork n, ParseCidr(name, entries[i]));
    for (size_t j = 0; j < list.networks_.size(); ++j) {
      const IpNetwork& o = list.networks_[j];
      if (o.prefix == n.prefix && o.address == n.address) {
        return absl::InvalidArgumentError(absl::StrCat(
            name, ": expected each network once (got '", Shown(entries[i]),
            "', which is ", field, "[", j, "] '", o.ToString(), "' again)"));
      }
    }
    list.networks_.push_back(n);
  }
  return list;
}

bool IpAccessList::Allows(const IpAddress& a) const {
  if (networks_.empty()) return true;
  for (const IpNetwork& n : networks_) {
    if (n.Contains(a)) return true;
  }
  return false;
}

std::vector<std::string> IpAccessList::Canonical() const {
  std::vector<std::string> out;
  out.reserve(networks_.size());
  for (const IpNetwork& n : networks_) out.push_back(n.ToString());
  return out;
}

absl::StatusOr<std::vector<std::string>> CanonicalIpAccessList(
    absl::string_view field, const std::vector<std::string>& entries) {
  COVE_ASSIGN_OR_RETURN(IpAccessList list, IpAccessList::Parse(field, entries));
  return list.Canonical();
}

IpAccessControl::IpAccessControl(std::string owner)
    : owner_(std::move(owner)), list_(std::make_shared<const IpAccessList>()) {}

absl::Status IpAccessControl::Set(const std::vector<std::string>& entries) {
  COVE_ASSIGN_OR_RETURN(IpAccessList list,
                        IpAccessList::Parse("ip_access_list", entries));
  auto shared = std::make_shared<const IpAccessList>(std::move(list));
  absl::MutexLock lock(&mu_);
  list_ = std::move(shared);
  return absl::OkStatus();
}

std::vector<std::string> IpAccessControl::Get() const {
  absl::MutexLock lock(&mu_);
  return list_->Canonical();
}

absl::Status IpAccessControl::Check(absl::string_view peer) const {
  std::shared_ptr<const IpAccessList> list;
  {
    absl::MutexLock lock(&mu_);
    list = list_;
  }
  if (list->empty()) return absl::OkStatus();
  auto a = PeerAddress(peer);
  if (!a.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("client '", Shown(peer),
                     "' has no IP address, and the IP access list of ", owner_,
                     " admits IP clients only"));
  }
  if (list->Allows(*a)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("client address ", a->ToString(),
                   " is not allowed by the IP access list of ", owner_));
}

}  // namespace cove::server
