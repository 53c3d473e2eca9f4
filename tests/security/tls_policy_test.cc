// TLS policy of our servers (cove-server, cove-cloud's gRPC and HTTP
// ports): TLS 1.2 and 1.3
// only, AEAD cipher suites only; and of our clients: certificates verified
// by default, skipped only with the explicitly named dangerous option.
//
// The servers are probed with a raw OpenSSL client whose own limits are
// lowered (security level 0, old protocol versions and CBC suites allowed)
// so that a refused handshake proves the server's policy, not the client's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "cloud/cloud_fixture.h"
#include "cove/client.h"
#include "cove/control.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

struct Probe {
  bool ok = false;
  std::string version;  // "TLSv1.3"
  std::string cipher;   // OpenSSL name
  std::string error;    // why the handshake failed
};

// One TLS handshake with 127.0.0.1:port, limited to [min, max] versions and
// the given suites ("" keeps OpenSSL's list).
Probe Handshake(int port, int min_version, int max_version,
                const std::string& tls12_ciphers,
                const std::string& tls13_suites) {
  Probe probe;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(
      SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_min_proto_version(ctx.get(), min_version);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  if (!tls12_ciphers.empty() &&
      SSL_CTX_set_cipher_list(ctx.get(), tls12_ciphers.c_str()) != 1) {
    probe.error = "client rejected cipher list " + tls12_ciphers;
    return probe;
  }
  if (!tls13_suites.empty() &&
      SSL_CTX_set_ciphersuites(ctx.get(), tls13_suites.c_str()) != 1) {
    probe.error = "client rejected suites " + tls13_suites;
    return probe;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof(kAlpn));

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    probe.error = "connect failed";
    return probe;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  SSL* ssl = SSL_new(ctx.get());
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  ERR_clear_error();
  if (SSL_connect(ssl) == 1) {
    probe.ok = true;
    probe.version = SSL_get_version(ssl);
    probe.cipher = SSL_get_cipher_name(ssl);
    SSL_shutdown(ssl);
  } else {
    char buf[256];
    ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
    probe.error = buf;
  }
  SSL_free(ssl);
  ::close(fd);
  return probe;
}

class TlsPolicyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/cove-tlspolicy-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    dir_ = new std::string(dir);
    std::ofstream(*dir_ + "/san.ext")
        << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    const std::string script =
        "cd " + *dir_ +
        " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
        "'/CN=cove policy CA' -keyout ca.key -out ca.pem"
        " && openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' "
        "-keyout server.key -out server.csr"
        " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -days 1 -extfile san.ext -out server.pem"
        " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
        "'/CN=localhost' -addext 'subjectAltName=IP:127.0.0.1' "
        "-keyout self.key -out self.pem";
    ASSERT_EQ(std::system((script + " >/dev/null 2>&1").c_str()), 0)
        << "openssl failed in " << *dir_;
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      std::system(("rm -rf " + *dir_).c_str());
      delete dir_;
      dir_ = nullptr;
    }
  }
  static std::string File(const char* name) { return *dir_ + "/" + name; }

  // A cove-server with TLS from `cert`/`key`.
  static std::unique_ptr<server::Server> StartDataPlane(const char* cert,
                                                        const char* key) {
    server::ServerOptions options = cove::testing::TestServerOptions();
    options.tls_cert_file = File(cert);
    options.tls_key_file = File(key);
    auto server = cove::testing::StartTestServer(options);
    EXPECT_THAT(server, IsOk());
    return server.ok() ? *std::move(server) : nullptr;
  }

  // Every probe of the policy against one port.
  static void CheckPolicy(int port) {
    // Old protocol versions: refused by the server.
    for (int v : {TLS1_VERSION, TLS1_1_VERSION}) {
      Probe p = Handshake(port, v, v, "ALL:@SECLEVEL=0", "");
      EXPECT_FALSE(p.ok) << "version " << v << " accepted with " << p.cipher;
    }
    // TLS 1.2 with CBC or non-ECDHE suites only: refused.
    for (const char* cbc :
         {"AES256-SHA", "AES128-SHA256", "ECDHE-RSA-AES256-SHA",
          "ECDHE-RSA-AES128-SHA256", "AES256-GCM-SHA384"}) {
      Probe p = Handshake(port, TLS1_2_VERSION, TLS1_2_VERSION, cbc, "");
      EXPECT_FALSE(p.ok) << cbc << " accepted";
    }
    // TLS 1.2 with AES-256-GCM: accepted and used.
    Probe gcm = Handshake(port, TLS1_2_VERSION, TLS1_2_VERSION,
                          "ECDHE-RSA-AES256-GCM-SHA384", "");
    EXPECT_TRUE(gcm.ok) << gcm.error;
    EXPECT_EQ(gcm.version, "TLSv1.2");
    EXPECT_EQ(gcm.cipher, "ECDHE-RSA-AES256-GCM-SHA384");
    // TLS 1.3 with AES-256-GCM.
    Probe t13 = Handshake(port, TLS1_3_VERSION, TLS1_3_VERSION, "",
                          "TLS_AES_256_GCM_SHA384");
    EXPECT_TRUE(t13.ok) << t13.error;
    EXPECT_EQ(t13.version, "TLSv1.3");
    EXPECT_EQ(t13.cipher, "TLS_AES_256_GCM_SHA384");
    // Whatever a default client negotiates is AEAD.
    Probe any =
        Handshake(port, TLS1_VERSION, TLS1_3_VERSION, "ALL:@SECLEVEL=0", "");
    EXPECT_TRUE(any.ok) << any.error;
    EXPECT_THAT(any.cipher,
                ::testing::AnyOf(HasSubstr("GCM"), HasSubstr("CHACHA20")));
  }

  static std::string* dir_;
};

std::string* TlsPolicyTest::dir_ = nullptr;

TEST_F(TlsPolicyTest, DataPlaneServerAcceptsOnlyModernAeadTls) {
  auto server = StartDataPlane("server.pem", "server.key");
  ASSERT_NE(server, nullptr);
  CheckPolicy(server->port());
}

TEST_F(TlsPolicyTest, ControlPlaneServerAcceptsOnlyModernAeadTls) {
  cloud::testing::TempDir state;
  cloud::CloudOptions options =
      cloud::testing::TestCloudOptions(state.path() + "/state");
  options.tls_cert_file = File("server.pem");
  options.tls_key_file = File("server.key");
  auto cloud = cloud::StartCloud(options);
  ASSERT_THAT(cloud, IsOk());
  CheckPolicy((*cloud)->port());
}

TEST_F(TlsPolicyTest, ControlPlaneHttpPortAcceptsOnlyModernAeadTls) {
  cloud::testing::TempDir state;
  cloud::CloudOptions options =
      cloud::testing::TestCloudOptions(state.path() + "/state");
  options.tls_cert_file = File("server.pem");
  options.tls_key_file = File("server.key");
  options.http_listen_address = "127.0.0.1:0";
  auto cloud = cloud::StartCloud(options);
  ASSERT_THAT(cloud, IsOk());
  ASSERT_GT((*cloud)->http_port(), 0);
  CheckPolicy((*cloud)->http_port());
}

ClientOptions ShortClientOptions() {
  ClientOptions options = cove::testing::TestClientOptions();
  options.remote.max_attempts = 1;
  options.remote.timeout = std::chrono::seconds(5);
  return options;
}

TEST_F(TlsPolicyTest, ClientVerifiesCertificatesByDefault) {
  auto server = StartDataPlane("server.pem", "server.key");
  ASSERT_NE(server, nullptr);
  const std::string uri = "https://" + server->address();
  // The system roots do not know the test CA.
  auto refused = Client::Open(uri, ShortClientOptions());
  if (refused.ok()) {
    EXPECT_THAT(refused->ListCollections(),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  // Nor does another CA.
  ClientOptions other = ShortClientOptions();
  other.remote.ca_cert_file = File("self.pem");
  auto wrong_ca = Client::Open(uri, other);
  if (wrong_ca.ok()) {
    EXPECT_THAT(wrong_ca->ListCollections(),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  // The issuing CA works.
  ClientOptions trusted = ShortClientOptions();
  trusted.remote.ca_cert_file = File("ca.pem");
  auto ok = Client::Open(uri, trusted);
  ASSERT_THAT(ok, IsOk());
  EXPECT_THAT(ok->ListCollections(), IsOk());
}

TEST_F(TlsPolicyTest, SkippingVerificationNeedsTheDangerousOption) {
  auto server = StartDataPlane("self.pem", "self.key");
  ASSERT_NE(server, nullptr);
  ClientOptions options = ShortClientOptions();
  options.remote.dangerously_skip_tls_verification = true;
  ::testing::internal::CaptureStderr();
  auto client = Client::Open("https://" + server->address(), options);
  const std::string warning = ::testing::internal::GetCapturedStderr();
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(warning, HasSubstr("dangerously_skip_tls_verification"));
  EXPECT_THAT(warning, HasSubstr("NOT verified"));
  EXPECT_THAT(client->ListCollections(), IsOk());

  // Asking for a CA and for no verification at once is a contradiction.
  options.remote.ca_cert_file = File("ca.pem");
  EXPECT_THAT(Client::Open("https://" + server->address(), options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dangerously_skip_tls_verification")));
}

TEST_F(TlsPolicyTest, ControlClientVerifiesUnlessToldNotTo) {
  cloud::testing::TempDir state;
  cloud::CloudOptions options =
      cloud::testing::TestCloudOptions(state.path() + "/state");
  options.tls_cert_file = File("self.pem");
  options.tls_key_file = File("self.key");
  auto cloud = cloud::StartCloud(options);
  ASSERT_THAT(cloud, IsOk());

  ControlOptions copts;
  copts.endpoint = "https://" + (*cloud)->address();
  copts.api_key = cloud::testing::kAdminKey;
  copts.timeout = std::chrono::seconds(5);
  copts.max_attempts = 1;
  auto verified = ControlClient::Connect(copts);
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->ListOrganizations().status(),
              StatusIs(absl::StatusCode::kUnavailable));

  copts.dangerously_skip_tls_verification = true;
  ::testing::internal::CaptureStderr();
  auto skipping = ControlClient::Connect(copts);
  const std::string warning = ::testing::internal::GetCapturedStderr();
  ASSERT_THAT(skipping, IsOk());
  EXPECT_THAT(warning, HasSubstr("dangerously_skip_tls_verification"));
  EXPECT_THAT(skipping->ListOrganizations().status(), IsOk());
}

}  // namespace
}  // namespace cove
