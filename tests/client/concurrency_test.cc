// One client shared by many threads, and the asynchronous API.
#include <atomic>
#include <future>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;

constexpr int kDim = 16;

std::vector<float> Vec(std::mt19937& rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(kDim);
  for (float& x : v) x = g(rng);
  return v;
}

TEST(ConcurrencyTest, OneClientHammeredFromEightThreads) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:"));
  ASSERT_OK(client.CreateCollection("c", kDim));
  constexpr int kThreads = 8;
  constexpr int kOps = 150;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kOps; ++i) {
        const int64_t id = t * 100000 + i;
        switch (i % 4) {
          case 0:
          case 1: {
            auto r =
                client.Insert("c", {{{"id", Value(id)},
                                     {"vector", Value::FloatVector(Vec(rng))},
                                     {"thread", Value(t)}}});
            if (!r.ok()) ++errors;
            break;
          }
          case 2: {
            SearchRequest s;
            s.collection_name = "c";
            s.vectors = Vec(rng);
            s.dim = kDim;
            s.limit = 5;
            s.filter = "thread == " + std::to_string(t);
            auto r = client.Search(s);
            if (!r.ok()) {
              ++errors;
              break;
            }
            for (const Hit& h : r->hits[0]) {
              if (h.id.AsInt() / 100000 != t) ++errors;  // filter honoured
            }
            break;
          }
          case 3: {
            // Delete this thread's previous row.
            auto r = client.Delete("c", {Value(id - 3)});
            if (!r.ok() || r->count != 1) ++errors;
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  QueryRequest count;
  count.collection_name = "c";
  count.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto rows, client.Query(count));
  // Per thread: ops with i % 4 in {0, 1} insert, i % 4 == 3 deletes.
  int64_t live = 0;
  for (int i = 0; i < kOps; ++i) {
    live += (i % 4 == 0 || i % 4 == 1) ? 1 : (i % 4 == 3 ? -1 : 0);
  }
  EXPECT_EQ(rows[0].at("count(*)").AsInt(), kThreads * live);
}

TEST(AsyncTest, ManySearchesInFlightMatchTheBlockingResults) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:"));
  ASSERT_OK(client.CreateCollection("c", kDim));
  std::mt19937 rng(5);
  InsertRequest insert;
  insert.collection_name = "c";
  for (int i = 0; i < 500; ++i) {
    insert.rows.push_back(
        {{"id", Value(i)}, {"vector", Value::FloatVector(Vec(rng))}});
  }
  ASSERT_OK_AND_ASSIGN(MutationResult inserted,
                       client.InsertAsync(insert).get());
  EXPECT_EQ(inserted.count, 500);

  std::vector<SearchRequest> requests;
  std::vector<std::future<absl::StatusOr<SearchResults>>> futures;
  for (int q = 0; q < 64; ++q) {
    SearchRequest s;
    s.collection_name = "c";
    s.vectors = Vec(rng);
    s.dim = kDim;
    s.limit = 3;
    requests.push_back(s);
    futures.push_back(client.SearchAsync(s));
  }
  for (int q = 0; q < 64; ++q) {
    ASSERT_OK_AND_ASSIGN(SearchResults async_result, futures[q].get());
    ASSERT_OK_AND_ASSIGN(SearchResults sync_result, client.Search(requests[q]));
    ASSERT_EQ(async_result.hits[0].size(), 3u);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(async_result.hits[0][i].id, sync_result.hits[0][i].id);
    }
  }

  // Callbacks run on worker threads; errors arrive the same way.
  absl::Mutex mu;
  int done = 0;
  int not_found = 0;
  absl::Notification all_done;
  for (int q = 0; q < 10; ++q) {
    SearchRequest s = requests[q];
    if (q % 2 == 1) s.collection_name = "missing";
    client.SearchAsync(s, [&](absl::StatusOr<SearchResults> r) {
      absl::MutexLock lock(&mu);
      if (absl::IsNotFound(r.status())) ++not_found;
      if (++done == 10) all_done.Notify();
    });
  }
  all_done.WaitForNotification();
  EXPECT_EQ(not_found, 5);

  ASSERT_OK_AND_ASSIGN(auto got, client.GetAsync("c", {Value(7)}).get());
  ASSERT_EQ(got.size(), 1u);
  DeleteRequest del;
  del.collection_name = "c";
  del.filter = "id < 100";
  ASSERT_OK_AND_ASSIGN(MutationResult deleted, client.DeleteAsync(del).get());
  EXPECT_EQ(deleted.count, 100);
}

TEST(AsyncTest, PendingCallsFinishWhenTheClientGoesAway) {
  std::future<absl::StatusOr<SearchResults>> pending;
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:"));
    ASSERT_OK(client.CreateCollection("c", 2));
    ASSERT_OK(client
                  .Insert("c", {{{"id", Value(1)},
                                 {"vector", Value::FloatVector({1, 0})}}})
                  .status());
    SearchRequest s;
    s.collection_name = "c";
    s.vectors = {1, 0};
    s.dim = 2;
    pending = client.SearchAsync(s);
  }
  ASSERT_OK_AND_ASSIGN(SearchResults r, pending.get());
  EXPECT_EQ(r.hits[0][0].id.AsInt(), 1);
}

}  // namespace
}  // namespace cove
