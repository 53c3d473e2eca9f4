// TLS and mutual TLS between the remote backend and cove-server, with a
// throwaway CA made by the openssl command at test time.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/cove-tls-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    dir_ = new std::string(dir);
    std::ofstream(*dir_ + "/san.ext")
        << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    const std::string d = *dir_;
    const std::string script =
        "cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
        "'/CN=cove test CA' -keyout ca.key -out ca.pem"
        " && openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' "
        "-keyout server.key -out server.csr"
        " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -days 1 -extfile san.ext -out server.pem"
        " && openssl req -newkey rsa:2048 -nodes -subj '/CN=client' "
        "-keyout client.key -out client.csr"
        " && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -days 1 -out client.pem";
    ASSERT_EQ(std::system((script + " >/dev/null 2>&1").c_str()), 0)
        << "openssl failed in " << d;
  }

  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      std::system(("rm -rf " + *dir_).c_str());
      delete dir_;
      dir_ = nullptr;
    }
  }

  std::string File(const char* name) { return *dir_ + "/" + name; }

  std::unique_ptr<server::Server> Start(bool mutual) {
    server::ServerOptions options = cove::testing::TestServerOptions();
    options.tls_cert_file = File("server.pem");
    options.tls_key_file = File("server.key");
    if (mutual) options.tls_client_ca_file = File("ca.pem");
    auto server = cove::testing::StartTestServer(options);
    EXPECT_THAT(server, IsOk());
    return server.ok() ? *std::move(server) : nullptr;
  }

  static ClientOptions Options() {
    ClientOptions options = cove::testing::TestClientOptions();
    options.remote.max_attempts = 2;
    options.remote.timeout = std::chrono::seconds(5);
    return options;
  }

  static std::string* dir_;
};

std::string* TlsTest::dir_ = nullptr;

TEST_F(TlsTest, TrustedCaConnects) {
  auto server = Start(/*mutual=*/false);
  ASSERT_NE(server, nullptr);
  ClientOptions options = Options();
  options.remote.ca_cert_file = File("ca.pem");
  auto client = Client::Open("https://" + server->address(), options);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(client->CreateCollection("docs", 2), IsOk());
  // The name checked can be overridden (here: the certificate's DNS name).
  options.remote.server_name = "localhost";
  EXPECT_THAT(Client::Open("https://" + server->address(), options), IsOk());
}

TEST_F(TlsTest, UntrustedServerIsRefused) {
  auto server = Start(/*mutual=*/false);
  ASSERT_NE(server, nullptr);
  // System roots do not know the test CA.
  EXPECT_THAT(Client::Open("https://" + server->address(), Options()),
              StatusIs(absl::StatusCode::kUnavailable));
  // Plain text against a TLS port fails too.
  EXPECT_THAT(Client::Open("http://" + server->address(), Options()),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificate) {
  auto server = Start(/*mutual=*/true);
  ASSERT_NE(server, nullptr);
  ClientOptions options = Options();
  options.remote.ca_cert_file = File("ca.pem");
  EXPECT_THAT(Client::Open("https://" + server->address(), options),
              StatusIs(absl::StatusCode::kUnavailable));
  options.remote.client_cert_file = File("client.pem");
  options.remote.client_key_file = File("client.key");
  auto client = Client::Open("https://" + server->address(), options);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(client->ListCollections(), IsOk());
}

TEST_F(TlsTest, MissingFilesAreReported) {
  ClientOptions options = Options();
  options.remote.ca_cert_file = "/nonexistent/ca.pem";
  EXPECT_THAT(Client::Open("https://127.0.0.1:1", options),
              StatusIs(absl::StatusCode::kNotFound,
                       ::testing::HasSubstr("ca_cert_file")));
  server::ServerOptions server_options = cove::testing::TestServerOptions();
  server_options.tls_cert_file = "/nonexistent/server.pem";
  server_options.tls_key_file = "/nonexistent/server.key";
  EXPECT_THAT(cove::testing::StartTestServer(server_options),
              StatusIs(absl::StatusCode::kNotFound,
                       ::testing::HasSubstr("tls_cert_file")));
}

}  // namespace
}  // namespace cove
