// The Milvus RPCs that read or tune a cluster's layout, answered for
// cove-server's single node: timestamps, metrics, component states,
// replicas, segments, resource groups, load balancing, compaction plans,
// FlushAll, and the AlterCollection / AlterDatabase settings.
//
// cove-server is one process: one query node (id kNodeId) serving one
// replica of every loaded collection from one shard, in the default resource
// group. Requests that would need more nodes are refused with a message
// that says so; none is silently ignored.
#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "cove/version.h"
#include "milvus/timestamp.h"
#include "server/milvus_service.h"
#include "server/milvus_service_handle.h"

namespace cove::server {
namespace {

// The one node of a cove-server.
constexpr int64_t kNodeId = 1;
// The Milvus components that one node plays (the proxy first).
constexpr const char* kRoles[] = {"proxy",      "rootcoord", "datacoord",
                                  "querycoord", "datanode",  "querynode",
                                  "indexnode"};
constexpr char kDefaultResourceGroup[] = "__default_resource_group";
// Milvus' capacity of the default resource group
// (DefaultResourceGroupCapacity).
constexpr int32_t kDefaultGroupCapacity = 1000000;

std::string Channel(int64_t collection_id) {
  return absl::StrCat("cove-dml_0_", collection_id, "v0");
}

std::map<std::string, std::string> Properties(
    const google::protobuf::RepeatedPtrField<common_pb::KeyValuePair>& kvs) {
  std::map<std::string, std::string> out;
  for (const common_pb::KeyValuePair& kv : kvs) out[kv.key()] = kv.value();
  return out;
}

}  // namespace

// --- timestamps and settings
// ---------------------------------------------------

grpc::Status MilvusServiceImpl::AllocTimestamp(
    grpc::ServerContext* context,
    const milvus_pb::AllocTimestampRequest* request,
    milvus_pb::AllocTimestampResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    response->set_timestamp(clock_.Next());
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::AlterCollection(
    grpc::ServerContext* context,
    const milvus_pb::AlterCollectionRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(NeedCollection(request->collection_name()));
    std::map<std::string, std::string> set = Properties(request->properties());
    std::vector<std::string> remove(request->delete_keys().begin(),
                                    request->delete_keys().end());
    if (set.empty() && remove.empty()) {
      return absl::InvalidArgumentError(
          "alter collection: no properties to set or delete");
    }
    for (const std::string& k : remove) {
      if (set.count(k) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "alter collection: property '", k, "' is both set and deleted"));
      }
    }
    return connection_->AlterCollectionProperties(request->collection_name(),
                                                  set, remove, c.call);
  });
}

grpc::Status MilvusServiceImpl::AlterDatabase(
    grpc::ServerContext* context,
    const milvus_pb::AlterDatabaseRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    std::string name = request->db_name();
    if (name.empty()) name = c.call.db_name;
    std::map<std::string, std::string> set = Properties(request->properties());
    std::vector<std::string> remove(request->delete_keys().begin(),
                                    request->delete_keys().end());
    if (set.empty() && remove.empty()) {
      return absl::InvalidArgumentError(
          "alter database: no properties to set or delete");
    }
    return connection_->AlterDatabaseProperties(name, set, remove, c.call);
  });
}

grpc::Status MilvusServiceImpl::FlushAll(
    grpc::ServerContext* context, const milvus_pb::FlushAllRequest* request,
    milvus_pb::FlushAllResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    std::vector<std::string> dbs;
    if (!request->db_name().empty()) {
      dbs.push_back(request->db_name());
    } else {
      auto names = connection_->ListDatabases(c.call);
      if (absl::IsUnimplemented(names.status())) {
        names = std::vector<std::string>{c.call.db_name};
      }
      COVE_RETURN_IF_ERROR(names.status());
      dbs = *std::move(names);
    }
    for (const std::string& db : dbs) {
      CallOptions call = c.call;
      call.db_name = db;
      auto collections = connection_->ListCollections(call);
      if (absl::IsNotFound(collections.status())) continue;
      COVE_RETURN_IF_ERROR(collections.status());
      for (const std::string& name : *collections) {
        absl::Status s = connection_->Flush(name, call);
        if (!s.ok() && !absl::IsNotFound(s)) return s;
      }
    }
    // Writes are durable when acknowledged: everything before this
    // timestamp is flushed.
    response->set_flush_all_ts(clock_.Next());
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetFlushAllState(
    grpc::ServerContext* context,
    const milvus_pb::GetFlushAllStateRequest* request,
    milvus_pb::GetFlushAllStateResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    response->set_flushed(true);
    return absl::OkStatus();
  });
}

// --- information
// ------------------------------------------------------------------

grpc::Status MilvusServiceImpl::GetMetrics(
    grpc::ServerContext* context, const milvus_pb::GetMetricsRequest* request,
    milvus_pb::GetMetricsResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    std::string metric_type;
    if (!request->request().empty()) {
      auto parsed = Value::FromJson(request->request());
      if (!parsed.ok() || !parsed->is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat("get metrics: request: expected a JSON object such as "
                         "{\"metric_type\": \"system_info\"} (got '",
                         internal::ValidUtf8(request->request()), "')"));
      }
      const auto& obj = parsed->AsObject();
      auto it = obj.find("metric_type");
      if (it != obj.end() && it->second.is_string()) {
        metric_type = it->second.AsString();
      }
    }
    if (metric_type != "system_info") {
      return absl::InvalidArgumentError(absl::StrCat(
          "get metrics: metric_type '", internal::ValidUtf8(metric_type),
          "' is not supported by cove-server (expected 'system_info')"));
    }
    const int64_t now = absl::ToUnixMillis(absl::Now());
    Value::Object hardware{
        {"ip", Value("127.0.0.1")},
        {"cpu_core_count",
         Value(static_cast<int64_t>(std::thread::hardware_concurrency()))},
        {"cpu_core_usage", Value(0.0)},
        {"memory", Value(int64_t{0})},
        {"memory_usage", Value(int64_t{0})},
        {"disk", Value(int64_t{0})},
        {"disk_usage", Value(int64_t{0})},
    };
    Value::Object system{
        {"system_version", Value(std::string("v2.5.6"))},
        {"deploy_mode", Value(std::string("STANDALONE"))},
        {"build_version", Value(absl::StrCat("cove-", VersionString()))},
        {"build_time", Value(std::string())},
        {"used_go_version", Value(std::string())},
        {"started_time", Value(absl::FormatTime(started_))},
    };
    // Milvus' topology lists a node per component; cove-server's one
    // process plays every role, so each is listed once, with the one node
    // id: clients count the query nodes here (the Node SDK's Resource spec
    // compares them with the default resource group's available nodes).
    Value::Array nodes;
    for (const char* role : kRoles) {
      Value::Object infos{
          {"has_error", Value(false)},
          {"error_reason", Value(std::string())},
          {"name", Value(absl::StrCat(role, kNodeId))},
          {"hardware_infos", Value(hardware)},
          {"system_info", Value(system)},
          {"created_time", Value(absl::FormatTime(started_))},
          {"updated_time", Value(absl::StrCat(now))},
          {"type", Value(std::string(role))},
          {"id", Value(kNodeId)},
          {"system_configurations", Value(Value::Object{})},
      };
      nodes.push_back(Value(Value::Object{
          {"identifier", Value(kNodeId)},
          {"connected", Value(Value::Array{})},
          {"infos", Value(std::move(infos))},
      }));
    }
    Value::Object out{
        {"nodes_info", Value(std::move(nodes))},
        {"connections", Value(Value::Object{
                            {"name", Value(std::string("cove-server"))},
                            {"connected_components", Value(Value::Array{})},
                        })},
    };
    response->set_response(Value(std::move(out)).ToJson());
    response->set_component_name(absl::StrCat("proxy", kNodeId));
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetComponentStates(
    grpc::ServerContext* context,
    const milvus_pb::GetComponentStatesRequest* request,
    milvus_pb::ComponentStates* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    absl::Status health = Health(c.call);
    const bool healthy = health.ok() || absl::IsUnimplemented(health);
    milvus_pb::ComponentInfo* state = response->mutable_state();
    state->set_nodeid(kNodeId);
    state->set_role("proxy");
    state->set_state_code(healthy ? common_pb::Healthy : common_pb::Abnormal);
    for (const char* role : kRoles) {
      if (std::string_view(role) == "proxy") continue;
      milvus_pb::ComponentInfo* sub = response->add_subcomponent_states();
      sub->set_nodeid(kNodeId);
      sub->set_role(role);
      sub->set_state_code(state->state_code());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<CollectionDescription> MilvusServiceImpl::CollectionByNameOrId(
    const std::string& name, int64_t id, const CallOptions& call) {
  if (!name.empty()) return connection_->DescribeCollection(name, call);
  if (id == 0) {
    return absl::InvalidArgumentError(
        "collection_name and collectionID are both empty");
  }
  COVE_ASSIGN_OR_RETURN(std::vector<std::string> names,
                        connection_->ListCollections(call));
  for (const std::string& n : names) {
    auto d = connection_->DescribeCollection(n, call);
    if (d.ok() && d->collection_id == id) return d;
  }
  return absl::NotFoundError(
      absl::StrCat("collection not found[collectionID=", id, "]"));
}

grpc::Status MilvusServiceImpl::GetReplicas(
    grpc::ServerContext* context, const milvus_pb::GetReplicasRequest* request,
    milvus_pb::GetReplicasResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(
        CollectionDescription d,
        CollectionByNameOrId(request->collection_name(),
                             request->collectionid(), c.call));
    COVE_ASSIGN_OR_RETURN(LoadState state,
                          connection_->GetLoadState(d.name, c.call));
    if (state != LoadState::kLoaded) {
      return absl::FailedPreconditionError(
          absl::StrCat("get replicas: collection '", d.name,
                       "' is not loaded (replicas exist while it is loaded)"));
    }
    milvus_pb::ReplicaInfo* replica = response->add_replicas();
    replica->set_replicaid(d.collection_id);  // one replica per collection
    replica->set_collectionid(d.collection_id);
    replica->add_node_ids(kNodeId);
    replica->set_resource_group_name(kDefaultResourceGroup);
    milvus_pb::ShardReplica* shard = replica->add_shard_replicas();
    shard->set_leaderid(kNodeId);
    shard->set_leader_addr(Address());
    shard->set_dm_channel_name(Channel(d.collection_id));
    if (request->with_shard_nodes()) shard->add_node_ids(kNodeId);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetPersistentSegmentInfo(
    grpc::ServerContext* context,
    const milvus_pb::GetPersistentSegmentInfoRequest* request,
    milvus_pb::GetPersistentSegmentInfoResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(NeedCollection(request->collectionname()));
    COVE_ASSIGN_OR_RETURN(
        CollectionDescription d,
        connection_->DescribeCollection(request->collectionname(), c.call));
    COVE_ASSIGN_OR_RETURN(
        std::vector<SegmentDescription> segments,
        connection_->ListSegments(request->collectionname(), c.call));
    for (const SegmentDescription& s : segments) {
      milvus_pb::PersistentSegmentInfo* info = response->add_infos();
      info->set_segmentid(s.id);
      info->set_collectionid(d.collection_id);
      info->set_num_rows(s.rows - s.deleted);
      // Every acknowledged write is durable: sealed segments are Flushed,
      // the growing one Growing.
      info->set_state(s.sealed ? common_pb::Flushed : common_pb::Growing);
      info->set_level(common_pb::L1);
      info->set_is_sorted(false);
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetQuerySegmentInfo(
    grpc::ServerContext* context,
    const milvus_pb::GetQuerySegmentInfoRequest* request,
    milvus_pb::GetQuerySegmentInfoResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(NeedCollection(request->collectionname()));
    COVE_ASSIGN_OR_RETURN(
        CollectionDescription d,
        connection_->DescribeCollection(request->collectionname(), c.call));
    COVE_ASSIGN_OR_RETURN(LoadState state,
                          connection_->GetLoadState(d.name, c.call));
    if (state != LoadState::kLoaded) return absl::OkStatus();  // none served
    COVE_ASSIGN_OR_RETURN(
        std::vector<SegmentDescription> segments,
        connection_->ListSegments(request->collectionname(), c.call));
    auto indexes = connection_->DescribeIndexes(d.name, c.call);
    std::string index_name;
    if (indexes.ok() && !indexes->empty()) {
      index_name = indexes->front().index_name;
    }
    for (const SegmentDescription& s : segments) {
      milvus_pb::QuerySegmentInfo* info = response->add_infos();
      info->set_segmentid(s.id);
      info->set_collectionid(d.collection_id);
      info->set_mem_size(s.memory_bytes);
      info->set_num_rows(s.rows - s.deleted);
      if (s.indexed) info->set_index_name(index_name);
      info->set_nodeid(kNodeId);
      info->add_nodeids(kNodeId);
      info->set_state(s.sealed ? common_pb::Sealed : common_pb::Growing);
      info->set_level(common_pb::L1);
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::LoadBalance(
    grpc::ServerContext* context, const milvus_pb::LoadBalanceRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    // As Milvus, which resolves the collection first: without a collection
    // name the request names no collection and fails with
    // CollectionNotExists (the Node SDK's specs check that code).
    if (request->collectionname().empty()) {
      return absl::NotFoundError(
          "collection not found[collection=] (LoadBalance needs "
          "collectionName)");
    }
    {
      COVE_ASSIGN_OR_RETURN(bool has, connection_->HasCollection(
                                          request->collectionname(), c.call));
      if (!has) {
        return absl::NotFoundError(absl::StrCat(
            "collection not found[collection=", request->collectionname(),
            "]"));
      }
    }
    if (request->src_nodeid() != kNodeId) {
      return absl::NotFoundError(absl::StrCat(
          "load balance: source node ", request->src_nodeid(),
          " not found (cove-server has one node, id ", kNodeId, ")"));
    }
    for (int64_t dst : request->dst_nodeids()) {
      if (dst != kNodeId) {
        return absl::NotFoundError(absl::StrCat(
            "load balance: destination node ", dst,
            " not found (cove-server has one node, id ", kNodeId, ")"));
      }
    }
    return absl::OkStatus();  // one node: every segment is where it belongs
  });
}

grpc::Status MilvusServiceImpl::GetCompactionStateWithPlans(
    grpc::ServerContext* context,
    const milvus_pb::GetCompactionPlansRequest* request,
    milvus_pb::GetCompactionPlansResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    absl::MutexLock lock(&compaction_mu_);
    if (completed_compactions_.count(request->compactionid()) == 0) {
      return absl::NotFoundError(
          absl::StrCat("compaction ", request->compactionid(),
                       " not found (unknown, or older than the last ",
                       kMaxCompactionsKept, " compactions)"));
    }
    // Compactions finish before ManualCompaction replies; the engine
    // rewrites segments in place, so there are no merge plans to list.
    response->set_state(common_pb::Completed);
    return absl::OkStatus();
  });
}

// --- resource groups
// ------------------------------------------------------------

namespace {

absl::Status ValidateGroupName(const std::string& name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("resource group name: must not be empty");
  }
  if (name.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "resource group name: too long (expected at most 255, got ",
        name.size(), ")"));
  }
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("resource group name '", internal::ValidUtf8(name),
                       "': only letters, digits and underscores are allowed"));
    }
  }
  return absl::OkStatus();
}

// One node: a group other than the default one can ask for no node.
absl::Status CheckGroupConfig(
    const std::string& name,
    const ::milvus::proto::rg::ResourceGroupConfig& config) {
  if (name != kDefaultResourceGroup &&
      (config.requests().node_num() > 0 || config.limits().node_num() > 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "resource group '", name,
        "': cove-server has one query node, held by the default resource "
        "group (requests and limits of other groups must be 0; got ",
        config.requests().node_num(), " and ", config.limits().node_num(),
        ")"));
  }
  if (name == kDefaultResourceGroup &&
      (config.requests().node_num() > 1 || config.limits().node_num() > 1)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "resource group '", name,
        "': cove-server has one query node (requests and limits of at most 1; "
        "got ",
        config.requests().node_num(), " and ", config.limits().node_num(),
        ")"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status MilvusServiceImpl::CreateResourceGroup(
    grpc::ServerContext* context,
    const milvus_pb::CreateResourceGroupRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    const std::string& name = request->resource_group();
    COVE_RETURN_IF_ERROR(ValidateGroupName(name));
    COVE_RETURN_IF_ERROR(CheckGroupConfig(name, request->config()));
    absl::MutexLock lock(&groups_mu_);
    if (name == kDefaultResourceGroup || groups_.count(name) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("resource group '", name, "' already exists"));
    }
    groups_[name] = request->config();
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::DropResourceGroup(
    grpc::ServerContext* context,
    const milvus_pb::DropResourceGroupRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    const std::string& name = request->resource_group();
    if (name == kDefaultResourceGroup) {
      return absl::InvalidArgumentError(
          "drop resource group: the default resource group cannot be dropped");
    }
    absl::MutexLock lock(&groups_mu_);
    groups_.erase(name);  // as Milvus: dropping an absent group succeeds
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::UpdateResourceGroups(
    grpc::ServerContext* context,
    const milvus_pb::UpdateResourceGroupsRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    absl::MutexLock lock(&groups_mu_);
    for (const auto& [name, config] : request->resource_groups()) {
      COVE_RETURN_IF_ERROR(CheckGroupConfig(name, config));
      if (name != kDefaultResourceGroup && groups_.count(name) == 0) {
        return absl::NotFoundError(absl::StrCat(
            "resource group '", internal::ValidUtf8(name), "' not found"));
      }
    }
    for (const auto& [name, config] : request->resource_groups()) {
      if (name == kDefaultResourceGroup) {
        default_group_config_ = config;
      } else {
        groups_[name] = config;
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::TransferNode(
    grpc::ServerContext* context, const milvus_pb::TransferNodeRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    return absl::FailedPreconditionError(absl::StrCat(
        "transfer node: cove-server has one query node, which stays in '",
        kDefaultResourceGroup, "' (asked to move ", request->num_node(),
        " from '", internal::ValidUtf8(request->source_resource_group()),
        "' to '", internal::ValidUtf8(request->target_resource_group()), "')"));
  });
}

grpc::Status MilvusServiceImpl::TransferReplica(
    grpc::ServerContext* context,
    const milvus_pb::TransferReplicaRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    if (request->source_resource_group() == kDefaultResourceGroup &&
        request->target_resource_group() == kDefaultResourceGroup) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "transfer replica: replicas live on cove-server's one node in '",
        kDefaultResourceGroup, "' (asked to move from '",
        internal::ValidUtf8(request->source_resource_group()), "' to '",
        internal::ValidUtf8(request->target_resource_group()), "')"));
  });
}

grpc::Status MilvusServiceImpl::ListResourceGroups(
    grpc::ServerContext* context,
    const milvus_pb::ListResourceGroupsRequest* request,
    milvus_pb::ListResourceGroupsResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    response->add_resource_groups(kDefaultResourceGroup);
    absl::MutexLock lock(&groups_mu_);
    for (const auto& [name, config] : groups_) {
      response->add_resource_groups(name);
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::DescribeResourceGroup(
    grpc::ServerContext* context,
    const milvus_pb::DescribeResourceGroupRequest* request,
    milvus_pb::DescribeResourceGroupResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    const std::string& name = request->resource_group();
    milvus_pb::ResourceGroup* group = response->mutable_resource_group();
    group->set_name(name);
    if (name == kDefaultResourceGroup) {
      group->set_capacity(kDefaultGroupCapacity);
      group->set_num_available_node(1);
      common_pb::NodeInfo* node = group->add_nodes();
      node->set_node_id(kNodeId);
      node->set_address(Address());
      node->set_hostname("cove-server");
      // Loaded collections of the caller's database: one replica each.
      auto names = connection_->ListCollections(c.call);
      if (names.ok()) {
        for (const std::string& n : *names) {
          auto state = connection_->GetLoadState(n, c.call);
          if (state.ok() && *state == LoadState::kLoaded) {
            (*group->mutable_num_loaded_replica())[n] = 1;
          }
        }
      }
      absl::MutexLock lock(&groups_mu_);
      *group->mutable_config() = default_group_config_;
      return absl::OkStatus();
    }
    absl::MutexLock lock(&groups_mu_);
    auto it = groups_.find(name);
    if (it == groups_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "resource group '", internal::ValidUtf8(name), "' not found"));
    }
    group->set_capacity(0);
    group->set_num_available_node(0);
    *group->mutable_config() = it->second;
    return absl::OkStatus();
  });
}

// --- bulk import
// ------------------------------------------------------------------

namespace {

void ImportStateToProto(const ImportTaskState& t,
                        milvus_pb::GetImportStateResponse* out) {
  out->set_id(t.id);
  switch (t.phase) {
    case ImportTaskState::Phase::kPending:
      out->set_state(common_pb::ImportPending);
      break;
    case ImportTaskState::Phase::kRunning:
      out->set_state(common_pb::ImportStarted);
      break;
    case ImportTaskState::Phase::kCompleted:
      out->set_state(common_pb::ImportCompleted);
      break;
    case ImportTaskState::Phase::kFailed:
      out->set_state(common_pb::ImportFailed);
      break;
  }
  out->set_row_count(t.rows_imported);
  out->set_collection_id(t.collection_id);
  out->set_create_ts(static_cast<int64_t>(t.create_ts));
  for (const Value& v : t.auto_ids) {
    if (v.is_int()) out->add_id_list(v.AsInt());
  }
  auto add = [&](const char* k, const std::string& v) {
    common_pb::KeyValuePair* kv = out->add_infos();
    kv->set_key(k);
    kv->set_value(v);
  };
  add("collection", t.collection);
  add("partition", t.partition);
  add("files", absl::StrJoin(t.files, ","));
  add("progress_percent", absl::StrCat(t.progress()));
  if (!t.failed_reason.empty()) add("failed_reason", t.failed_reason);
}

}  // namespace

grpc::Status MilvusServiceImpl::Import(grpc::ServerContext* context,
                                       const milvus_pb::ImportRequest* request,
                                       milvus_pb::ImportResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(NeedCollection(request->collection_name()));
    for (const common_pb::KeyValuePair& kv : request->options()) {
      // Milvus' options: a bucket (cove has one folder), "backup" (Milvus
      // backup files), CSV separators and null keys.
      return absl::UnimplementedError(absl::StrCat(
          "import option '", internal::ValidUtf8(kv.key()),
          "' is not supported by cove-server (files are read from its "
          "--import-dir)"));
    }
    if (!request->clustering_info().empty()) {
      return absl::UnimplementedError(
          "import clustering_info: clustering keys are not supported by cove");
    }
    COVE_ASSIGN_OR_RETURN(
        CollectionDescription d,
        connection_->DescribeCollection(request->collection_name(), c.call));
    if (!request->partition_name().empty()) {
      for (const FieldSchema& f : d.schema.fields) {
        if (f.is_partition_key) {
          // As Milvus: rows are spread by the key.
          return absl::InvalidArgumentError(absl::StrCat(
              "import partition_name: collection '",
              internal::ValidUtf8(d.name), "' has a partition key ('",
              internal::ValidUtf8(f.name),
              "'): not allow to set partition name for collection with "
              "partition key"));
        }
      }
      COVE_ASSIGN_OR_RETURN(
          bool has,
          connection_->HasPartition(d.name, request->partition_name(), c.call));
      if (!has) {
        return absl::NotFoundError(
            absl::StrCat("partition not found[partition=",
                         internal::ValidUtf8(request->partition_name()), "]"));
      }
    }
    ImportTaskState task;
    task.collection = d.name;
    task.partition = request->partition_name();
    task.db_name = c.call.db_name;
    task.collection_id = d.collection_id;
    task.files.assign(request->files().begin(), request->files().end());
    task.create_ts = clock_.Next();
    COVE_ASSIGN_OR_RETURN(int64_t id, Imports().Start(task, c.call));
    response->add_tasks(id);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetImportState(
    grpc::ServerContext* context,
    const milvus_pb::GetImportStateRequest* request,
    milvus_pb::GetImportStateResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    COVE_ASSIGN_OR_RETURN(ImportTaskState t, Imports().Get(request->task()));
    ImportStateToProto(t, response);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::ListImportTasks(
    grpc::ServerContext* context,
    const milvus_pb::ListImportTasksRequest* request,
    milvus_pb::ListImportTasksResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    for (const ImportTaskState& t : Imports().List(
             request->collection_name(), c.call.db_name, request->limit())) {
      ImportStateToProto(t, response->add_tasks());
    }
    return absl::OkStatus();
  });
}

}  // namespace cove::server
