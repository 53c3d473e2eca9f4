// The RPCs of Milvus' MilvusService that cove-server answers with a status
// naming what is missing, and the partition-level load that it serves only
// for whole collections.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "server/milvus_service.h"
#include "server/milvus_service_handle.h"

namespace cove::server {

using handle_internal::CheckLoadOptions;
using handle_internal::DecodePassword;
using handle_internal::IgnoreNotFound;
using handle_internal::JoinNames;
using handle_internal::NeedName;
using internal::StatusToProto;
using internal::ValidUtf8;

template <typename Request, typename Response>
grpc::Status MilvusServiceImpl::Unsupported(grpc::ServerContext* context,
                                            const Request& request,
                                            Response* response,
                                            const char* rpc) {
  return Handle(context, request, response, [&](const Caller&) {
    return absl::UnimplementedError(absl::StrCat(
        rpc,
        ": not supported by cove-server (cove implements collections, "
        "partitions, aliases, indexes, insert/upsert/delete, search, "
        "query, flush, databases and RBAC)"));
  });
}

// --- unsupported RPCs
// ----------------------------------------------------------- Generated from
// the MilvusService of milvus.proto v2.5.6: every RPC not handled above.

grpc::Status MilvusServiceImpl::AlterCollectionField(
    grpc::ServerContext* context,
    const milvus_pb::AlterCollectionFieldRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(NeedCollection(request->collection_name()));
    std::map<std::string, std::string> set;
    for (const common_pb::KeyValuePair& kv : request->properties()) {
      set[kv.key()] = kv.value();
    }
    return connection_->AlterCollectionField(
        request->collection_name(), request->field_name(), set, c.call);
  });
}

// The partitions of a partition-level call must exist (Milvus' wording for
// one that does not); returns those of the collection not named.
absl::StatusOr<std::vector<std::string>> MilvusServiceImpl::NamedPartitions(
    const char* rpc, const std::string& collection,
    const std::vector<std::string>& names, const CallOptions& call) {
  COVE_RETURN_IF_ERROR(NeedCollection(collection));
  if (names.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(rpc, " partition_names: must not be empty"));
  }
  COVE_ASSIGN_OR_RETURN(std::vector<std::string> all,
                        connection_->ListPartitions(collection, call));
  for (const std::string& n : names) {
    if (std::find(all.begin(), all.end(), n) == all.end()) {
      return absl::NotFoundError(
          absl::StrCat(rpc, ": partition not found[partition=", ValidUtf8(n),
                       "] in collection '", ValidUtf8(collection), "'"));
    }
  }
  std::vector<std::string> others;
  for (const std::string& p : all) {
    if (std::find(names.begin(), names.end(), p) == names.end()) {
      others.push_back(p);
    }
  }
  return others;
}

grpc::Status MilvusServiceImpl::LoadPartitions(
    grpc::ServerContext* context,
    const milvus_pb::LoadPartitionsRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(CheckLoadOptions("LoadPartitions", *request));
    const std::string& name = request->collection_name();
    std::vector<std::string> names(request->partition_names().begin(),
                                   request->partition_names().end());
    COVE_RETURN_IF_ERROR(
        NamedPartitions("LoadPartitions", name, names, c.call).status());
    return connection_->LoadPartitions(name, names, c.call);
  });
}

grpc::Status MilvusServiceImpl::ReleasePartitions(
    grpc::ServerContext* context,
    const milvus_pb::ReleasePartitionsRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    const std::string& name = request->collection_name();
    std::vector<std::string> names(request->partition_names().begin(),
                                   request->partition_names().end());
    COVE_RETURN_IF_ERROR(
        NamedPartitions("ReleasePartitions", name, names, c.call).status());
    return connection_->ReleasePartitions(name, names, c.call);
  });
}

grpc::Status MilvusServiceImpl::GetPartitionStatistics(
    grpc::ServerContext* context,
    const milvus_pb::GetPartitionStatisticsRequest* request,
    milvus_pb::GetPartitionStatisticsResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    const std::string& name = request->collection_name();
    COVE_RETURN_IF_ERROR(NamedPartitions("GetPartitionStatistics", name,
                                         {request->partition_name()}, c.call)
                             .status());
    COVE_ASSIGN_OR_RETURN(CollectionStats stats,
                          connection_->GetPartitionStats(
                              name, request->partition_name(), c.call));
    common_pb::KeyValuePair* kv = response->add_stats();
    kv->set_key("row_count");
    kv->set_value(absl::StrCat(stats.row_count));
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::AlterIndex(
    grpc::ServerContext* context, const milvus_pb::AlterIndexRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(NeedCollection(request->collection_name()));
    COVE_RETURN_IF_ERROR(NeedName("index_name", request->index_name()));
    std::map<std::string, std::string> set;
    for (const common_pb::KeyValuePair& kv : request->extra_params()) {
      set[kv.key()] = kv.value();
    }
    std::vector<std::string> remove(request->delete_keys().begin(),
                                    request->delete_keys().end());
    if (set.empty() && remove.empty()) {
      return absl::InvalidArgumentError(
          "alter index: no properties to set or delete");
    }
    return connection_->AlterIndexProperties(
        request->collection_name(), request->index_name(), set, remove, c.call);
  });
}

grpc::Status MilvusServiceImpl::GetIndexStatistics(
    grpc::ServerContext* context,
    const milvus_pb::GetIndexStatisticsRequest* request,
    milvus_pb::GetIndexStatisticsResponse* response) {
  return Unsupported(context, *request, response, "GetIndexStatistics");
}

grpc::Status MilvusServiceImpl::CalcDistance(
    grpc::ServerContext* context, const milvus_pb::CalcDistanceRequest* request,
    milvus_pb::CalcDistanceResults* response) {
  return Unsupported(context, *request, response, "CalcDistance");
}

grpc::Status MilvusServiceImpl::Dummy(grpc::ServerContext* context,
                                      const milvus_pb::DummyRequest* request,
                                      milvus_pb::DummyResponse* response) {
  return Unsupported(context, *request, response, "Dummy");
}

grpc::Status MilvusServiceImpl::RegisterLink(
    grpc::ServerContext* context, const milvus_pb::RegisterLinkRequest* request,
    milvus_pb::RegisterLinkResponse* response) {
  return Unsupported(context, *request, response, "RegisterLink");
}

// Compaction is synchronous in Cove: ManualCompaction returns once it is
// done, and GetCompactionState reports the ids it handed out as Completed.
grpc::Status MilvusServiceImpl::GetCompactionState(
    grpc::ServerContext* context,
    const milvus_pb::GetCompactionStateRequest* request,
    milvus_pb::GetCompactionStateResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    {
      absl::MutexLock lock(&compaction_mu_);
      if (completed_compactions_.count(request->compactionid()) == 0) {
        return absl::NotFoundError(
            absl::StrCat("compaction ", request->compactionid(),
                         " not found (unknown, or older than the last ",
                         kMaxCompactionsKept, " compactions)"));
      }
    }
    response->set_state(common_pb::Completed);
    response->set_completedplanno(1);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::ManualCompaction(
    grpc::ServerContext* context,
    const milvus_pb::ManualCompactionRequest* request,
    milvus_pb::ManualCompactionResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    std::string name = request->collection_name();
    if (name.empty()) {
      // Older clients name the collection by id only.
      if (request->collectionid() == 0) {
        return absl::InvalidArgumentError(
            "manual compaction: collection_name and collectionID are both "
            "empty");
      }
      COVE_ASSIGN_OR_RETURN(auto names, connection_->ListCollections(c.call));
      for (const std::string& n : names) {
        auto d = connection_->DescribeCollection(n, c.call);
        if (d.ok() && d->collection_id == request->collectionid()) name = n;
      }
      if (name.empty()) {
        return absl::NotFoundError(absl::StrCat(
            "collection id ", request->collectionid(), " not found"));
      }
    }
    COVE_RETURN_IF_ERROR(connection_->Compact(name, c.call));
    absl::MutexLock lock(&compaction_mu_);
    const int64_t id = next_compaction_id_++;
    completed_compactions_.insert(id);
    while (completed_compactions_.size() > kMaxCompactionsKept) {
      completed_compactions_.erase(completed_compactions_.begin());
    }
    response->set_compactionid(id);
    response->set_compactionplancount(1);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::ListIndexedSegment(
    grpc::ServerContext* context,
    const ::milvus::proto::feder::ListIndexedSegmentRequest* request,
    ::milvus::proto::feder::ListIndexedSegmentResponse* response) {
  return Unsupported(context, *request, response, "ListIndexedSegment");
}

grpc::Status MilvusServiceImpl::DescribeSegmentIndexData(
    grpc::ServerContext* context,
    const ::milvus::proto::feder::DescribeSegmentIndexDataRequest* request,
    ::milvus::proto::feder::DescribeSegmentIndexDataResponse* response) {
  return Unsupported(context, *request, response, "DescribeSegmentIndexData");
}

grpc::Status MilvusServiceImpl::ReplicateMessage(
    grpc::ServerContext* context,
    const milvus_pb::ReplicateMessageRequest* request,
    milvus_pb::ReplicateMessageResponse* response) {
  return Unsupported(context, *request, response, "ReplicateMessage");
}

}  // namespace cove::server
