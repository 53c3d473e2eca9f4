// Milvus RBAC v2 on cove-server: grants by privilege or privilege group with
// a database and a collection (OperatePrivilegeV2), custom privilege groups,
// and BackupRBAC / RestoreRBAC. The users, roles, grants and groups live in
// the server's auth::AuthStore.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/milvus_service.h"
#include "server/milvus_service_handle.h"

namespace cove::server {

grpc::Status MilvusServiceImpl::OperatePrivilegeV2(
    grpc::ServerContext* context,
    const milvus_pb::OperatePrivilegeV2Request* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    const std::string& privilege = request->grantor().privilege().name();
    COVE_RETURN_IF_ERROR(ValidatePrivilege(privilege));
    const std::string& role = request->role().name();
    if (role.empty()) {
      return absl::InvalidArgumentError("operate privilege: role is empty");
    }
    std::string db =
        request->db_name().empty() ? c.call.db_name : request->db_name();
    std::string collection = request->collection_name().empty()
                                 ? std::string("*")
                                 : request->collection_name();
    // As Milvus: a privilege applies at its level. Collection privileges to
    // the named collection, the others database or cluster wide (a Global
    // grant); a group holding both kinds gives one grant of each.
    bool collection_level = false;
    bool global_level = false;
    std::vector<std::string> members =
        auth::AuthStore::BuiltinGroupPrivileges(privilege);
    if (members.empty() && auth_->IsPrivilegeGroup(privilege)) {
      for (const auto& [name, privileges] : auth_->ListPrivilegeGroups()) {
        if (name == privilege) members = privileges;
      }
      if (members.empty()) collection_level = true;  // an empty group
    }
    if (members.empty()) members.push_back(privilege);
    for (const std::string& p : members) {
      if (p == "All" || p == "*") {
        collection_level = global_level = true;
      } else if (auth::AuthStore::IsCollectionPrivilege(p)) {
        collection_level = true;
      } else {
        global_level = true;
      }
    }
    std::vector<Grant> grants;
    if (collection_level) {
      grants.push_back({role, "Collection", collection, privilege, db, c.user});
    }
    if (global_level) {
      grants.push_back({role, "Global", "*", privilege, db, c.user});
    }
    if (request->type() == milvus_pb::Revoke) {
      COVE_RETURN_IF_ERROR(auth_->ListRoles(role).status());  // NotFound
    }
    for (const Grant& g : grants) {
      if (request->type() == milvus_pb::Revoke) {
        // As Milvus: revoking a grant that is not there succeeds.
        absl::Status s = auth_->RevokePrivilege(g);
        if (!s.ok() && !absl::IsNotFound(s)) return s;
      } else {
        COVE_RETURN_IF_ERROR(auth_->GrantPrivilege(g));
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::CreatePrivilegeGroup(
    grpc::ServerContext* context,
    const milvus_pb::CreatePrivilegeGroupRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    return auth_->CreatePrivilegeGroup(request->group_name());
  });
}

grpc::Status MilvusServiceImpl::DropPrivilegeGroup(
    grpc::ServerContext* context,
    const milvus_pb::DropPrivilegeGroupRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    return auth_->DropPrivilegeGroup(request->group_name());
  });
}

grpc::Status MilvusServiceImpl::ListPrivilegeGroups(
    grpc::ServerContext* context,
    const milvus_pb::ListPrivilegeGroupsRequest* request,
    milvus_pb::ListPrivilegeGroupsResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    for (const auto& [name, privileges] : auth_->ListPrivilegeGroups()) {
      milvus_pb::PrivilegeGroupInfo* info = response->add_privilege_groups();
      info->set_group_name(name);
      for (const std::string& p : privileges) {
        info->add_privileges()->set_name(p);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::OperatePrivilegeGroup(
    grpc::ServerContext* context,
    const milvus_pb::OperatePrivilegeGroupRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    std::vector<std::string> privileges;
    for (const milvus_pb::PrivilegeEntity& p : request->privileges()) {
      if (common_pb::ObjectPrivilege_descriptor()->FindValueByName(
              absl::StrCat("Privilege", p.name())) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "privilege group '", internal::ValidUtf8(request->group_name()),
            "': unknown privilege '", internal::ValidUtf8(p.name()),
            "' (expected a Milvus privilege such as Query or Insert)"));
      }
      privileges.push_back(p.name());
    }
    return auth_->OperatePrivilegeGroup(
        request->group_name(), privileges,
        request->type() == milvus_pb::AddPrivilegesToGroup);
  });
}

grpc::Status MilvusServiceImpl::BackupRBAC(
    grpc::ServerContext* context,
    const milvus_pb::BackupRBACMetaRequest* request,
    milvus_pb::BackupRBACMetaResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    auth::AuthStore::Snapshot snapshot = auth_->Backup();
    milvus_pb::RBACMeta* meta = response->mutable_rbac_meta();
    for (const auto& u : snapshot.users) {
      milvus_pb::UserInfo* info = meta->add_users();
      info->set_user(u.name);
      info->set_password(u.password_hash);
      for (const std::string& r : u.roles) info->add_roles()->set_name(r);
    }
    for (const std::string& r : snapshot.roles) meta->add_roles()->set_name(r);
    for (const Grant& g : snapshot.grants) {
      internal::GrantToProto(g, meta->add_grants());
    }
    for (const auto& [name, privileges] : snapshot.groups) {
      milvus_pb::PrivilegeGroupInfo* info = meta->add_privilege_groups();
      info->set_group_name(name);
      for (const std::string& p : privileges) {
        info->add_privileges()->set_name(p);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::RestoreRBAC(
    grpc::ServerContext* context,
    const milvus_pb::RestoreRBACMetaRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    const milvus_pb::RBACMeta& meta = request->rbac_meta();
    auth::AuthStore::Snapshot snapshot;
    for (const milvus_pb::UserInfo& u : meta.users()) {
      auth::AuthStore::Snapshot::User user;
      user.name = u.user();
      user.password_hash = u.password();
      for (const milvus_pb::RoleEntity& r : u.roles()) {
        user.roles.push_back(r.name());
      }
      snapshot.users.push_back(std::move(user));
    }
    for (const milvus_pb::RoleEntity& r : meta.roles()) {
      snapshot.roles.push_back(r.name());
    }
    std::set<std::string> restored_groups;
    for (const milvus_pb::PrivilegeGroupInfo& g : meta.privilege_groups()) {
      std::vector<std::string> privileges;
      for (const milvus_pb::PrivilegeEntity& p : g.privileges()) {
        privileges.push_back(p.name());
      }
      restored_groups.insert(g.group_name());
      snapshot.groups.emplace_back(g.group_name(), std::move(privileges));
    }
    for (const milvus_pb::GrantEntity& g : meta.grants()) {
      Grant grant = internal::GrantFromProto(g);
      if (restored_groups.count(grant.privilege) == 0) {
        COVE_RETURN_IF_ERROR(ValidatePrivilege(grant.privilege));
      }
      snapshot.grants.push_back(std::move(grant));
    }
    return auth_->Restore(snapshot);
  });
}

}  // namespace cove::server
