// The public MockConnection lets users test code that uses cove::Client.
#include "cove/mocks/mock_connection.h"

#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::MockConnection;
using ::cove::testing::StatusIs;
using ::testing::_;
using ::testing::Field;
using ::testing::Return;

// Code under test: returns the id of the best hit, or -1.
int64_t BestMatch(Client& client, const std::vector<float>& query) {
  SearchRequest request;
  request.collection_name = "docs";
  request.vectors = query;
  request.dim = query.size();
  request.limit = 1;
  auto results = client.Search(request);
  if (!results.ok() || results->hits.empty() || results->hits[0].empty()) {
    return -1;
  }
  return results->hits[0][0].id.AsInt();
}

TEST(MockConnectionTest, DrivesClientCode) {
  auto mock = std::make_shared<MockConnection>();
  SearchResults canned;
  Hit hit;
  hit.id = Value(42);
  hit.distance = 0.9f;
  canned.hits = {{hit}};
  EXPECT_CALL(*mock, Search(Field(&SearchRequest::collection_name, "docs"), _))
      .WillOnce(Return(canned))
      .WillOnce(Return(absl::UnavailableError("server restarting")));
  Client client(mock);
  EXPECT_EQ(BestMatch(client, {1, 2, 3}), 42);
  EXPECT_EQ(BestMatch(client, {1, 2, 3}), -1);
  EXPECT_EQ(client.connection()->backend_name(), "mock");
}

TEST(MockConnectionTest, UnmockedCallsFallBackToGmockDefaults) {
  auto mock = std::make_shared<::testing::NiceMock<MockConnection>>();
  ON_CALL(*mock, DropCollection)
      .WillByDefault(Return(absl::NotFoundError("collection 'x' not found")));
  Client client(mock);
  EXPECT_THAT(client.DropCollection("x"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace cove
