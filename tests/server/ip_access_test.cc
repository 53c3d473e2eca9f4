// IP access lists (server/ip_access.h): the CIDR parser and matcher against
// an independent bit-string oracle over many generated networks and
// addresses, and cove-server enforcing a list on real connections from
// different loopback source addresses, swapped while it runs.
#include "server/ip_access.h"

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/source_address_client.h"
#include "testing/status_matchers.h"

namespace cove::server {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- the oracle: addresses as strings of '0' and '1' ----------------------

std::string RandomBits(std::mt19937_64& rng, int n) {
  std::string b;
  for (int i = 0; i < n; ++i) b.push_back(rng() & 1 ? '1' : '0');
  return b;
}

int BitsValue(const std::string& bits, int from, int n) {
  int v = 0;
  for (int i = 0; i < n; ++i) v = v * 2 + (bits[from + i] - '0');
  return v;
}

// Written without inet_ntop: dotted decimal, or eight full hex groups.
std::string Format(const std::string& bits) {
  std::string out;
  if (bits.size() == 32) {
    for (int i = 0; i < 4; ++i)
      absl::StrAppend(&out, i ? "." : "", BitsValue(bits, i * 8, 8));
  } else {
    for (int i = 0; i < 8; ++i) {
      char group[8];
      std::snprintf(group, sizeof(group), "%s%x", i ? ":" : "",
                    BitsValue(bits, i * 16, 16));
      out += group;
    }
  }
  return out;
}

bool OracleContains(const std::string& net, int prefix,
                    const std::string& addr) {
  return net.size() == addr.size() &&
         net.compare(0, prefix, addr, 0, prefix) == 0;
}

TEST(IpAccessPropertyTest, MatcherAgreesWithBitStringOracle) {
  std::mt19937_64 rng(20261206);
  int matched = 0, refused_host_bits = 0, checks = 0;
  for (int round = 0; round < 4000; ++round) {
    const int width = rng() % 2 ? 128 : 32;
    const int prefix = static_cast<int>(rng() % (width + 1));
    std::string raw = RandomBits(rng, width);
    // Half of the networks are written with host bits (refused).
    std::string net = raw;
    const bool clean = rng() % 2 == 0;
    if (clean) {
      for (int i = prefix; i < width; ++i) net[i] = '0';
    }
    const bool host_bits = net.find('1', prefix) != std::string::npos;
    const std::string text = absl::StrCat(Format(net), "/", prefix);
    // IPv6 networks inside ::ffff:0:0/96 are IPv4 networks.
    const bool mapped =
        width == 128 && prefix >= 96 &&
        net.compare(0, 96, std::string(80, '0') + std::string(16, '1')) == 0;
    auto parsed = ParseCidr("cidr", text);
    if (host_bits) {
      ++refused_host_bits;
      EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("host bits")))
          << text;
      continue;
    }
    ASSERT_THAT(parsed, IsOk()) << text;
    std::string oracle_net = mapped ? net.substr(96) : net;
    const int oracle_prefix = mapped ? prefix - 96 : prefix;
    // The canonical form reads back to the same network.
    ASSERT_OK_AND_ASSIGN(IpNetwork again,
                         ParseCidr("cidr", parsed->ToString()));
    EXPECT_EQ(again.ToString(), parsed->ToString());
    EXPECT_EQ(parsed->prefix, oracle_prefix) << text;
    for (int k = 0; k < 8; ++k) {
      // Addresses near the network (its prefix, then random), a bit flipped
      // inside the prefix, fully random, and of the other family.
      std::string addr;
      switch (k % 4) {
        case 0:
          addr = oracle_net.substr(0, oracle_prefix) +
                 RandomBits(rng, oracle_net.size() - oracle_prefix);
          break;
        case 1:
          addr = oracle_net.substr(0, oracle_prefix) +
                 RandomBits(rng, oracle_net.size() - oracle_prefix);
          if (oracle_prefix > 0) {
            const int flip = static_cast<int>(rng() % oracle_prefix);
            addr[flip] = addr[flip] == '1' ? '0' : '1';
          }
          break;
        case 2:
          addr = RandomBits(rng, oracle_net.size());
          break;
        default:
          addr = RandomBits(rng, oracle_net.size() == 32 ? 128 : 32);
      }
      std::string addr_text = Format(addr);
      std::string oracle_addr = addr;
      // IPv4 clients also arrive as IPv4-mapped IPv6 peers.
      if (addr.size() == 32 && rng() % 2) {
        addr_text = "::ffff:" + addr_text;
      }
      const bool addr_mapped =
          addr.size() == 128 &&
          addr.compare(0, 96, std::string(80, '0') + std::string(16, '1')) == 0;
      if (addr_mapped) oracle_addr = addr.substr(96);
      ASSERT_OK_AND_ASSIGN(IpAddress a, ParseIpAddress(addr_text));
      const bool want = OracleContains(oracle_net, oracle_prefix, oracle_addr);
      EXPECT_EQ(parsed->Contains(a), want) << text << " contains " << addr_text;
      // Through the peer string gRPC reports.
      const std::string peer = a.v6 || addr_text.find(':') != std::string::npos
                                   ? absl::StrCat("ipv6:[", addr_text, "]:4242")
                                   : absl::StrCat("ipv4:", addr_text, ":4242");
      ASSERT_OK_AND_ASSIGN(IpAddress from_peer, PeerAddress(peer));
      EXPECT_EQ(parsed->Contains(from_peer), want) << peer;
      matched += want;
      ++checks;
    }
  }
  // The generator reached both outcomes often.
  EXPECT_GT(matched, checks / 5);
  EXPECT_LT(matched, checks * 4 / 5);
  EXPECT_GT(refused_host_bits, 1000);
}

TEST(IpAccessTest, ParsesAndCanonicalizes) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> canonical,
      CanonicalIpAccessList(
          "l", {"10.0.0.0/8", "127.0.0.2", "2001:DB8:0:0::/32", "::1",
                "::ffff:192.168.0.0/112", "0.0.0.0/0", "::/0"}));
  EXPECT_THAT(canonical,
              ElementsAre("10.0.0.0/8", "127.0.0.2/32", "2001:db8::/32",
                          "::1/128", "192.168.0.0/16", "0.0.0.0/0", "::/0"));
  ASSERT_OK_AND_ASSIGN(canonical, CanonicalIpAccessList("l", {}));
  EXPECT_THAT(canonical, ElementsAre());
}

TEST(IpAccessTest, RefusesBadEntriesNamingThem) {
  const auto refused = [](const std::string& text) {
    return CanonicalIpAccessList("cluster.ip_access_list", {"10.0.0.0/8", text})
        .status();
  };
  for (const char* bad :
       {"", " 10.0.0.0/8", "10.0.0.0/8 ", "10.0.0.0/", "10.0.0.0/33",
        "10.0.0.0/08", "10.0.0.0/-1", "10.0.0.0/+8", "::/129", "10.0.0/8",
        "010.0.0.0/8", "256.0.0.0/8", "fe80::1%eth0", "host.example",
        "10.0.0.0/8/8", "1:2:3:4:5:6:7:8:9/128", "10.0.0.0/1x"}) {
    EXPECT_THAT(refused(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("cluster.ip_access_list[1]: expected")))
        << "'" << bad << "'";
  }
  EXPECT_THAT(refused("10.1.2.3/8"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("host bits zero (got '10.1.2.3/8': write "
                                 "'10.0.0.0/8' for the network or "
                                 "'10.1.2.3/32' for the single address)")));
  EXPECT_THAT(refused("2001:db8::1/32"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'2001:db8::/32' for the network")));
  EXPECT_THAT(refused("10.0.0.0/8"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.ip_access_list[1]: expected each "
                                 "network once")));
  // The same network written another way is the same network.
  EXPECT_THAT(refused("::ffff:10.0.0.0/104"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected each network once")));
  std::vector<std::string> many;
  for (int i = 0; i <= kMaxIpAccessListEntries; ++i)
    many.push_back(absl::StrCat("10.0.", i, ".0/24"));
  EXPECT_THAT(CanonicalIpAccessList("cluster.ip_access_list", many),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected at most 64 CIDRs (got 65)")));
  many.pop_back();
  EXPECT_THAT(CanonicalIpAccessList("cluster.ip_access_list", many), IsOk());
}

TEST(IpAccessTest, PeerAddresses) {
  const auto shown = [](const std::string& peer) {
    auto a = PeerAddress(peer);
    return a.ok() ? a->ToString() : std::string(a.status().message());
  };
  EXPECT_EQ(shown("ipv4:127.0.0.2:5555"), "127.0.0.2");
  EXPECT_EQ(shown("ipv6:[::1]:5555"), "::1");
  EXPECT_EQ(shown("ipv6:%5B::ffff:127.0.0.2%5D:5555"), "127.0.0.2");
  EXPECT_EQ(shown("ipv6:[::ffff:127.0.0.2]:5555"), "127.0.0.2");
  EXPECT_EQ(shown("ipv6:[fe80::1%25eth0]:5555"), "fe80::1");
  for (const char* bad : {"unix:/tmp/sock", "", "ipv4:", "ipv6:::1:5",
                          "ipv4:example:5", "ipv6:[::1"}) {
    EXPECT_THAT(PeerAddress(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  IpAccessControl control("cluster 'c1'");
  EXPECT_THAT(control.Check("unix:/tmp/sock"), IsOk());  // empty: everyone
  ASSERT_THAT(control.Set({"10.0.0.0/8"}), IsOk());
  EXPECT_THAT(control.Check("unix:/tmp/sock"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("admits IP clients only")));
  EXPECT_THAT(control.Check("ipv4:10.9.8.7:1"), IsOk());
  EXPECT_THAT(
      control.Check("ipv4:11.0.0.1:1"),
      StatusIs(absl::StatusCode::kPermissionDenied,
               "client address 11.0.0.1 is not allowed by the IP access list "
               "of cluster 'c1'"));
  // A bad list leaves the one in force.
  EXPECT_THAT(control.Set({"10.0.0.0/8", "11.0.0.1/8"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ip_access_list[1]")));
  EXPECT_THAT(control.Get(), ElementsAre("10.0.0.0/8"));
}

// ---- cove-server enforcing a list on real connections ----------------------

class IpAccessServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options) {
    options.on_access_denied = [this](const AccessDenial& d) {
      absl::MutexLock lock(&mu_);
      denials_.push_back(d);
    };
    auto started = cove::testing::StartTestServer(options);
    ASSERT_THAT(started, IsOk());
    server_ = *std::move(started);
  }
  std::vector<AccessDenial> Denials() {
    absl::MutexLock lock(&mu_);
    return denials_;
  }

  absl::Mutex mu_;
  std::vector<AccessDenial> denials_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Server> server_;
};

TEST_F(IpAccessServerTest, AllowsListedSourceAddressesAndSwapsAtRunTime) {
  ServerOptions options = cove::testing::TestServerOptions();
  options.ip_access_list = {"127.0.0.2"};
  Start(options);
  const int port = server_->port();
  EXPECT_THAT(server_->ip_access_list(), ElementsAre("127.0.0.2/32"));
  EXPECT_TRUE(cove::testing::ShowCollectionsFrom("127.0.0.2", port).ok());
  grpc::Status refused = cove::testing::ShowCollectionsFrom("127.0.0.3", port);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused.error_message(),
            "client address 127.0.0.3 is not allowed by the IP access list of "
            "this server");
  std::vector<AccessDenial> denials = Denials();
  ASSERT_EQ(denials.size(), 1u);
  EXPECT_EQ(denials[0].kind, AccessDenial::Kind::kNetwork);
  EXPECT_THAT(denials[0].peer, HasSubstr("127.0.0.3"));
  EXPECT_EQ(denials[0].method, "ShowCollections");

  // Swapped while serving: no restart, the next call sees it.
  ASSERT_THAT(server_->SetIpAccessList({"127.0.0.3/32", "::1"}), IsOk());
  EXPECT_EQ(cove::testing::ShowCollectionsFrom("127.0.0.2", port).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(cove::testing::ShowCollectionsFrom("127.0.0.3", port).ok());
  // A /8 admits the whole loopback network.
  ASSERT_THAT(server_->SetIpAccessList({"127.0.0.0/8"}), IsOk());
  EXPECT_TRUE(cove::testing::ShowCollectionsFrom("127.0.0.2", port).ok());
  EXPECT_TRUE(cove::testing::ShowCollectionsFrom("127.0.0.3", port).ok());
  // IPv6 entries do not admit IPv4 clients.
  ASSERT_THAT(server_->SetIpAccessList({"::/0"}), IsOk());
  EXPECT_EQ(cove::testing::ShowCollectionsFrom("127.0.0.2", port).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Empty: open to all.
  ASSERT_THAT(server_->SetIpAccessList({}), IsOk());
  EXPECT_TRUE(cove::testing::ShowCollectionsFrom("127.0.0.3", port).ok());
  EXPECT_THAT(server_->SetIpAccessList({"127.0.0.1/8"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server_->ip_access_list(), ElementsAre());
  EXPECT_EQ(Denials().size(), 3u);
}

TEST_F(IpAccessServerTest, RefusedBeforeAuthenticationAndCounted) {
  ServerOptions options = cove::testing::TestServerOptions();
  options.auth_enabled = true;
  options.root_password = "root-password-1";
  options.ip_access_list = {"127.0.0.2/32"};
  options.ip_access_owner = "cluster 'c1'";
  Start(options);
  const int port = server_->port();
  // No credentials from a refused address: the list answers, not the
  // authentication (a refused client learns nothing about the users).
  grpc::Status refused = cove::testing::ShowCollectionsFrom("127.0.0.3", port);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("not allowed by the IP access list of cluster 'c1'"));
  EXPECT_THAT(refused.error_message(), Not(HasSubstr("127.0.0.2")));
  EXPECT_EQ(cove::testing::ShowCollectionsFrom("127.0.0.3", port, "root",
                                               "root-password-1")
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  int code = -1;
  EXPECT_TRUE(cove::testing::ShowCollectionsFrom("127.0.0.2", port, "root",
                                                 "root-password-1", &code)
                  .ok());
  EXPECT_EQ(code, 0);
  EXPECT_EQ(cove::testing::ShowCollectionsFrom("127.0.0.2", port).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  std::vector<AccessDenial> denials = Denials();
  ASSERT_EQ(denials.size(), 3u);
  EXPECT_EQ(denials[1].kind, AccessDenial::Kind::kNetwork);
  EXPECT_EQ(denials[1].user, "root");
  EXPECT_EQ(denials[2].kind, AccessDenial::Kind::kAuthentication);
  EXPECT_THAT(server_->metrics()->PrometheusText({}),
              HasSubstr("PERMISSION_DENIED"));
}

TEST(IpAccessOptionsTest, BadListRefusedAtStart) {
  ServerOptions options = cove::testing::TestServerOptions();
  options.ip_access_list = {"10.0.0.0/8", "bogus"};
  EXPECT_THAT(cove::testing::StartTestServer(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ip_access_list[1]: expected a CIDR")));
}

// A second listener (a hosted cluster's private endpoint): the same service
// on another address, the same IP access list; a port is required.
TEST(MoreListenAddressesTest, ServedOnBothWithTheSameList) {
  // A free port on 127.0.0.11.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.11", &a.sin_addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);
  close(fd);

  ServerOptions options = cove::testing::TestServerOptions();
  options.more_listen_addresses = {"127.0.0.11:0"};
  EXPECT_THAT(cove::testing::StartTestServer(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more_listen_addresses[0]: expected host:port "
                                 "with a port")));
  options.more_listen_addresses = {"192.0.2.1:40000"};  // not this machine's
  EXPECT_THAT(cove::testing::StartTestServer(options).status(),
              StatusIs(absl::StatusCode::kUnavailable));
  options.more_listen_addresses = {absl::StrCat("127.0.0.11:", port)};
  options.ip_access_list = {"127.0.0.2"};
  ASSERT_OK_AND_ASSIGN(auto server, cove::testing::StartTestServer(options));
  const auto show = [](const std::string& source, const std::string& host,
                       int p) {
    auto channel = cove::testing::ChannelFromSource(source, p, host);
    if (!channel.ok()) return grpc::StatusCode::INTERNAL;
    auto stub = ::milvus::proto::milvus::MilvusService::NewStub(*channel);
    grpc::ClientContext ctx;
    ::milvus::proto::milvus::ShowCollectionsRequest req;
    ::milvus::proto::milvus::ShowCollectionsResponse resp;
    return stub->ShowCollections(&ctx, req, &resp).error_code();
  };
  EXPECT_EQ(show("127.0.0.2", "127.0.0.11", port), grpc::StatusCode::OK);
  EXPECT_EQ(show("127.0.0.3", "127.0.0.11", port),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(show("127.0.0.2", "127.0.0.1", server->port()),
            grpc::StatusCode::OK);
}

}  // namespace
}  // namespace cove::server
