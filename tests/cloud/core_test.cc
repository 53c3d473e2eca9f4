// The control-plane core without a transport: CloudCore is driven through
// its RequestContext interface (no gRPC server, channel or ServerContext),
// and the X-macro lists of control_rpcs.h are checked against the
// cove.control.v1 service descriptors.
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "cloud/control_rpcs.h"
#include "cloud/request_context.h"
#include "cloud/store.h"
#include "cloud_fixture.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::cloud {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using testing::kAdminKey;
using testing::TempDir;
using testing::TestCloudOptions;

using Rpc = std::tuple<std::string, std::string, std::string>;

std::set<Rpc> ServiceRpcs(const std::string& service) {
  const google::protobuf::ServiceDescriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          service);
  std::set<Rpc> out;
  if (d == nullptr) return out;
  for (int i = 0; i < d->method_count(); ++i) {
    const auto* m = d->method(i);
    out.emplace(m->name(), m->input_type()->full_name(),
                m->output_type()->full_name());
  }
  return out;
}

#define COVE_TEST_RPC(Name, Request, Response)           \
  out.emplace(#Name, Request::descriptor()->full_name(), \
              Response::descriptor()->full_name());

std::set<Rpc> ControlPlaneList() {
  std::set<Rpc> out;
  COVE_CONTROL_PLANE_RPCS(COVE_TEST_RPC)
  return out;
}

std::set<Rpc> EmulatorList() {
  std::set<Rpc> out;
  COVE_EMULATOR_RPCS(COVE_TEST_RPC)
  return out;
}

#undef COVE_TEST_RPC

TEST(ControlRpcsTest, ListsMatchTheServices) {
  const std::set<Rpc> control = ServiceRpcs("cove.control.v1.ControlPlane");
  ASSERT_FALSE(control.empty());
  EXPECT_EQ(ControlPlaneList(), control);
  const std::set<Rpc> emulator = ServiceRpcs("cove.control.v1.Emulator");
  ASSERT_FALSE(emulator.empty());
  EXPECT_EQ(EmulatorList(), emulator);
}

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = tmp_.path() + "/state";
    std::filesystem::create_directories(dir);
    auto store = Store::Open(dir + "/cloud.db");
    ASSERT_TRUE(store.ok()) << store.status();
    core_ = std::make_unique<CloudCore>(TestCloudOptions(dir),
                                        *std::move(store), "", "");
    auto admin = core_->Start();
    ASSERT_TRUE(admin.ok()) << admin.status();
  }
  void TearDown() override {
    if (core_ != nullptr) core_->Stop();
  }

  static RequestContext Admin() {
    RequestContext ctx;
    ctx.authorization = absl::StrCat("Bearer ", kAdminKey);
    ctx.peer = "test:core";
    return ctx;
  }

  TempDir tmp_;
  std::unique_ptr<CloudCore> core_;
};

TEST_F(CoreTest, CreatesAndReadsWithoutATransport) {
  v1::CreateOrganizationRequest req;
  req.set_organization_id("acme");
  v1::Organization org;
  ASSERT_THAT(core_->CreateOrganization(Admin(), req, &org), IsOk());
  EXPECT_EQ(org.name(), "organizations/acme");
  EXPECT_FALSE(org.etag().empty());

  v1::GetRequest get;
  get.set_name("organizations/acme");
  v1::Organization again;
  ASSERT_THAT(core_->GetOrganization(Admin(), get, &again), IsOk());
  EXPECT_EQ(again.name(), org.name());
  EXPECT_EQ(again.etag(), org.etag());

  // The audit event names the context's peer.
  v1::ListAuditEventsRequest list;
  list.set_parent("organizations/acme");
  v1::ListAuditEventsResponse events;
  ASSERT_THAT(core_->ListAuditEvents(Admin(), list, &events), IsOk());
  ASSERT_GE(events.audit_events_size(), 1);
  bool found = false;
  for (const auto& e : events.audit_events()) {
    if (e.action() == "organizations.create") {
      found = true;
      EXPECT_EQ(e.client_address(), "test:core");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(CoreTest, AuthenticatesFromTheContext) {
  v1::ListOrganizationsRequest req;
  v1::ListOrganizationsResponse resp;
  RequestContext none;
  EXPECT_THAT(core_->ListOrganizations(none, req, &resp),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("authorization: missing")));
  RequestContext wrong;
  wrong.authorization = "Bearer cove_admin_wrong";
  EXPECT_THAT(core_->ListOrganizations(wrong, req, &resp),
              StatusIs(absl::StatusCode::kUnauthenticated));
  RequestContext basic;
  basic.authorization = "Basic abc";
  EXPECT_THAT(core_->ListOrganizations(basic, req, &resp),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("expected 'Bearer <API key secret>'")));
}

TEST_F(CoreTest, ReturnsTheTransportsRefusalFirst) {
  RequestContext ctx = Admin();
  ctx.refusal = absl::InvalidArgumentError("organization.display_name: bad");
  v1::CreateOrganizationRequest req;
  req.set_organization_id("acme");
  v1::Organization org;
  EXPECT_THAT(core_->CreateOrganization(ctx, req, &org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("display_name: bad")));
  v1::GetRequest get;
  get.set_name("organizations/acme");
  EXPECT_THAT(core_->GetOrganization(Admin(), get, &org),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CoreTest, RequestIdsAndEtagsFromTheContext) {
  // A request id carried outside the message (an HTTP header) replays the
  // first response.
  RequestContext ctx = Admin();
  ctx.request_id = "req-1";
  v1::CreateOrganizationRequest req;
  req.set_organization_id("acme");
  ASSERT_THAT(MergeContextFields(ctx, &req), IsOk());
  EXPECT_EQ(req.request_id(), "req-1");
  v1::Organization first, second;
  ASSERT_THAT(core_->CreateOrganization(ctx, req, &first), IsOk());
  ASSERT_THAT(core_->CreateOrganization(ctx, req, &second), IsOk());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());

  // The same id in the message and the header: fine; different: refused.
  v1::CreateOrganizationRequest clash;
  clash.set_request_id("req-2");
  EXPECT_THAT(
      MergeContextFields(ctx, &clash),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  // A request without a request_id field refuses the header.
  v1::GetRequest get;
  EXPECT_THAT(MergeContextFields(ctx, &get),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Idempotency-Key: GetRequest")));

  // If-Match goes into the updated resource's etag; a stale one is ABORTED.
  RequestContext stale = Admin();
  stale.if_match = "not-the-etag";
  v1::UpdateOrganizationRequest update;
  update.mutable_organization()->set_name("organizations/acme");
  update.mutable_organization()->set_display_name("Acme");
  update.mutable_update_mask()->add_paths("display_name");
  ASSERT_THAT(MergeContextFields(stale, &update), IsOk());
  EXPECT_EQ(update.organization().etag(), "not-the-etag");
  v1::Organization updated;
  EXPECT_THAT(core_->UpdateOrganization(stale, update, &updated),
              StatusIs(absl::StatusCode::kAborted));
  RequestContext fresh = Admin();
  fresh.if_match = first.etag();
  update.mutable_organization()->clear_etag();
  ASSERT_THAT(MergeContextFields(fresh, &update), IsOk());
  ASSERT_THAT(core_->UpdateOrganization(fresh, update, &updated), IsOk());
  EXPECT_EQ(updated.display_name(), "Acme");
  EXPECT_NE(updated.etag(), first.etag());
}

TEST_F(CoreTest, WhoAmINamesTheCaller) {
  auto who = core_->WhoAmI(Admin());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_TRUE(who->admin);
  EXPECT_THAT(core_->WhoAmI(RequestContext()).status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace cove::cloud
