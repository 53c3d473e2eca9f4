// A server stopped and restarted on the same port during a read loop: calls
// in flight fail with Unavailable or succeed on retry, and the same client
// resumes once the server is back.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;

TEST(RestartTest, ClientResumesAfterServerRestart) {
  auto conn = internal::MakeEmbeddedConnection(":memory:", EmbeddedOptions{});
  ASSERT_THAT(conn, IsOk());
  server::ServerOptions options = cove::testing::TestServerOptions();
  options.connection = *conn;
  auto first = server::StartServer(options);
  ASSERT_THAT(first, IsOk());
  const std::string address = (*first)->address();

  ClientOptions client_options = cove::testing::TestClientOptions();
  client_options.remote.max_attempts = 40;
  client_options.remote.timeout = std::chrono::seconds(20);
  auto client = Client::Open("http://" + address, client_options);
  ASSERT_THAT(client, IsOk());
  ASSERT_THAT(client->CreateCollection("docs", 2), IsOk());
  ASSERT_THAT(
      client->Insert("docs", {Row{{"id", Value(1)},
                                  {"vector", Value::FloatVector({1, 0})}}}),
      IsOk());

  std::atomic<bool> stop{false};
  std::atomic<bool> restarted{false};
  std::atomic<int> ok_before{0}, ok_after{0};
  absl::Mutex mu;
  std::vector<absl::Status> failures;
  std::thread reader([&] {
    QueryRequest count;
    count.collection_name = "docs";
    count.output_fields = {"count(*)"};
    while (!stop.load()) {
      bool after = restarted.load();
      auto rows = client->Query(count);
      if (rows.ok()) {
        EXPECT_EQ(rows->at(0).at("count(*)"), Value(1));
        (after ? ok_after : ok_before)++;
      } else {
        absl::MutexLock lock(&mu);
        failures.push_back(rows.status());
      }
    }
  });

  auto wait_for = [](const std::atomic<int>& counter, int n) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (counter.load() < n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return counter.load() >= n;
  };
  ASSERT_TRUE(wait_for(ok_before, 20));
  // Kill the server (no grace), keep it down a while, restart on the port.
  (*first)->Shutdown(std::chrono::milliseconds(0));
  (*first)->Wait();
  first->reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  options.listen_address = address;
  auto second = server::StartServer(options);
  ASSERT_THAT(second, IsOk());
  restarted = true;
  EXPECT_TRUE(wait_for(ok_after, 20));
  stop = true;
  reader.join();

  absl::MutexLock lock(&mu);
  for (const absl::Status& s : failures) {
    EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  }
  // The same client keeps working for writes too.
  EXPECT_THAT(
      client->Insert("docs", {Row{{"id", Value(2)},
                                  {"vector", Value::FloatVector({0, 1})}}}),
      IsOk());
}

TEST(RestartTest, NoServerIsUnavailable) {
  // Find a free port, then close it.
  auto server = cove::testing::StartTestServer();
  ASSERT_THAT(server, IsOk());
  std::string address = (*server)->address();
  server->reset();
  ClientOptions options = cove::testing::TestClientOptions();
  options.remote.max_attempts = 2;
  EXPECT_THAT(Client::Open("http://" + address, options),
              cove::testing::StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace cove
