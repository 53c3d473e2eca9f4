// Tests of cove::Client: URI dispatch, options, and the default Connection.
#include "cove/client.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ClientOpenTest, MemoryUriOpensEmbedded) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:"));
  EXPECT_EQ(client.connection()->backend_name(), "embedded");
}

TEST(ClientOpenTest, EmptyUriIsInvalid) {
  EXPECT_THAT(Client::Open(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("uri")));
}

TEST(ClientOpenTest, UnknownSchemeIsInvalid) {
  EXPECT_THAT(Client::Open("ftp://host:1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown scheme")));
}

TEST(ClientOpenTest, RemoteWithoutServerIsUnavailable) {
  ClientOptions options;
  options.remote.timeout = std::chrono::milliseconds(500);
  options.remote.max_attempts = 1;
  EXPECT_THAT(Client::Open("http://127.0.0.1:1", options),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ClientOpenTest, InvalidOptionsAreRejected) {
  ClientOptions options;
  options.remote.max_attempts = 0;
  EXPECT_THAT(
      Client::Open(":memory:", options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_attempts")));
}

TEST(OptionsTest, ValidateNamesTheField) {
  RemoteOptions remote;
  EXPECT_THAT(remote.Validate(), IsOk());
  remote.client_cert_file = "cert.pem";
  EXPECT_THAT(remote.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("client_key_file")));
  EmbeddedOptions embedded;
  embedded.encryption_key = "short";
  EXPECT_THAT(embedded.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("encryption_key")));
  embedded.encryption_key.clear();
  embedded.index_threads = -1;
  EXPECT_THAT(embedded.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("index_threads")));
  embedded.index_threads = 0;
  embedded.segment_seal_rows = 0;
  EXPECT_THAT(embedded.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("segment_seal_rows")));
  embedded.segment_seal_rows = 100;
  embedded.compaction_deleted_ratio = 1.5;
  EXPECT_THAT(embedded.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("compaction_deleted_ratio")));
}

TEST(OptionsTest, EnvironmentFillsUnsetValuesOnly) {
  setenv("COVE_DB_NAME", "envdb", 1);
  setenv("COVE_TIMEOUT_MS", "1234", 1);
  ClientOptions options;
  options = ApplyEnvironment(options);
  EXPECT_EQ(options.remote.db_name, "envdb");
  EXPECT_EQ(options.remote.timeout.count(), 1234);
  ClientOptions explicit_db;
  explicit_db.remote.db_name = "mine";
  EXPECT_EQ(ApplyEnvironment(explicit_db).remote.db_name, "mine");
  unsetenv("COVE_DB_NAME");
  unsetenv("COVE_TIMEOUT_MS");
}

// A connection that implements nothing: every call says which backend and
// which method is missing.
class EmptyConnection : public Connection {
 public:
  std::string backend_name() const override { return "empty"; }
};

TEST(ConnectionTest, DefaultMethodsAreUnimplemented) {
  Client client(std::make_shared<EmptyConnection>());
  EXPECT_THAT(client.ListCollections(),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("ListCollections: not supported by the "
                                 "'empty' backend")));
  EXPECT_THAT(client.Search(SearchRequest{}),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("Search")));
  EXPECT_THAT(client.Compact("c"),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("Compact")));
}

TEST(ClientTest, QuickCreateRejectsBadDimension) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:"));
  EXPECT_THAT(
      client.CreateCollection("c", 0),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dimension")));
}

}  // namespace
}  // namespace cove
