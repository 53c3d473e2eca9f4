// gmock mock of cove::Connection, for unit tests of code that uses
// cove::Client:
//
//   auto mock = std::make_shared<cove::testing::MockConnection>();
//   EXPECT_CALL(*mock, Search).WillOnce(Return(cove::SearchResults{...}));
//   cove::Client client(mock);
//
// Header-only; needs GoogleMock (link GTest::gmock).
#ifndef COVE_INCLUDE_COVE_MOCKS_MOCK_CONNECTION_H_
#define COVE_INCLUDE_COVE_MOCKS_MOCK_CONNECTION_H_

#include <string>
#include <vector>

#include "cove/connection.h"
#include "gmock/gmock.h"

namespace cove::testing {

/// A Connection whose every method is a gmock mock method. backend_name()
/// returns "mock".
class MockConnection : public Connection {
 public:
  /// Read sessions and the server's search iterator answer Unimplemented
  /// unless a test sets an expectation, so iterators over a mock page with
  /// plain Query/Search calls.
  MockConnection() {
    ON_CALL(*this, OpenReadSession)
        .WillByDefault(::testing::Return(absl::UnimplementedError(
            "OpenReadSession: not supported by the 'mock' backend")));
    ON_CALL(*this, CloseReadSession)
        .WillByDefault(::testing::Return(absl::UnimplementedError(
            "CloseReadSession: not supported by the 'mock' backend")));
    ON_CALL(*this, NextServerIteratorPage)
        .WillByDefault(::testing::Return(absl::UnimplementedError(
            "NextServerIteratorPage: not supported by the 'mock' backend")));
    ON_CALL(*this, NextServerQueryPage)
        .WillByDefault(::testing::Return(absl::UnimplementedError(
            "NextServerQueryPage: not supported by the 'mock' backend")));
  }

  std::string backend_name() const override { return "mock"; }

  MOCK_METHOD(absl::StatusOr<std::string>, GetServerVersion,
              (const CallOptions&), (override));
  MOCK_METHOD(absl::Status, CheckHealth, (const CallOptions&), (override));
  MOCK_METHOD(absl::Status, CreateDatabase,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, DropDatabase,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<std::string>>, ListDatabases,
              (const CallOptions&), (override));
  MOCK_METHOD(absl::Status, CreateCollection,
              (const std::string&, const CollectionSchema&,
               const std::vector<IndexSpec>&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DropCollection,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<bool>, HasCollection,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<std::string>>, ListCollections,
              (const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<CollectionDescription>, DescribeCollection,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, RenameCollection,
              (const std::string&, const std::string&, const std::string&,
               const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<CollectionStats>, GetCollectionStats,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, CreatePartition,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DropPartition,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<bool>, HasPartition,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<std::string>>, ListPartitions,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, CreateAlias,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DropAlias, (const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, AlterAlias,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<AliasDescription>, DescribeAlias,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<std::string>>, ListAliases,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, LoadCollection,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, ReleaseCollection,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<LoadState>, GetLoadState,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, LoadPartitions,
              (const std::string&, const std::vector<std::string>&,
               const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, ReleasePartitions,
              (const std::string&, const std::vector<std::string>&,
               const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<LoadState>, GetPartitionsLoadState,
              (const std::string&, const std::vector<std::string>&,
               const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<CollectionStats>, GetPartitionStats,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, CreateIndex,
              (const std::string&, const IndexSpec&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<IndexDescription>>, DescribeIndexes,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, DropIndex,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<MutationResult>, Insert,
              (const InsertRequest&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<MutationResult>, Upsert,
              (const InsertRequest&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<MutationResult>, Delete,
              (const DeleteRequest&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<SearchResults>, Search,
              (const SearchRequest&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<SearchResults>, HybridSearch,
              (const HybridSearchRequest&, const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<Row>>, Query,
              (const QueryRequest&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, Flush, (const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, Compact, (const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::string>, OpenReadSession,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, CloseReadSession,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<Hit>>, NextServerIteratorPage,
              (const SearchRequest&, ServerIteratorState*, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<Row>>, NextServerQueryPage,
              (const QueryRequest&, uint64_t*, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, CreateUser,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, UpdatePassword,
              (const std::string&, const std::string&, const std::string&,
               const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DropUser, (const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<std::string>>, ListUsers,
              (const CallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<UserInfo>, DescribeUser,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, CreateRole,
              (const std::string&, const CallOptions&), (override));
  MOCK_METHOD(absl::Status, DropRole, (const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<RoleInfo>>, ListRoles,
              (const CallOptions&), (override));
  MOCK_METHOD(absl::Status, GrantRole,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, RevokeRole,
              (const std::string&, const std::string&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, GrantPrivilege, (const Grant&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::Status, RevokePrivilege, (const Grant&, const CallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<Grant>>, ListGrants,
              (const std::string&, const CallOptions&), (override));
};

}  // namespace cove::testing

#endif  // COVE_INCLUDE_COVE_MOCKS_MOCK_CONNECTION_H_
