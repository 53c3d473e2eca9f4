// Round trips between the cove.control.v1 protos and the public structs. A
// proto with every field set (filled through reflection, so that a field
// added to the proto and forgotten here fails the test) must come back
// unchanged from proto -> struct -> proto.
#include "control/control_convert.h"

#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cove::internal {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Sets every field of `m` to a non-default value derived from `seed`;
// repeated fields and maps get two entries; nested messages recurse (to a
// small depth). For oneofs the last member wins, as on the wire.
void Fill(Message* m, int seed, int depth = 0) {
  const auto* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  if (d->full_name() == "google.protobuf.Timestamp" ||
      d->full_name() == "google.protobuf.Duration") {
    // Millisecond precision: what the public structs keep for durations.
    r->SetInt64(m, d->FindFieldByName("seconds"), 1700000000 + seed);
    r->SetInt32(m, d->FindFieldByName("nanos"), 123000000 + seed * 1000000);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const int v = seed + i + 1;
    const int n = f->is_repeated() ? 2 : 1;
    for (int k = 0; k < n; ++k) {
      const std::string text = f->name() + "-" + std::to_string(v + k);
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          f->is_repeated() ? r->AddString(m, f, text)
                           : r->SetString(m, f, text);
          break;
        case FieldDescriptor::CPPTYPE_INT32: {
          // Small: status codes must stay valid codes.
          int32_t x = 1 + (v + k) % 15;
          f->is_repeated() ? r->AddInt32(m, f, x) : r->SetInt32(m, f, x);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r->AddInt64(m, f, 1000 + v + k)
                           : r->SetInt64(m, f, 1000 + v + k);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          // Not an integer: a conversion through an int would show.
          f->is_repeated() ? r->AddDouble(m, f, 0.5 + v + k)
                           : r->SetDouble(m, f, 0.5 + v + k);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* e = f->enum_type();
          const auto* value = e->value(1 + (v + k) % (e->value_count() - 1));
          f->is_repeated() ? r->AddEnum(m, f, value) : r->SetEnum(m, f, value);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth < 3) {
            Message* sub = f->is_repeated() ? r->AddMessage(m, f)
                                            : r->MutableMessage(m, f);
            Fill(sub, v + k, depth + 1);
          }
          break;
        default:
          ADD_FAILURE() << "unexpected field type of " << f->full_name();
      }
    }
  }
}

template <typename Proto>
void ExpectRoundTrip(int seed = 0) {
  Proto original;
  Fill(&original, seed);
  auto value = FromProto(original);
  Proto back = ToProto(value);
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(original, back))
      << Proto::descriptor()->full_name() << ": " << diff;
  // And struct -> proto -> struct -> proto is stable.
  Proto again = ToProto(FromProto(back));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, again))
      << Proto::descriptor()->full_name();
}

TEST(ControlConvertTest, ResourcesRoundTrip) {
  ExpectRoundTrip<pb::Organization>();
  ExpectRoundTrip<pb::Member>();
  ExpectRoundTrip<pb::Invitation>();
  ExpectRoundTrip<pb::Project>();
  ExpectRoundTrip<pb::Environment>();
  ExpectRoundTrip<pb::EnvironmentValidation>();
  ExpectRoundTrip<pb::Autoscaling>();
  ExpectRoundTrip<pb::Cluster>();
  ExpectRoundTrip<pb::BackupPolicy>();
  ExpectRoundTrip<pb::Backup>();
  ExpectRoundTrip<pb::ApiKey>();
  ExpectRoundTrip<pb::Statement>();
  ExpectRoundTrip<pb::Role>();
  ExpectRoundTrip<pb::RoleBinding>();
  ExpectRoundTrip<pb::AuditEvent>();
  ExpectRoundTrip<pb::EmulatorSettings>();
  ExpectRoundTrip<pb::Fault>();
  // Licenses and cost (issue 19).
  ExpectRoundTrip<pb::License>();
  ExpectRoundTrip<pb::PriceTable>();
  ExpectRoundTrip<pb::CostEstimate>();
  ExpectRoundTrip<pb::EstimateCostRequest>();
  // Alerts, support access, versions and upgrades (issue 19).
  ExpectRoundTrip<pb::SupportAccessGrant>();
  ExpectRoundTrip<pb::SupportPrincipal>();
  ExpectRoundTrip<pb::MaintenanceWindow>();
  ExpectRoundTrip<pb::MaintenanceWindowInfo>();
  ExpectRoundTrip<pb::ScheduledUpgrade>();
  ExpectRoundTrip<pb::Release>();
}

// AlertRule.for_duration is whole seconds (the server refuses nanos), the
// only field Fill() gives a value the struct cannot hold.
TEST(ControlConvertTest, AlertRuleRoundTripsEveryField) {
  pb::AlertRule original;
  Fill(&original, 0);
  original.mutable_for_duration()->set_nanos(0);
  ASSERT_TRUE(original.has_last_delivery());
  ASSERT_TRUE(original.webhook().secret_set());
  control::AlertRule value = FromProto(original);
  EXPECT_EQ(value.for_duration.count(), original.for_duration().seconds());
  pb::AlertRule back = ToProto(value);
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(original, back)) << diff;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      back, ToProto(FromProto(back))));
}

TEST(ControlConvertTest, OperationsRoundTripWithEitherResult) {
  // Fill() leaves the last oneof member (backup) set.
  ExpectRoundTrip<pb::Operation>();
  pb::Operation with_cluster;
  Fill(&with_cluster, 3);
  Fill(with_cluster.mutable_cluster(), 4);
  ASSERT_TRUE(with_cluster.has_cluster());
  control::Operation op = FromProto(with_cluster);
  ASSERT_TRUE(op.cluster.has_value());
  EXPECT_FALSE(op.environment.has_value());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(with_cluster,
                                                                 ToProto(op)));
}

TEST(ControlConvertTest, RequestsRoundTrip) {
  ExpectRoundTrip<pb::CreateOrganizationRequest>();
  ExpectRoundTrip<pb::DeleteRequest>();
  ExpectRoundTrip<pb::CreateInvitationRequest>();
  ExpectRoundTrip<pb::CreateProjectRequest>();
  ExpectRoundTrip<pb::CreateEnvironmentRequest>();
  ExpectRoundTrip<pb::CreateClusterRequest>();
  ExpectRoundTrip<pb::ClusterActionRequest>();
  ExpectRoundTrip<pb::ScaleClusterRequest>();
  ExpectRoundTrip<pb::CreateApiKeyRequest>();
  ExpectRoundTrip<pb::CreateRoleRequest>();
  ExpectRoundTrip<pb::CreateRoleBindingRequest>();
  ExpectRoundTrip<pb::ListAuditEventsRequest>();
  ExpectRoundTrip<pb::UpdateSettingsRequest>();
  ExpectRoundTrip<pb::SetClockRequest>();
}

TEST(ControlConvertTest, AcceptInvitationResponse) {
  pb::AcceptInvitationResponse p;
  Fill(&p, 1);
  control::AcceptInvitationResult r = FromProto(p);
  EXPECT_EQ(r.member.name, p.member().name());
  EXPECT_EQ(r.api_key.secret, p.api_key().secret());
}

TEST(ControlConvertTest, UnsetTimesStayUnset) {
  control::Cluster c;
  c.name = "organizations/a/projects/b/clusters/c";
  pb::Cluster p = ToProto(c);
  EXPECT_FALSE(p.has_create_time());
  EXPECT_FALSE(p.has_delete_time());
  EXPECT_FALSE(p.has_autoscaling());
  control::Cluster back = FromProto(p);
  EXPECT_FALSE(control::IsSet(back.create_time));
  control::UpdateEmulatorSettingsRequest u;
  EXPECT_FALSE(ToProto(u).has_transition_delay());
  u.transition_delay = std::chrono::milliseconds(0);
  EXPECT_TRUE(ToProto(u).has_transition_delay());
}

TEST(ControlConvertTest, TimesKeepNanoseconds) {
  google::protobuf::Timestamp t;
  t.set_seconds(1700000000);
  t.set_nanos(123456789);
  google::protobuf::Timestamp back;
  ToProto(FromProto(t), &back);
  EXPECT_EQ(back.seconds(), 1700000000);
  EXPECT_EQ(back.nanos(), 123456789);
  // Before the epoch.
  control::Timestamp before =
      control::Timestamp() - std::chrono::milliseconds(1500);
  ToProto(before, &back);
  EXPECT_EQ(back.seconds(), -2);
  EXPECT_EQ(back.nanos(), 500000000);
  EXPECT_EQ(FromProto(back), before);
}

TEST(ControlConvertTest, UnknownEnumValuesBecomeUnspecified) {
  pb::Cluster p;
  p.set_state(static_cast<pb::Cluster::State>(42));
  EXPECT_EQ(FromProto(p).state, control::ClusterState::kUnspecified);
  pb::AuditEvent e;
  e.set_status_code(99);
  EXPECT_EQ(FromProto(e).status_code, absl::StatusCode::kUnknown);
}

TEST(ControlConvertTest, ListFieldsGoWhereTheMessageHasThem) {
  control::ListRequest r;
  r.parent = "organizations/acme";
  r.filter = "state=RUNNING";
  r.page_size = 7;
  r.page_token = "tok";
  pb::ListClustersRequest clusters;
  ListToProto(r, &clusters);
  EXPECT_EQ(clusters.parent(), r.parent);
  EXPECT_EQ(clusters.filter(), r.filter);
  EXPECT_EQ(clusters.page_size(), 7);
  EXPECT_EQ(clusters.page_token(), "tok");
  pb::ListOrganizationsRequest orgs;
  ListToProto(r, &orgs);
  EXPECT_EQ(orgs.page_token(), "tok");
  pb::ListMembersRequest members;
  ListToProto(r, &members);
  EXPECT_EQ(members.parent(), r.parent);
}

}  // namespace
}  // namespace cove::internal
