// Milvus users, roles and privileges on cove-server (RBAC v1; v2 is in
// rbac_rpcs.cc): the RPCs over the server's auth::AuthStore.
#include <algorithm>
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

// --- users, roles and privileges
// ------------------------------------------------

grpc::Status MilvusServiceImpl::CreateCredential(
    grpc::ServerContext* context,
    const milvus_pb::CreateCredentialRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    COVE_ASSIGN_OR_RETURN(auto password,
                          DecodePassword("password", request->password()));
    return auth_->CreateUser(request->username(), password);
  });
}

grpc::Status MilvusServiceImpl::UpdateCredential(
    grpc::ServerContext* context,
    const milvus_pb::UpdateCredentialRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    COVE_ASSIGN_OR_RETURN(
        auto old_password,
        DecodePassword("oldPassword", request->oldpassword()));
    COVE_ASSIGN_OR_RETURN(
        auto new_password,
        DecodePassword("newPassword", request->newpassword()));
    // Root may reset any password; everyone else proves the old one.
    bool check_old = c.user != auth::kRootUser;
    return auth_->UpdatePassword(request->username(), old_password,
                                 new_password, check_old);
  });
}

grpc::Status MilvusServiceImpl::DeleteCredential(
    grpc::ServerContext* context,
    const milvus_pb::DeleteCredentialRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    // As Milvus: deleting a user that does not exist succeeds.
    return IgnoreNotFound(auth_->DeleteUser(request->username()));
  });
}

grpc::Status MilvusServiceImpl::ListCredUsers(
    grpc::ServerContext* context,
    const milvus_pb::ListCredUsersRequest* request,
    milvus_pb::ListCredUsersResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    for (const std::string& u : Users()) response->add_usernames(u);
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::CreateRole(
    grpc::ServerContext* context, const milvus_pb::CreateRoleRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    return auth_->CreateRole(request->entity().name());
  });
}

grpc::Status MilvusServiceImpl::DropRole(
    grpc::ServerContext* context, const milvus_pb::DropRoleRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    // As Milvus: dropping a role that does not exist succeeds.
    return IgnoreNotFound(
        auth_->DropRole(request->role_name(), request->force_drop()));
  });
}

grpc::Status MilvusServiceImpl::OperateUserRole(
    grpc::ServerContext* context,
    const milvus_pb::OperateUserRoleRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    if (request->type() == milvus_pb::RemoveUserFromRole) {
      return auth_->RevokeRole(request->username(), request->role_name());
    }
    return auth_->GrantRole(request->username(), request->role_name());
  });
}

grpc::Status MilvusServiceImpl::SelectRole(
    grpc::ServerContext* context, const milvus_pb::SelectRoleRequest* request,
    milvus_pb::SelectRoleResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    auto roles = auth_->ListRoles(request->role().name());
    // As Milvus: selecting a role that does not exist finds nothing.
    if (absl::IsNotFound(roles.status())) return absl::OkStatus();
    COVE_RETURN_IF_ERROR(roles);
    for (const RoleInfo& r : *roles) {
      milvus_pb::RoleResult* result = response->add_results();
      result->mutable_role()->set_name(r.name);
      if (request->include_user_info()) {
        for (const std::string& u : r.users) result->add_users()->set_name(u);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::SelectUser(
    grpc::ServerContext* context, const milvus_pb::SelectUserRequest* request,
    milvus_pb::SelectUserResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    std::vector<std::string> users;
    if (request->user().name().empty()) {
      users = Users();
    } else {
      users.push_back(request->user().name());
    }
    for (const std::string& name : users) {
      auto info = auth_->DescribeUser(name);
      if (absl::IsNotFound(info.status()) && name == auth::kRootUser &&
          !options_.auth_enabled) {
        info = UserInfo{name, {}};  // root exists also without auth
      }
      // As Milvus: selecting a user that does not exist finds nothing.
      if (absl::IsNotFound(info.status())) continue;
      COVE_RETURN_IF_ERROR(info);
      milvus_pb::UserResult* result = response->add_results();
      result->mutable_user()->set_name(info->name);
      if (request->include_role_info()) {
        for (const std::string& r : info->roles) {
          result->add_roles()->set_name(r);
        }
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status MilvusServiceImpl::OperatePrivilege(
    grpc::ServerContext* context,
    const milvus_pb::OperatePrivilegeRequest* request,
    common_pb::Status* response) {
  return Handle(context, *request, response, [&](const Caller& c) {
    Grant grant = internal::GrantFromProto(request->entity());
    COVE_RETURN_IF_ERROR(ValidatePrivilege(grant.privilege));
    if (grant.db_name.empty()) grant.db_name = c.call.db_name;
    grant.grantor = c.user;
    if (request->type() == milvus_pb::Revoke) {
      return auth_->RevokePrivilege(grant);
    }
    return auth_->GrantPrivilege(grant);
  });
}

namespace {

// Milvus lists grants in the order of its metadata keys: by role, object
// type, database, object name, then privilege name (the Node SDK's specs
// read entities[0] and [1] in that order).
void SortGrantsAsMilvus(std::vector<Grant>& grants) {
  std::stable_sort(
      grants.begin(), grants.end(), [](const Grant& a, const Grant& b) {
        return std::tie(a.role, a.object_type, a.db_name, a.object_name,
                        a.privilege) < std::tie(b.role, b.object_type,
                                                b.db_name, b.object_name,
                                                b.privilege);
      });
}

}  // namespace

grpc::Status MilvusServiceImpl::SelectGrant(
    grpc::ServerContext* context, const milvus_pb::SelectGrantRequest* request,
    milvus_pb::SelectGrantResponse* response) {
  return Handle(context, *request, response, [&](const Caller&) {
    const milvus_pb::GrantEntity& e = request->entity();
    COVE_ASSIGN_OR_RETURN(auto grants,
                          auth_->ListGrants(e.role().name(), e.object().name(),
                                            e.object_name(), e.db_name()));
    SortGrantsAsMilvus(grants);
    for (const Grant& g : grants) {
      internal::GrantToProto(g, response->add_entities());
    }
    return absl::OkStatus();
  });
}

}  // namespace cove::server
