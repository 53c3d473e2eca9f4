// Data-plane metrics: the Prometheus text writer and parser, the latency
// quantiles, and a server's /metrics endpoint after real requests.
#include "server/metrics.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics_http.h"
#include "server/prometheus.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PrometheusText, WritesAndParsesEscapes) {
  prometheus::TextWriter w;
  w.Family("demo_requests_total", prometheus::Type::kCounter,
           "Requests with a \\ and a\nnewline.");
  w.Sample({{"path", "a\"b\\c\nd"}, {"code", "OK"}}, 3);
  w.Sample({{"path", "plain"}, {"code", "OK"}}, 12345678901);
  w.Family("demo_ratio", prometheus::Type::kGauge, "A ratio.");
  w.Sample({}, 0.25);
  w.Family("demo_latency_seconds", prometheus::Type::kHistogram, "Latency.");
  w.Histogram({{"kind", "search"}}, {0.1, 1}, {2, 3, 1}, 4.5);
  const std::string text = w.Take();
  EXPECT_THAT(text, HasSubstr("# HELP demo_requests_total Requests with a "
                              "\\\\ and a\\nnewline.\n"));
  EXPECT_THAT(text, HasSubstr("path=\"a\\\"b\\\\c\\nd\""));
  EXPECT_THAT(text, HasSubstr("demo_latency_seconds_bucket{kind=\"search\","
                              "le=\"+Inf\"} 6\n"));

  auto parsed = prometheus::ParseText(text);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->help["demo_requests_total"],
            "Requests with a \\ and a\nnewline.");
  EXPECT_EQ(parsed->types["demo_latency_seconds"],
            prometheus::Type::kHistogram);
  auto odd = parsed->Find("demo_requests_total", {{"path", "a\"b\\c\nd"}});
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0]->value, 3);
  auto big = parsed->Find("demo_requests_total", {{"path", "plain"}});
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big[0]->value, 12345678901.0);
  EXPECT_EQ(parsed->Find("demo_ratio")[0]->value, 0.25);
  auto le1 = parsed->Find("demo_latency_seconds_bucket", {{"le", "1"}});
  ASSERT_EQ(le1.size(), 1u);
  EXPECT_EQ(le1[0]->value, 5);  // cumulative
  EXPECT_EQ(parsed->Find("demo_latency_seconds_count")[0]->value, 6);
  EXPECT_EQ(parsed->Find("demo_latency_seconds_sum")[0]->value, 4.5);
}

TEST(PrometheusText, FormatsSpecialValues) {
  EXPECT_EQ(prometheus::FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(prometheus::FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(prometheus::FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(prometheus::FormatValue(42), "42");
  EXPECT_EQ(prometheus::FormatValue(0.1), "0.1");
  auto parsed = prometheus::ParseText("x NaN\ny +Inf\nz -Inf 1700000000\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(std::isnan(parsed->samples[0].value));
  EXPECT_TRUE(std::isinf(parsed->samples[1].value));
}

TEST(PrometheusText, RejectsMalformedLines) {
  EXPECT_THAT(
      prometheus::ParseText("1abc 3\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(
      prometheus::ParseText("ok 1\nx{a=\"unterminated} 1\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_THAT(
      prometheus::ParseText("x{a=\"\\q\"} 1\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("escape")));
  EXPECT_THAT(
      prometheus::ParseText("x one\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a number")));
  EXPECT_THAT(
      prometheus::ParseText("# TYPE x counter\n# TYPE x gauge\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("second TYPE")));
  EXPECT_THAT(prometheus::ParseText("x 1\n# TYPE x gauge\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("after its samples")));
  EXPECT_THAT(
      prometheus::ParseText("# TYPE x meter\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown type")));
}

TEST(ServerMetrics, QuantilesAndWindow) {
  const std::vector<double> bounds = {1, 2, 4};
  // 10 in (0,1], 10 in (1,2], none above.
  EXPECT_DOUBLE_EQ(server::HistogramQuantile(0.5, bounds, {10, 10, 0, 0}), 1);
  EXPECT_DOUBLE_EQ(server::HistogramQuantile(0.75, bounds, {10, 10, 0, 0}),
                   1.5);
  EXPECT_DOUBLE_EQ(server::HistogramQuantile(0.99, bounds, {0, 0, 0, 5}), 4);
  EXPECT_EQ(server::HistogramQuantile(0.5, bounds, {0, 0, 0, 0}), 0);

  server::ServerMetrics m;
  for (int i = 0; i < 7; ++i) {
    m.Record(server::RpcKind::kSearch, absl::StatusCode::kOk,
             absl::Milliseconds(3));
  }
  m.Record(server::RpcKind::kInsert, absl::StatusCode::kResourceExhausted,
           absl::Microseconds(50));
  auto s = m.Read();
  const auto& search = s.kinds[static_cast<int>(server::RpcKind::kSearch)];
  EXPECT_EQ(search.requests(), 7u);
  EXPECT_EQ(search.errors(), 0u);
  EXPECT_NEAR(search.latency_sum_seconds, 0.021, 1e-9);
  EXPECT_EQ(s.kinds[static_cast<int>(server::RpcKind::kInsert)].errors(), 1u);
  // Every record happened in the last 600 s of this process.
  EXPECT_EQ(m.RequestsInWindow(server::ServerMetrics::kWindowSeconds), 8u);
  EXPECT_EQ(m.RequestsInWindow(server::ServerMetrics::kWindowSeconds,
                               server::RpcKind::kSearch),
            7u);
}

TEST(ServerMetrics, EndpointServesParseableText) {
  auto options = cove::testing::TestServerOptions();
  options.metrics_listen_address = "127.0.0.1:0";
  auto server = cove::testing::StartTestServer(options);
  ASSERT_THAT(server, IsOk());
  ASSERT_THAT((*server)->metrics_url(),
              ::testing::StartsWith("http://127.0.0.1:"));
  auto client = cove::testing::ConnectTo(**server);
  ASSERT_THAT(client, IsOk());
  ASSERT_THAT(client->CreateCollection("docs", 2), IsOk());
  std::vector<Row> rows;
  for (int i = 0; i < 25; ++i) {
    rows.push_back({{"id", Value(int64_t{i})},
                    {"vector", Value::FloatVector({float(i), 1.0f})}});
  }
  ASSERT_THAT(client->Insert("docs", rows), IsOk());
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 1};
  search.dim = 2;
  search.limit = 3;
  constexpr int kSearches = 9;
  for (int i = 0; i < kSearches; ++i)
    ASSERT_THAT(client->Search(search), IsOk());
  search.collection_name = "missing";
  EXPECT_FALSE(client->Search(search).ok());

  auto body = server::HttpGet((*server)->metrics_url());
  ASSERT_THAT(body, IsOk());
  auto parsed = prometheus::ParseText(*body);
  ASSERT_THAT(parsed, IsOk()) << *body;
  auto ok = parsed->Find("cove_dataplane_requests_total",
                         {{"kind", "search"}, {"code", "OK"}});
  ASSERT_EQ(ok.size(), 1u) << *body;
  EXPECT_EQ(ok[0]->value, kSearches);
  double errors = 0;  // the failed search (or the lookup before it)
  for (const auto& sample : parsed->samples) {
    if (sample.name == "cove_dataplane_requests_total" &&
        sample.Label("code") != "OK") {
      errors += sample.value;
    }
  }
  EXPECT_GE(errors, 1);
  auto inserts = parsed->Find("cove_dataplane_requests_total",
                              {{"kind", "insert"}, {"code", "OK"}});
  ASSERT_EQ(inserts.size(), 1u);
  EXPECT_EQ(inserts[0]->value, 1);
  auto count = parsed->Find("cove_dataplane_request_duration_seconds_count",
                            {{"kind", "search"}});
  ASSERT_EQ(count.size(), 1u);
  EXPECT_GE(count[0]->value, kSearches);
  auto inf = parsed->Find("cove_dataplane_request_duration_seconds_bucket",
                          {{"kind", "search"}, {"le", "+Inf"}});
  ASSERT_EQ(inf.size(), 1u);
  EXPECT_EQ(inf[0]->value, count[0]->value);
  EXPECT_EQ(parsed->types["cove_dataplane_request_duration_seconds"],
            prometheus::Type::kHistogram);
  ASSERT_EQ(parsed->Find("cove_dataplane_vectors").size(), 1u);
  EXPECT_EQ(parsed->Find("cove_dataplane_vectors")[0]->value, 25);

  std::string other = (*server)->metrics_url();
  other.replace(other.rfind("/metrics"), 8, "/nothing");
  EXPECT_THAT(server::HttpGet(other), StatusIs(absl::StatusCode::kNotFound));
}

// Another endpoint (another process, or a second server) cannot bind a
// port that one already listens on: no SO_REUSEPORT sharing of scrapes.
TEST(ServerMetrics, APortInUseIsNotShared) {
  auto first = server::MetricsEndpoint::Start("127.0.0.1:0",
                                              [] { return std::string(); });
  ASSERT_THAT(first, IsOk());
  const std::string taken = absl::StrCat("127.0.0.1:", (*first)->port());
  EXPECT_FALSE(
      server::MetricsEndpoint::Start(taken, [] { return std::string(); }).ok());
}

TEST(ServerMetrics, BadListenAddressIsInvalidArgument) {
  auto options = cove::testing::TestServerOptions();
  options.metrics_listen_address = "no-port";
  EXPECT_THAT(cove::testing::StartTestServer(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("metrics listen address")));
}

}  // namespace
}  // namespace cove
