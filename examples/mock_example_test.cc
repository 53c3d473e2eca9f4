// Unit-testing your own code with cove::testing::MockConnection: no engine, no
// server, just the calls your code makes and the answers you choose.
//
// `RecommendTitles` is "application code": it searches a collection and
// turns hits into titles, and degrades gracefully when the database is
// unavailable. The tests pin down both behaviours.
#include <string>
#include <vector>

#include "cove/cove.h"
#include "cove/mocks/mock_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace app {

// Up to `n` titles of the documents closest to `embedding`, or an empty list
// when the database is unavailable; other errors are passed on.
absl::StatusOr<std::vector<std::string>> RecommendTitles(
    cove::Client& client, const std::vector<float>& embedding, int n) {
  cove::SearchRequest request;
  request.collection_name = "articles";
  request.vectors = embedding;
  request.dim = static_cast<int64_t>(embedding.size());
  request.limit = n;
  request.filter = "published == true";
  request.output_fields = {"title"};
  auto results = client.Search(request);
  if (absl::IsUnavailable(results.status())) {
    return std::vector<std::string>{};
  }
  if (!results.ok()) return results.status();
  std::vector<std::string> titles;
  for (const cove::Hit& hit : results->hits.at(0)) {
    titles.push_back(hit.entity.at("title").AsString());
  }
  return titles;
}

}  // namespace app

namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::Return;

cove::Hit MakeHit(int64_t id, const char* title) {
  cove::Hit hit;
  hit.id = cove::Value(id);
  hit.entity = {{"title", cove::Value(title)}};
  return hit;
}

TEST(RecommendTitlesTest, SearchesPublishedArticlesAndReturnsTitles) {
  auto mock = std::make_shared<cove::testing::MockConnection>();
  cove::SearchResults canned;
  canned.hits = {{MakeHit(1, "Tides"), MakeHit(7, "Reefs")}};
  EXPECT_CALL(
      *mock,
      Search(AllOf(Field(&cove::SearchRequest::collection_name, "articles"),
                   Field(&cove::SearchRequest::filter, "published == true"),
                   Field(&cove::SearchRequest::limit, 2)),
             _))
      .WillOnce(Return(canned));
  cove::Client client(mock);
  auto titles = app::RecommendTitles(client, {0.1f, 0.2f, 0.3f}, 2);
  ASSERT_TRUE(titles.ok()) << titles.status();
  EXPECT_THAT(*titles, ElementsAre("Tides", "Reefs"));
}

TEST(RecommendTitlesTest, UnavailableDatabaseGivesNoRecommendations) {
  auto mock = std::make_shared<cove::testing::MockConnection>();
  EXPECT_CALL(*mock, Search)
      .WillOnce(Return(absl::UnavailableError("connection refused")));
  cove::Client client(mock);
  auto titles = app::RecommendTitles(client, {0.1f, 0.2f}, 3);
  ASSERT_TRUE(titles.ok());
  EXPECT_TRUE(titles->empty());
}

TEST(RecommendTitlesTest, OtherErrorsArePassedOn) {
  auto mock = std::make_shared<cove::testing::MockConnection>();
  EXPECT_CALL(*mock, Search)
      .WillOnce(Return(absl::NotFoundError("collection 'articles'")));
  cove::Client client(mock);
  EXPECT_EQ(app::RecommendTitles(client, {0.5f}, 1).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
