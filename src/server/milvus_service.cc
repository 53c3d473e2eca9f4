// The Milvus v2 gRPC service of cove-server (see milvus_service.h).
#include "server/milvus_service.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "cove/version.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "milvus/timestamp.h"
#include "server/milvus_service_handle.h"
#include "server/server.h"

namespace cove::server {
namespace {

using handle_internal::CheckLoadOptions;
using handle_internal::DecodePassword;
using handle_internal::IgnoreNotFound;
using handle_internal::JoinNames;
using handle_internal::NeedName;
using internal::StatusToProto;
using internal::ValidUtf8;

// The Milvus protocol version this server speaks.
constexpr char kMilvusVersion[] = "v2.5.6";

// A string field of a request by number; message fields (UserEntity,
// RoleEntity) give their `name`.
std::string StringField(const google::protobuf::Message& message, int number) {
  const google::protobuf::FieldDescriptor* field =
      message.GetDescriptor()->FindFieldByNumber(number);
  if (field == nullptr || field->is_repeated()) return std::string();
  const google::protobuf::Reflection* r = message.GetReflection();
  if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
    return r->GetString(message, field);
  }
  if (field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
    const google::protobuf::Message& sub = r->GetMessage(message, field);
    const google::protobuf::FieldDescriptor* name =
        sub.GetDescriptor()->FindFieldByName("name");
    if (name != nullptr &&
        name->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      return sub.GetReflection()->GetString(sub, name);
    }
  }
  return std::string();
}

std::vector<std::string> RepeatedStringField(
    const google::protobuf::Message& message, int number) {
  std::vector<std::string> out;
  const google::protobuf::FieldDescriptor* field =
      message.GetDescriptor()->FindFieldByNumber(number);
  if (field == nullptr || !field->is_repeated() ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return out;
  }
  const google::protobuf::Reflection* r = message.GetReflection();
  for (int i = 0; i < r->FieldSize(message, field); ++i) {
    out.push_back(r->GetRepeatedString(message, field, i));
  }
  return out;
}

// "PrivilegeSearch" -> "Search"; "PrivilegeAll" -> "All".
std::string PrivilegeName(common_pb::ObjectPrivilege privilege) {
  std::string name = common_pb::ObjectPrivilege_Name(privilege);
  if (absl::StartsWith(name, "Privilege")) name = name.substr(9);
  return name;
}

// Sorts query rows by primary key, then keeps [offset, offset + limit).
void SortByKeyAndPage(const CollectionSchema& schema, int64_t offset,
                      int64_t limit, std::vector<Row>* rows) {
  std::string pk;
  for (const FieldSchema& f : schema.fields) {
    if (f.is_primary_key) pk = f.name;
  }
  auto key = [&](const Row& r) -> const Value* {
    auto it = r.find(pk);
    return it == r.end() ? nullptr : &it->second;
  };
  std::stable_sort(rows->begin(), rows->end(), [&](const Row& a, const Row& b) {
    const Value* x = key(a);
    const Value* y = key(b);
    if (x == nullptr || y == nullptr) return x != nullptr && y == nullptr;
    if (x->is_int() && y->is_int()) return x->AsInt() < y->AsInt();
    if (x->is_string() && y->is_string()) return x->AsString() < y->AsString();
    return false;
  });
  const auto n = static_cast<int64_t>(rows->size());
  const int64_t begin = std::min(offset, n);
  const int64_t end = limit > 0 ? std::min(n, begin + limit) : n;
  rows->erase(rows->begin() + end, rows->end());
  rows->erase(rows->begin(), rows->begin() + begin);
}

// Index build parameters compared as Milvus does: numbers by value ("8" and
// "8.0" are the same), everything else as text.
bool SameIndexParams(const std::map<std::string, std::string>& a,
                     const std::map<std::string, std::string>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) return false;
    double x = 0, y = 0;
    if (v == it->second) continue;
    if (absl::SimpleAtod(v, &x) && absl::SimpleAtod(it->second, &y) && x == y) {
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

MilvusServiceImpl::MilvusServiceImpl(std::shared_ptr<Connection> connection,
                                     std::shared_ptr<auth::AuthStore> auth,
                                     Options options)
    : connection_(std::move(connection)),
      auth_(std::move(auth)),
      options_(options) {}

ImportManager& MilvusServiceImpl::Imports() {
  std::call_once(imports_once_, [this] {
    imports_ =
        std::make_unique<ImportManager>(connection_, options_.import_dir);
  });
  return *imports_;
}

void MilvusServiceImpl::SetAddress(std::string address) {
  absl::MutexLock lock(&address_mu_);
  address_ = std::move(address);
}

std::string MilvusServiceImpl::Address() {
  absl::MutexLock lock(&address_mu_);
  return address_;
}

absl::Status MilvusServiceImpl::ValidatePrivilege(const std::string& name) {
  if (name == "*" || name == "All") return absl::OkStatus();
  if (common_pb::ObjectPrivilege_descriptor()->FindValueByName(
          absl::StrCat("Privilege", name)) != nullptr) {
    return absl::OkStatus();
  }
  if (auth_->IsPrivilegeGroup(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("privilege: unknown privilege '", internal::ValidUtf8(name),
                   "' (expected a Milvus privilege such as Search, Insert, "
                   "CreateCollection or All, or a privilege group)"));
}

std::vector<std::string> MilvusServiceImpl::Users() {
  std::vector<std::string> users = auth_->ListUsers();
  // As Milvus: the superuser exists whether authentication is on or not.
  if (std::find(users.begin(), users.end(), auth::kRootUser) == users.end()) {
    users.insert(users.begin(), auth::kRootUser);
  }
  return users;
}

absl::Status MilvusServiceImpl::NeedCollection(const std::string& name) {
  return NeedName("collection_name", name);
}

absl::StatusOr<std::string> MilvusServiceImpl::Authenticate(
    grpc::ServerContext* context) {
  if (!options_.auth_enabled) return std::string();
  std::string header = handle_internal::Metadata(context, "authorization");
  if (header.empty()) {
    return absl::UnauthenticatedError(
        "authentication: missing 'authorization' metadata (expected base64 "
        "of user:password)");
  }
  auto decoded = internal::Base64Decode(header);
  if (!decoded.ok()) {
    return absl::UnauthenticatedError(
        "authentication: the 'authorization' metadata is not base64");
  }
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return absl::UnauthenticatedError(
        "authentication: API-key tokens are not supported by cove-server "
        "(expected user:password)");
  }
  std::string user = decoded->substr(0, colon);
  // Support access (issue 19): "@support/{grant id}:{password}".
  if (IsSupportUser(user)) {
    if (options_.support_sessions == nullptr) {
      return absl::UnauthenticatedError(
          "authentication: support access is not granted (no active grant "
          "with these credentials on this cluster)");
    }
    COVE_RETURN_IF_ERROR(
        options_.support_sessions->Check(user, decoded->substr(colon + 1))
            .status());
    return user;
  }
  COVE_RETURN_IF_ERROR(auth_->Authenticate(user, decoded->substr(colon + 1)));
  return user;
}

absl::Status MilvusServiceImpl::Authorize(
    const std::string& user, const google::protobuf::Message& request,
    const std::string& db) {
  if (!options_.auth_enabled) return absl::OkStatus();
  const google::protobuf::MessageOptions& opts =
      request.GetDescriptor()->options();
  if (!opts.HasExtension(common_pb::privilege_ext_obj)) {
    return absl::OkStatus();  // no privilege needed (as in Milvus)
  }
  const common_pb::PrivilegeExt& ext =
      opts.GetExtension(common_pb::privilege_ext_obj);
  const std::string privilege = PrivilegeName(ext.object_privilege());
  const std::string type = common_pb::ObjectType_Name(ext.object_type());
  // A support session holds the read-only privileges, nothing else.
  if (IsSupportUser(user)) {
    if (SupportPrivilegeAllowed(privilege)) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("permission denied: support access is read-only (",
                     privilege, " is not a read-only privilege)"));
  }
  std::vector<std::string> names;
  if (ext.object_name_index() > 0) {
    names.push_back(StringField(request, ext.object_name_index()));
  } else if (ext.object_name_indexs() > 0) {
    names = RepeatedStringField(request, ext.object_name_indexs());
  }
  if (names.empty()) names.push_back("*");
  for (const std::string& name : names) {
    // Users may always look at and change their own account.
    if (ext.object_type() == common_pb::User && name == user) continue;
    COVE_RETURN_IF_ERROR(
        auth_->Check(user, privilege, type, name.empty() ? "*" : name, db));
  }
  return absl::OkStatus();
}

absl::StatusOr<CollectionSchema> MilvusServiceImpl::Schema(
    const std::string& collection, const CallOptions& call) {
  COVE_ASSIGN_OR_RETURN(auto d,
                        connection_->DescribeCollection(collection, call));
  return d.schema;
}

template <typename WriteRequest>
absl::Status MilvusServiceImpl::Write(const WriteRequest& request, bool upsert,
                                      const CallOptions& call,
                                      milvus_pb::MutationResult* out) {
  COVE_RETURN_IF_ERROR(NeedName("collection_name", request.collection_name()));
  // Too large a request is refused on its size, before its rows (JSON
  // values among them) are read.
  if (options_.max_write_request_bytes > 0) {
    const int64_t bytes = static_cast<int64_t>(request.ByteSizeLong());
    if (bytes > options_.max_write_request_bytes) {
      return WriteTooLargeError(bytes, options_.max_write_request_bytes);
    }
  }
  if (request.schema_timestamp() != 0) {
    COVE_ASSIGN_OR_RETURN(auto d, connection_->DescribeCollection(
                                      request.collection_name(), call));
    if (internal::CollectionHybridTs(d.created_timestamp) !=
        request.schema_timestamp()) {
      return internal::SchemaMismatchError(request.collection_name());
    }
  }
  COVE_ASSIGN_OR_RETURN(
      auto rows,
      internal::FieldDataToRows(request.fields_data(), /*omit_nulls=*/true));
  if (request.num_rows() != 0 && request.num_rows() != rows.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "insert num_rows: does not match the field data (expected ",
        rows.size(), ", got ", request.num_rows(), ")"));
  }
  InsertRequest insert;
  insert.collection_name = request.collection_name();
  insert.partition_name = request.partition_name();
  insert.rows = std::move(rows);
  COVE_ASSIGN_OR_RETURN(auto result, upsert
                                         ? connection_->Upsert(insert, call)
                                         : connection_->Insert(insert, call));
  internal::MutationResultToProto(result, upsert ? "upsert" : "insert", out);
  // The write's timestamp: pymilvus waits for it under Session consistency
  // (cove's reads see it at once).
  out->set_timestamp(clock_.Next());
  return absl::OkStatus();
}

// --- server
// -------------------------------------------------------------------

grpc::Status MilvusServiceImpl::Connect(
    grpc::ServerContext* context, const milvus_pb::ConnectRequest* request,
    milvus_pb::ConnectResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    response->set_identifier(next_identifier_.fetch_add(1));
    common_pb::ServerInfo* info = response->mutable_server_info();
    info->set_build_tags(absl::StrCat("cove-", VersionString()));
    info->set_deploy_mode("STANDALONE");
    (*info->mutable_reserved())["server"] = "cove";
    (*info->mutable_reserved())["backend"] = connection_->backend_name();
    (*info->mutable_reserved())["release"] =
        options_.release.empty() ? VersionString() : options_.release;
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetVersion(
    grpc::ServerContext* context, const milvus_pb::GetVersionRequest* request,
    milvus_pb::GetVersionResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    response->set_version(kMilvusVersion);
    return absl::OkStatus();
  });
}

absl::Status MilvusServiceImpl::Health(const CallOptions& call) {
  if (!options_.unhealthy_reason.empty()) {
    return absl::UnavailableError(options_.unhealthy_reason);
  }
  return connection_->CheckHealth(call);
}

grpc::Status MilvusServiceImpl::CheckHealth(
    grpc::ServerContext* context, const milvus_pb::CheckHealthRequest* request,
    milvus_pb::CheckHealthResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    absl::Status s = Health(c.call);
    bool healthy = s.ok() || absl::IsUnimplemented(s);
    response->set_ishealthy(healthy);
    if (!healthy) response->add_reasons(std::string(s.message()));
    return absl::OkStatus();
  });
}

// --- databases
// ------------------------------------------------------------------

grpc::Status MilvusServiceImpl::CreateDatabase(
    grpc::ServerContext* context,
    const milvus_pb::CreateDatabaseRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    std::map<std::string, std::string> properties;
    for (const common_pb::KeyValuePair& kv : request->properties()) {
      properties[kv.key()] = kv.value();
    }
    return connection_->CreateDatabase(request->db_name(), properties, c.call);
  });
}

grpc::Status MilvusServiceImpl::DropDatabase(
    grpc::ServerContext* context, const milvus_pb::DropDatabaseRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    // As Milvus: dropping a database that does not exist succeeds.
    return IgnoreNotFound(
        connection_->DropDatabase(request->db_name(), c.call));
  });
}

grpc::Status MilvusServiceImpl::ListDatabases(
    grpc::ServerContext* context,
    const milvus_pb::ListDatabasesRequest* request,
    milvus_pb::ListDatabasesResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    auto names = connection_->ListDatabases(c.call);
    if (absl::IsUnimplemented(names.status())) {
      names = std::vector<std::string>{"default"};
    }
    COVE_RETURN_IF_ERROR(names);
    int64_t id = 1;
    for (const std::string& n : *names) {
      auto d = connection_->DescribeDatabase(n, c.call);
      if (absl::IsNotFound(d.status())) continue;  // dropped meanwhile
      response->add_db_names(n);
      response->add_db_ids(d.ok() ? d->id : id);
      response->add_created_timestamp(
          d.ok() ? internal::ComposeHybridTs(d->created_timestamp, 0) : 0);
      ++id;
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::DescribeDatabase(
    grpc::ServerContext* context,
    const milvus_pb::DescribeDatabaseRequest* request,
    milvus_pb::DescribeDatabaseResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    const std::string& name = c.call.db_name;
    auto described = connection_->DescribeDatabase(name, c.call);
    if (!absl::IsUnimplemented(described.status())) {
      COVE_RETURN_IF_ERROR(described);
      response->set_db_name(described->name);
      response->set_dbid(described->id);
      response->set_created_timestamp(
          internal::ComposeHybridTs(described->created_timestamp, 0));
      for (const auto& [k, v] : described->properties) {
        common_pb::KeyValuePair* kv = response->add_properties();
        kv->set_key(k);
        kv->set_value(v);
      }
      return absl::OkStatus();
    }
    auto names = connection_->ListDatabases(c.call);
    if (absl::IsUnimplemented(names.status())) {
      names = std::vector<std::string>{"default"};
    }
    COVE_RETURN_IF_ERROR(names);
    auto it = std::find(names->begin(), names->end(), name);
    if (it == names->end()) {
      return absl::NotFoundError(
          absl::StrCat("database '", name, "' not found"));
    }
    response->set_db_name(name);
    response->set_dbid(1 + (it - names->begin()));
    return absl::OkStatus();
  });
}

// --- collections
// ----------------------------------------------------------------

grpc::Status MilvusServiceImpl::CreateCollection(
    grpc::ServerContext* context,
    const milvus_pb::CreateCollectionRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    ::milvus::proto::schema::CollectionSchema proto;
    if (!proto.ParseFromString(request->schema())) {
      return absl::InvalidArgumentError(
          "create collection schema: not a serialized schema.CollectionSchema "
          "(or "
          "a name or text in it is not valid UTF-8)");
    }
    COVE_ASSIGN_OR_RETURN(auto schema, internal::SchemaFromProto(proto));
    std::string name = request->collection_name().empty()
                           ? proto.name()
                           : request->collection_name();
    COVE_RETURN_IF_ERROR(NeedName("collection_name", name));
    COVE_RETURN_IF_ERROR(internal::CheckCreateCollectionSupported(*request));
    schema.consistency_level =
        static_cast<ConsistencyLevel>(request->consistency_level());
    schema.num_partitions = request->num_partitions();
    for (const common_pb::KeyValuePair& kv : request->properties()) {
      schema.properties[kv.key()] = kv.value();
    }
    return connection_->CreateCollection(name, schema, {}, c.call);
  });
}

grpc::Status MilvusServiceImpl::DescribeCollection(
    grpc::ServerContext* context,
    const milvus_pb::DescribeCollectionRequest* request,
    milvus_pb::DescribeCollectionResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(
        NeedName("collection_name", request->collection_name()));
    COVE_ASSIGN_OR_RETURN(auto d, connection_->DescribeCollection(
                                      request->collection_name(), c.call));
    internal::DescriptionToProto(d, response);
    response->set_db_name(c.call.db_name);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::HasCollection(
    grpc::ServerContext* context,
    const milvus_pb::HasCollectionRequest* request,
    milvus_pb::BoolResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto has, connection_->HasCollection(
                                        request->collection_name(), c.call));
    response->set_value(has);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::ShowCollections(
    grpc::ServerContext* context,
    const milvus_pb::ShowCollectionsRequest* request,
    milvus_pb::ShowCollectionsResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto names, connection_->ListCollections(c.call));
    for (const std::string& name : names) {
      auto d = connection_->DescribeCollection(name, c.call);
      if (!d.ok()) continue;  // dropped meanwhile
      auto state = connection_->GetLoadState(name, c.call);
      bool loaded = state.ok() && *state == LoadState::kLoaded;
      if (request->type() == milvus_pb::InMemory && !loaded) continue;
      response->add_collection_names(name);
      response->add_collection_ids(d->collection_id);
      response->add_created_timestamps(
          internal::CollectionHybridTs(d->created_timestamp));
      response->add_created_utc_timestamps(
          static_cast<uint64_t>(d->created_timestamp / 1000));
      response->add_query_service_available(loaded);
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::DropCollection(
    grpc::ServerContext* context,
    const milvus_pb::DropCollectionRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    // As Milvus: dropping a collection that does not exist succeeds.
    return IgnoreNotFound(
        connection_->DropCollection(request->collection_name(), c.call));
  });
}

grpc::Status MilvusServiceImpl::RenameCollection(
    grpc::ServerContext* context,
    const milvus_pb::RenameCollectionRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    return connection_->RenameCollection(request->oldname(), request->newname(),
                                         request->newdbname(), c.call);
  });
}

grpc::Status MilvusServiceImpl::LoadCollection(
    grpc::ServerContext* context,
    const milvus_pb::LoadCollectionRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_RETURN_IF_ERROR(
        CheckLoadOptions("LoadCollection", *request, /*fields_ok=*/true));
    LoadOptions options;
    options.load_fields.assign(request->load_fields().begin(),
                               request->load_fields().end());
    options.skip_load_dynamic_field = request->skip_load_dynamic_field();
    return connection_->LoadCollection(request->collection_name(), options,
                                       c.call);
  });
}

grpc::Status MilvusServiceImpl::ReleaseCollection(
    grpc::ServerContext* context,
    const milvus_pb::ReleaseCollectionRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    return connection_->ReleaseCollection(request->collection_name(), c.call);
  });
}

grpc::Status MilvusServiceImpl::GetLoadingProgress(
    grpc::ServerContext* context,
    const milvus_pb::GetLoadingProgressRequest* request,
    milvus_pb::GetLoadingProgressResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto state, connection_->GetLoadState(
                                          request->collection_name(), c.call));
    switch (state) {
      case LoadState::kNotExist:
        return absl::NotFoundError(absl::StrCat(
            "collection '", request->collection_name(), "' not found"));
      case LoadState::kNotLoaded:
        return absl::FailedPreconditionError(absl::StrCat(
            "collection '", request->collection_name(), "' is not loaded"));
      case LoadState::kLoading:
        response->set_progress(50);
        break;
      case LoadState::kLoaded:
        response->set_progress(100);
        response->set_refresh_progress(100);
        break;
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetLoadState(
    grpc::ServerContext* context, const milvus_pb::GetLoadStateRequest* request,
    milvus_pb::GetLoadStateResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(
        LoadState state,
        request->partition_names().empty()
            ? connection_->GetLoadState(request->collection_name(), c.call)
            : connection_->GetPartitionsLoadState(
                  request->collection_name(),
                  {request->partition_names().begin(),
                   request->partition_names().end()},
                  c.call));
    response->set_state(internal::LoadStateToProto(state));
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetCollectionStatistics(
    grpc::ServerContext* context,
    const milvus_pb::GetCollectionStatisticsRequest* request,
    milvus_pb::GetCollectionStatisticsResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto stats, connection_->GetCollectionStats(
                                          request->collection_name(), c.call));
    common_pb::KeyValuePair* kv = response->add_stats();
    kv->set_key("row_count");
    kv->set_value(absl::StrCat(stats.row_count));
    return absl::OkStatus();
  });
}

// --- partitions
// -----------------------------------------------------------------

grpc::Status MilvusServiceImpl::CreatePartition(
    grpc::ServerContext* context,
    const milvus_pb::CreatePartitionRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    return connection_->CreatePartition(request->collection_name(),
                                        request->partition_name(), c.call);
  });
}

grpc::Status MilvusServiceImpl::DropPartition(
    grpc::ServerContext* context,
    const milvus_pb::DropPartitionRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    // As Milvus: dropping a partition that does not exist succeeds (the
    // collection must exist).
    COVE_ASSIGN_OR_RETURN(bool has, connection_->HasCollection(
                                        request->collection_name(), c.call));
    if (!has) {
      return absl::NotFoundError(absl::StrCat(
          "collection not found[collection=", request->collection_name(), "]"));
    }
    return IgnoreNotFound(connection_->DropPartition(
        request->collection_name(), request->partition_name(), c.call));
  });
}

grpc::Status MilvusServiceImpl::HasPartition(
    grpc::ServerContext* context, const milvus_pb::HasPartitionRequest* request,
    milvus_pb::BoolResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    auto has = connection_->HasPartition(request->collection_name(),
                                         request->partition_name(), c.call);
    if (absl::IsUnimplemented(has.status())) {
      // Backends without partitions have exactly the default one.
      COVE_ASSIGN_OR_RETURN(auto d, connection_->DescribeCollection(
                                        request->collection_name(), c.call));
      has = std::find(d.partitions.begin(), d.partitions.end(),
                      request->partition_name()) != d.partitions.end();
    }
    COVE_RETURN_IF_ERROR(has);
    response->set_value(*has);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::ShowPartitions(
    grpc::ServerContext* context,
    const milvus_pb::ShowPartitionsRequest* request,
    milvus_pb::ShowPartitionsResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    auto names =
        connection_->ListPartitions(request->collection_name(), c.call);
    if (absl::IsUnimplemented(names.status())) {
      COVE_ASSIGN_OR_RETURN(auto d, connection_->DescribeCollection(
                                        request->collection_name(), c.call));
      names = d.partitions;
    }
    COVE_RETURN_IF_ERROR(names);
    int64_t id = 1;
    for (const std::string& n : *names) {
      response->add_partition_names(n);
      response->add_partitionids(id++);
      response->add_created_timestamps(0);
      response->add_created_utc_timestamps(0);
    }
    return absl::OkStatus();
  });
}

// --- aliases
// --------------------------------------------------------------------

grpc::Status MilvusServiceImpl::CreateAlias(
    grpc::ServerContext* context, const milvus_pb::CreateAliasRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    return connection_->CreateAlias(request->collection_name(),
                                    request->alias(), c.call);
  });
}

grpc::Status MilvusServiceImpl::DropAlias(
    grpc::ServerContext* context, const milvus_pb::DropAliasRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    // As Milvus: dropping an alias that does not exist succeeds.
    return IgnoreNotFound(connection_->DropAlias(request->alias(), c.call));
  });
}

grpc::Status MilvusServiceImpl::AlterAlias(
    grpc::ServerContext* context, const milvus_pb::AlterAliasRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    return connection_->AlterAlias(request->collection_name(), request->alias(),
                                   c.call);
  });
}

grpc::Status MilvusServiceImpl::DescribeAlias(
    grpc::ServerContext* context,
    const milvus_pb::DescribeAliasRequest* request,
    milvus_pb::DescribeAliasResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto d,
                          connection_->DescribeAlias(request->alias(), c.call));
    response->set_alias(d.alias);
    response->set_collection(d.collection);
    response->set_db_name(d.db_name.empty() ? c.call.db_name : d.db_name);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::ListAliases(
    grpc::ServerContext* context, const milvus_pb::ListAliasesRequest* request,
    milvus_pb::ListAliasesResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(
        auto aliases,
        connection_->ListAliases(request->collection_name(), c.call));
    response->set_db_name(c.call.db_name);
    response->set_collection_name(request->collection_name());
    for (const std::string& a : aliases) response->add_aliases(a);
    return absl::OkStatus();
  });
}

// --- indexes
// --------------------------------------------------------------------

namespace {

// As Milvus: an index on a field the collection does not have fails before
// the index parameters are read, with Milvus' wording ("non-exist", which
// the Node SDK's specs match) and its code (UnexpectedError, not
// IllegalArgument: the message does not start with a resource word).
absl::Status IndexFieldExists(const CollectionSchema& schema,
                              const std::string& field) {
  if (field.empty()) return absl::OkStatus();  // IndexSpecFromProto says so
  for (const auto& f : schema.fields) {
    if (f.name == field) return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("CreateIndex: cannot create index on non-exist field: '",
                   field, "' (no such field in the schema)"));
}

}  // namespace

grpc::Status MilvusServiceImpl::CreateIndex(
    grpc::ServerContext* context, const milvus_pb::CreateIndexRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(CollectionSchema schema,
                          Schema(request->collection_name(), c.call));
    COVE_RETURN_IF_ERROR(IndexFieldExists(schema, request->field_name()));
    COVE_ASSIGN_OR_RETURN(auto spec, internal::IndexSpecFromProto(*request));
    // As Milvus: creating an index that exists with the same parameters
    // succeeds; different parameters are an error.
    auto existing =
        connection_->DescribeIndexes(request->collection_name(), c.call);
    if (existing.ok()) {
      for (const IndexDescription& d : *existing) {
        if (d.field_name != spec.field_name) continue;
        if (d.index_type == spec.index_type &&
            d.metric_type == spec.metric_type &&
            (spec.index_name.empty() || spec.index_name == d.index_name) &&
            SameIndexParams(d.params, spec.params)) {
          return absl::OkStatus();
        }
        return absl::AlreadyExistsError(absl::StrCat(
            "CreateIndex failed: at most one distinct index is allowed per "
            "field: field '",
            d.field_name, "' already has index '", d.index_name, "' (",
            IndexTypeName(d.index_type), ", ", MetricTypeName(d.metric_type),
            "); drop it first to create another"));
      }
    }
    return connection_->CreateIndex(request->collection_name(), spec, c.call);
  });
}

namespace {

// Indexes matching a request's field and index names (either may be empty).
std::vector<IndexDescription> MatchingIndexes(std::vector<IndexDescription> all,
                                              const std::string& field,
                                              const std::string& index) {
  std::vector<IndexDescription> out;
  for (auto& d : all) {
    if (!field.empty() && d.field_name != field) continue;
    if (!index.empty() && d.index_name != index) continue;
    out.push_back(std::move(d));
  }
  return out;
}

absl::Status IndexNotFound(const std::string& collection,
                           const std::string& field, const std::string& index) {
  return absl::NotFoundError(absl::StrCat(
      "index ", index.empty() ? "" : absl::StrCat("'", index, "' "),
      field.empty() ? "" : absl::StrCat("on field '", field, "' "),
      "not found in collection '", collection, "'"));
}

}  // namespace

grpc::Status MilvusServiceImpl::DescribeIndex(
    grpc::ServerContext* context,
    const milvus_pb::DescribeIndexRequest* request,
    milvus_pb::DescribeIndexResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto all, connection_->DescribeIndexes(
                                        request->collection_name(), c.call));
    auto found = MatchingIndexes(std::move(all), request->field_name(),
                                 request->index_name());
    if (found.empty()) {
      return IndexNotFound(request->collection_name(), request->field_name(),
                           request->index_name());
    }
    for (const IndexDescription& d : found) {
      internal::IndexDescriptionToProto(d, response->add_index_descriptions());
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::DropIndex(
    grpc::ServerContext* context, const milvus_pb::DropIndexRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    std::string name = request->index_name();
    COVE_ASSIGN_OR_RETURN(auto all, connection_->DescribeIndexes(
                                        request->collection_name(), c.call));
    auto found = MatchingIndexes(std::move(all), request->field_name(), name);
    // As Milvus: dropping an index that does not exist succeeds.
    if (found.empty()) return absl::OkStatus();
    return connection_->DropIndex(request->collection_name(),
                                  found.front().index_name, c.call);
  });
}

grpc::Status MilvusServiceImpl::GetIndexState(
    grpc::ServerContext* context,
    const milvus_pb::GetIndexStateRequest* request,
    milvus_pb::GetIndexStateResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto all, connection_->DescribeIndexes(
                                        request->collection_name(), c.call));
    auto found = MatchingIndexes(std::move(all), request->field_name(),
                                 request->index_name());
    if (found.empty()) {
      return IndexNotFound(request->collection_name(), request->field_name(),
                           request->index_name());
    }
    milvus_pb::IndexDescription d;
    internal::IndexDescriptionToProto(found.front(), &d);
    response->set_state(d.state());
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetIndexBuildProgress(
    grpc::ServerContext* context,
    const milvus_pb::GetIndexBuildProgressRequest* request,
    milvus_pb::GetIndexBuildProgressResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto all, connection_->DescribeIndexes(
                                        request->collection_name(), c.call));
    auto found = MatchingIndexes(std::move(all), request->field_name(),
                                 request->index_name());
    if (found.empty()) {
      return IndexNotFound(request->collection_name(), request->field_name(),
                           request->index_name());
    }
    response->set_indexed_rows(found.front().indexed_rows);
    response->set_total_rows(found.front().total_rows);
    return absl::OkStatus();
  });
}

// --- data
// -----------------------------------------------------------------------

grpc::Status MilvusServiceImpl::Insert(grpc::ServerContext* context,
                                       const milvus_pb::InsertRequest* request,
                                       milvus_pb::MutationResult* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    return Write(*request, /*upsert=*/false, c.call, response);
  });
}

grpc::Status MilvusServiceImpl::Upsert(grpc::ServerContext* context,
                                       const milvus_pb::UpsertRequest* request,
                                       milvus_pb::MutationResult* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    return Write(*request, /*upsert=*/true, c.call, response);
  });
}

grpc::Status MilvusServiceImpl::Delete(grpc::ServerContext* context,
                                       const milvus_pb::DeleteRequest* request,
                                       milvus_pb::MutationResult* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    DeleteRequest del = internal::DeleteRequestFromProto(*request);
    COVE_ASSIGN_OR_RETURN(auto result, connection_->Delete(del, c.call));
    internal::MutationResultToProto(result, "delete", response);
    response->set_timestamp(clock_.Next());
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::Search(grpc::ServerContext* context,
                                       const milvus_pb::SearchRequest* request,
                                       milvus_pb::SearchResults* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    internal::SearchIteratorKeys iterator;
    COVE_ASSIGN_OR_RETURN(
        auto search, internal::SearchRequestFromProto(*request, &iterator));
    COVE_ASSIGN_OR_RETURN(auto schema, Schema(search.collection_name, c.call));
    if (iterator.v2) {
      // One page of Milvus' search iterator: the token and where the page
      // ended travel in search_iterator_v2_results.
      COVE_ASSIGN_OR_RETURN(
          auto page,
          search_iterators_.Next(c.user, c.call, std::move(search), iterator));
      response->set_collection_name(page.request.collection_name);
      COVE_RETURN_IF_ERROR(internal::SearchResultsToProto(
          page.results, schema, page.request, response));
      auto* info =
          response->mutable_results()->mutable_search_iterator_v2_results();
      info->set_token(page.token);
      info->set_last_bound(page.last_bound);
      response->set_session_ts(clock_.Next());
    } else {
      // "iterator": true alone marks the pages of pymilvus' first search
      // iterator (range searches): run as they are.
      COVE_ASSIGN_OR_RETURN(auto results, connection_->Search(search, c.call));
      response->set_collection_name(search.collection_name);
      COVE_RETURN_IF_ERROR(
          internal::SearchResultsToProto(results, schema, search, response));
      // The time of the read, as Milvus answers it (pymilvus' first search
      // iterator reads it; cove reads every acknowledged write anyway).
      response->set_session_ts(clock_.Next());
    }
    // round_decimal (-1: as computed) rounds the scores, as Milvus does.
    int64_t decimals = -1;
    if (absl::SimpleAtoi(
            internal::FindKeyValue(request->search_params(), "round_decimal"),
            &decimals) &&
        decimals >= 0) {
      const double scale = std::pow(10.0, static_cast<double>(decimals));
      auto* scores = response->mutable_results()->mutable_scores();
      for (float& score : *scores) {
        score = static_cast<float>(std::round(score * scale) / scale);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::HybridSearch(
    grpc::ServerContext* context, const milvus_pb::HybridSearchRequest* request,
    milvus_pb::SearchResults* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto hybrid,
                          internal::HybridSearchRequestFromProto(*request));
    COVE_ASSIGN_OR_RETURN(auto schema, Schema(hybrid.collection_name, c.call));
    COVE_ASSIGN_OR_RETURN(auto results,
                          connection_->HybridSearch(hybrid, c.call));
    response->set_collection_name(hybrid.collection_name);
    // The shape of the results: the fused limit and the output fields.
    SearchRequest shape;
    shape.collection_name = hybrid.collection_name;
    shape.limit = hybrid.limit;
    shape.output_fields = hybrid.output_fields;
    shape.group_by_field = hybrid.group_by_field;
    COVE_RETURN_IF_ERROR(
        internal::SearchResultsToProto(results, schema, shape, response));
    response->set_session_ts(clock_.Next());
    int64_t decimals = -1;
    if (absl::SimpleAtoi(
            internal::FindKeyValue(request->rank_params(), "round_decimal"),
            &decimals) &&
        decimals >= 0) {
      const double scale = std::pow(10.0, static_cast<double>(decimals));
      auto* scores = response->mutable_results()->mutable_scores();
      for (float& score : *scores) {
        score = static_cast<float>(std::round(score * scale) / scale);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::Query(grpc::ServerContext* context,
                                      const milvus_pb::QueryRequest* request,
                                      milvus_pb::QueryResults* response) {
  const std::string session_verb = internal::FindKeyValue(
      request->query_params(), internal::kCoveReadSessionKey);
  if (!session_verb.empty()) return ReadSession(context, *request, response);
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(auto query,
                          internal::QueryRequestFromProto(*request));
    COVE_ASSIGN_OR_RETURN(auto schema, Schema(query.collection_name, c.call));
    const bool key_order = internal::QueryWantsKeyOrder(*request);
    QueryRequest run = query;
    uint64_t session_ts = 0;
    if (key_order) {
      // Milvus' query iterator pages by "pk > last" with a limit: the page
      // must hold the smallest keys, so every match is read and sorted
      // (O(matches) per page).
      run.limit = 0;
      run.offset = 0;
      // Its pages read the collection as of the first one: the session_ts
      // of the first reply comes back as guarantee_timestamp.
      if (run.session_id.empty()) {
        COVE_ASSIGN_OR_RETURN(
            QueryIterators::Pin pin,
            query_iterators_.PinPage(c.user, c.call, query.collection_name,
                                     request->guarantee_timestamp()));
        run.session_id = std::move(pin.session_id);
        session_ts = pin.session_ts;
      }
    }
    COVE_ASSIGN_OR_RETURN(auto rows, connection_->Query(run, c.call));
    if (key_order) SortByKeyAndPage(schema, query.offset, query.limit, &rows);
    response->set_collection_name(query.collection_name);
    // The time of the read: Milvus' iterators send it back as
    // guarantee_timestamp (other reads see every acknowledged write).
    response->set_session_ts(session_ts != 0 ? session_ts : clock_.Next());
    return internal::QueryResultsToProto(rows, schema, query, response);
  });
}

// Cove's read sessions (iterator snapshots) ride on Query: see
// kCoveReadSessionKey in milvus/convert.h.
grpc::Status MilvusServiceImpl::ReadSession(
    grpc::ServerContext* context, const milvus_pb::QueryRequest& request,
    milvus_pb::QueryResults* response) {
  std::string opened;
  grpc::Status status =
      Handle(context, request, response, [&](const Caller& c) {
        const std::string verb = internal::FindKeyValue(
            request.query_params(), internal::kCoveReadSessionKey);
        if (verb == "open") {
          COVE_ASSIGN_OR_RETURN(
              auto id,
              connection_->OpenReadSession(request.collection_name(), c.call));
          opened = std::move(id);
          return absl::OkStatus();
        }
        if (verb == "close") {
          const std::string id = internal::FindKeyValue(
              request.query_params(), internal::kCoveSessionIdKey);
          if (id.empty()) {
            return absl::InvalidArgumentError(
                absl::StrCat("read session close: query param '",
                             internal::kCoveSessionIdKey, "' is missing"));
          }
          return connection_->CloseReadSession(request.collection_name(), id,
                                               c.call);
        }
        return absl::InvalidArgumentError(
            absl::StrCat("query param '", internal::kCoveReadSessionKey,
                         "': expected 'open' or 'close' (got '", verb, "')"));
      });
  if (!opened.empty() && response->status().code() == 0) {
    response->set_collection_name(request.collection_name());
    (*response->mutable_status()
          ->mutable_extra_info())[internal::kCoveSessionIdKey] = opened;
    // Session ids are decimal 63-bit numbers: also in session_ts, where
    // Milvus puts the timestamp of an iterator's snapshot.
    uint64_t ts = 0;
    if (absl::SimpleAtoi(opened, &ts)) response->set_session_ts(ts);
  }
  return status;
}

grpc::Status MilvusServiceImpl::Flush(grpc::ServerContext* context,
                                      const milvus_pb::FlushRequest* request,
                                      milvus_pb::FlushResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    response->set_db_name(c.call.db_name);
    for (const std::string& name : request->collection_names()) {
      COVE_RETURN_IF_ERROR(connection_->Flush(name, c.call));
      (*response->mutable_coll_segids())[name];
      (*response->mutable_flush_coll_segids())[name];
      (*response->mutable_coll_seal_times())[name] =
          absl::ToUnixSeconds(absl::Now());
      (*response->mutable_coll_flush_ts())[name] = 1;
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::GetFlushState(
    grpc::ServerContext* context,
    const milvus_pb::GetFlushStateRequest* request,
    milvus_pb::GetFlushStateResponse* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    if (!request->collection_name().empty()) {
      COVE_ASSIGN_OR_RETURN(auto has, connection_->HasCollection(
                                          request->collection_name(), c.call));
      if (!has) {
        return absl::NotFoundError(absl::StrCat(
            "collection '", request->collection_name(), "' not found"));
      }
    }
    response->set_flushed(true);  // writes are applied when acknowledged
    return absl::OkStatus();
  });
}

}  // namespace cove::server
