// Conversions of support access (issue 19) between cove::control structs
// and cove.control.v1 protos.
#include "control/control_convert.h"

namespace cove::internal {
namespace {

control::SupportAccessState StateFromInt(int v) {
  if (v < 0 || v > static_cast<int>(control::SupportAccessState::kRevoked))
    return control::SupportAccessState::kUnspecified;
  return static_cast<control::SupportAccessState>(v);
}

}  // namespace

#define COVE_TIME_TO(field) \
  if (control::IsSet(v.field)) ToProto(v.field, p.mutable_##field())
#define COVE_TIME_FROM(field) \
  if (p.has_##field()) v.field = FromProto(p.field())

pb::SupportAccessGrant ToProto(const control::SupportAccessGrant& v) {
  pb::SupportAccessGrant p;
  p.set_name(v.name);
  p.set_cluster(v.cluster);
  p.set_requester(v.requester);
  p.set_reason(v.reason);
  if (v.duration.count() != 0) ToProto(v.duration, p.mutable_duration());
  p.set_state(static_cast<pb::SupportAccessGrant::State>(v.state));
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(approve_time);
  COVE_TIME_TO(expire_time);
  COVE_TIME_TO(end_time);
  p.set_decided_by(v.decided_by);
  p.set_revoked_by(v.revoked_by);
  p.set_decision_reason(v.decision_reason);
  p.set_data_plane_user(v.data_plane_user);
  p.set_data_plane_password(v.data_plane_password);
  p.set_etag(v.etag);
  return p;
}

control::SupportAccessGrant FromProto(const pb::SupportAccessGrant& p) {
  control::SupportAccessGrant v;
  v.name = p.name();
  v.cluster = p.cluster();
  v.requester = p.requester();
  v.reason = p.reason();
  v.duration = FromProto(p.duration());
  v.state = StateFromInt(p.state());
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(approve_time);
  COVE_TIME_FROM(expire_time);
  COVE_TIME_FROM(end_time);
  v.decided_by = p.decided_by();
  v.revoked_by = p.revoked_by();
  v.decision_reason = p.decision_reason();
  v.data_plane_user = p.data_plane_user();
  v.data_plane_password = p.data_plane_password();
  v.etag = p.etag();
  return v;
}

control::Page<control::SupportAccessGrant> FromProto(
    const pb::ListSupportAccessResponse& p) {
  control::Page<control::SupportAccessGrant> page;
  for (const pb::SupportAccessGrant& g : p.grants())
    page.items.push_back(FromProto(g));
  page.next_page_token = p.next_page_token();
  return page;
}

pb::SupportPrincipal ToProto(const control::SupportPrincipal& v) {
  pb::SupportPrincipal p;
  p.set_name(v.name);
  p.set_display_name(v.display_name);
  COVE_TIME_TO(create_time);
  p.set_secret(v.secret);
  return p;
}

control::SupportPrincipal FromProto(const pb::SupportPrincipal& p) {
  control::SupportPrincipal v;
  v.name = p.name();
  v.display_name = p.display_name();
  COVE_TIME_FROM(create_time);
  v.secret = p.secret();
  return v;
}

pb::CreateSupportPrincipalRequest ToProto(
    const control::CreateSupportPrincipalRequest& v) {
  pb::CreateSupportPrincipalRequest p;
  p.set_support_principal_id(v.support_principal_id);
  p.set_display_name(v.display_name);
  return p;
}

pb::RequestSupportAccessRequest ToProto(
    const control::RequestSupportAccessRequest& v) {
  pb::RequestSupportAccessRequest p;
  p.set_cluster(v.cluster);
  p.set_reason(v.reason);
  ToProto(v.duration, p.mutable_duration());
  p.set_request_id(v.request_id);
  return p;
}

pb::SupportAccessActionRequest ToProto(
    const control::SupportAccessActionRequest& v) {
  pb::SupportAccessActionRequest p;
  p.set_name(v.name);
  p.set_reason(v.reason);
  p.set_etag(v.etag);
  return p;
}

}  // namespace cove::internal
