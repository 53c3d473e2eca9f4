// Licenses and cost (issue 19) against the emulator: the vendor sets a
// project's license; CreateCluster, ScaleCluster, RestoreCluster and the
// autoscaler respect it with RESOURCE_EXHAUSTED naming the license; customers
// read it but cannot set it; EstimateCost equals the price table's arithmetic
// over generated specs and is allowed to whoever may read the project.
#include <cmath>
#include <random>

#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

class LicenseTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(org_, MakeOrg("acme", "owner@example.com"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    auto env = MakeEnv(project_, "env1", org_.external_id());
    ASSERT_THAT(env, IsOk());
    ASSERT_EQ(env->state(), v1::Environment::READY);
  }

  absl::StatusOr<v1::Project> SetLicense(int max_cus, int max_replicas,
                                         const std::string& key = kAdminKey) {
    v1::SetProjectLicenseRequest req;
    req.set_project(project_);
    req.mutable_license()->set_license_id("lic-acme-2026");
    req.mutable_license()->set_max_cus(max_cus);
    req.mutable_license()->set_max_replicas(max_replicas);
    return Emu(&v1::Emulator::Stub::SetProjectLicense, req, key);
  }

  absl::StatusOr<v1::Project> GetProject(const std::string& key = kAdminKey) {
    v1::GetRequest req;
    req.set_name(project_);
    return Call(&v1::ControlPlane::Stub::GetProject, req, key);
  }

  // A RUNNING cluster of cu x replicas.
  void CreateRunning(const std::string& id, int cu, int replicas = 1) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_);
    req.mutable_cluster()->set_cu_size(cu);
    req.mutable_cluster()->set_replicas(replicas);
    auto op = Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey);
    ASSERT_THAT(op, IsOk());
    auto done = Wait(op->name());
    ASSERT_THAT(done, IsOk());
    ASSERT_EQ(done->cluster().state(), v1::Cluster::RUNNING)
        << done->DebugString();
  }

  absl::StatusOr<v1::Operation> Create(const std::string& id, int cu,
                                       int replicas = 1) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_);
    req.mutable_cluster()->set_cu_size(cu);
    req.mutable_cluster()->set_replicas(replicas);
    return Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey);
  }

  absl::StatusOr<v1::Operation> Scale(const std::string& id, int cu,
                                      int replicas = 0) {
    v1::ScaleClusterRequest req;
    req.set_name(project_ + "/clusters/" + id);
    req.set_cu_size(cu);
    req.set_replicas(replicas);
    return Call(&v1::ControlPlane::Stub::ScaleCluster, req, kAdminKey);
  }

  const std::string project_ = "organizations/acme/projects/web";
  const std::string env_ = project_ + "/environments/env1";
  v1::Organization org_;
};

TEST_F(LicenseTest, ScaleRefusedByTheLicenseNamingItsLimitUseAndRequest) {
  ASSERT_OK_AND_ASSIGN(v1::Project p, SetLicense(12, 0));
  EXPECT_EQ(p.license().license_id(), "lic-acme-2026");
  EXPECT_EQ(p.license().max_cus(), 12);
  EXPECT_EQ(p.license().used_cus(), 0);
  ASSERT_NO_FATAL_FAILURE(CreateRunning("alpha", 4));
  ASSERT_NO_FATAL_FAILURE(CreateRunning("beta", 4));
  ASSERT_OK_AND_ASSIGN(p, GetProject());
  EXPECT_EQ(p.license().used_cus(), 8);
  EXPECT_EQ(p.license().used_replicas(), 2);

  // 4 + 12 = 16 > 12: refused, the cluster untouched.
  EXPECT_THAT(
      Scale("alpha", 12),
      StatusIs(absl::StatusCode::kResourceExhausted,
               AllOf(HasSubstr("license 'lic-acme-2026'"),
                     HasSubstr("project '" + project_ + "'"),
                     HasSubstr("max_cus 12"), HasSubstr("8 CUs in use"),
                     HasSubstr("(4 by this cluster)"),
                     HasSubstr("(12 CU x 1 replica) needs 12"),
                     HasSubstr("expected a total of at most 12 CUs, got 16"))));
  ASSERT_OK_AND_ASSIGN(v1::Cluster a, GetCluster(project_ + "/clusters/alpha"));
  EXPECT_EQ(a.cu_size(), 4);
  EXPECT_EQ(a.state(), v1::Cluster::RUNNING);
  // Up to the limit is fine; then nothing more fits.
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Scale("alpha", 8));
  ASSERT_THAT(Wait(op.name()), IsOk());
  ASSERT_OK_AND_ASSIGN(p, GetProject());
  EXPECT_EQ(p.license().used_cus(), 12);
  EXPECT_THAT(Scale("beta", 8), StatusIs(absl::StatusCode::kResourceExhausted,
                                         HasSubstr("max_cus 12")));
  // Shrinking is always allowed, also under a lowered limit.
  ASSERT_THAT(SetLicense(4, 0), IsOk());
  ASSERT_OK_AND_ASSIGN(op, Scale("alpha", 4));
  ASSERT_THAT(Wait(op.name()), IsOk());
  ASSERT_OK_AND_ASSIGN(p, GetProject());
  EXPECT_EQ(p.license().used_cus(), 8);  // still above 4: no growth
  EXPECT_THAT(Scale("beta", 8), StatusIs(absl::StatusCode::kResourceExhausted));

  // The refusal is audited as a failed clusters.scale.
  auto events = Audit("organizations/acme", "action=clusters.scale");
  int exhausted = 0;
  for (const auto& e : events) {
    if (e.status_code() ==
        static_cast<int>(absl::StatusCode::kResourceExhausted))
      ++exhausted;
  }
  EXPECT_EQ(exhausted, 3);
}

TEST_F(LicenseTest, ReplicasCapCreateRefusedAndDeletedClustersFreeTheLicense) {
  ASSERT_THAT(SetLicense(0, 3), IsOk());
  ASSERT_NO_FATAL_FAILURE(CreateRunning("alpha", 8, 2));
  EXPECT_THAT(
      Create("beta", 8, 2),
      StatusIs(
          absl::StatusCode::kResourceExhausted,
          AllOf(HasSubstr("max_replicas 3"), HasSubstr("2 replicas in use"),
                HasSubstr("CreateCluster of '" + project_ + "/clusters/beta'"),
                HasSubstr("got 4"))));
  EXPECT_THAT(GetCluster(project_ + "/clusters/beta"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_NO_FATAL_FAILURE(CreateRunning("gamma", 1));
  // Soft-deleted clusters do not count; restoring one is checked.
  ASSERT_OK_AND_ASSIGN(v1::Operation op,
                       ClusterAction(&v1::ControlPlane::Stub::DeleteCluster,
                                     project_ + "/clusters/alpha"));
  ASSERT_THAT(Wait(op.name()), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Project p, GetProject());
  EXPECT_EQ(p.license().used_replicas(), 1);
  ASSERT_NO_FATAL_FAILURE(CreateRunning("delta", 8, 2));
  EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::RestoreCluster,
                            project_ + "/clusters/alpha"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("RestoreCluster")));
  // Without a license there is no limit.
  v1::SetProjectLicenseRequest clear;
  clear.set_project(project_);
  ASSERT_OK_AND_ASSIGN(p, Emu(&v1::Emulator::Stub::SetProjectLicense, clear));
  EXPECT_FALSE(p.has_license());
  ASSERT_OK_AND_ASSIGN(op,
                       ClusterAction(&v1::ControlPlane::Stub::RestoreCluster,
                                     project_ + "/clusters/alpha"));
  ASSERT_THAT(Wait(op.name()), IsOk());
}

TEST_F(LicenseTest, OnlyTheVendorSetsItAndChangesAreAudited) {
  ASSERT_OK_AND_ASSIGN(
      v1::ApiKey owner,
      MakeKey("acme", "roles/organization.owner", "organizations/acme"));
  EXPECT_THAT(SetLicense(100, 8, owner.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("emulator.setProjectLicense")));
  ASSERT_THAT(SetLicense(16, 4), IsOk());
  // Customers read it ...
  ASSERT_OK_AND_ASSIGN(v1::ApiKey reader,
                       MakeKey("acme", "roles/project.read_only", project_));
  ASSERT_OK_AND_ASSIGN(v1::Project p, GetProject(reader.secret()));
  EXPECT_EQ(p.license().max_cus(), 16);
  EXPECT_EQ(p.license().max_replicas(), 4);
  EXPECT_TRUE(p.license().has_update_time());
  // ... and cannot set it, neither at creation nor by update.
  v1::CreateProjectRequest create;
  create.set_parent("organizations/acme");
  create.set_project_id("other");
  create.mutable_project()->mutable_license()->set_max_cus(1000);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::CreateProject, create, owner.secret()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("project.license")));
  v1::UpdateProjectRequest update;
  update.mutable_project()->set_name(project_);
  update.mutable_project()->mutable_license()->set_max_cus(1000);
  update.mutable_update_mask()->add_paths("license");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::UpdateProject, update, owner.secret()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("license")));
  // Bad input.
  EXPECT_THAT(SetLicense(-1, 0), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("license.max_cus")));
  v1::SetProjectLicenseRequest missing;
  missing.set_project("organizations/acme/projects/nope");
  EXPECT_THAT(Emu(&v1::Emulator::Stub::SetProjectLicense, missing),
              StatusIs(absl::StatusCode::kNotFound));
  // The changes are in the organization's audit log, on the project.
  auto events =
      Audit("organizations/acme", "action=emulator.setProjectLicense");
  ASSERT_EQ(events.size(), 4u);  // denied, set, invalid, ...
  EXPECT_EQ(events[0].outcome(), v1::AuditEvent::DENIED);
  EXPECT_EQ(events[1].outcome(), v1::AuditEvent::SUCCEEDED);
  EXPECT_EQ(events[1].resource(), project_);
  EXPECT_THAT(events[1].message(),
              AllOf(HasSubstr("lic-acme-2026"), HasSubstr("max_cus 16"),
                    HasSubstr("max_replicas 4")));
}

TEST_F(LicenseTest, AutoscalerIsCappedByTheLicense) {
  v1::SetClockRequest clock;
  clock.mutable_time()->set_seconds(1767607200);  // 2026-01-05T10:00:00Z
  ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, clock), IsOk());
  auto advance = [&](int seconds) {
    v1::AdvanceClockRequest req;
    req.mutable_by()->set_seconds(seconds);
    ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, req), IsOk());
  };
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Create("auto", 1));
  advance(1);
  ASSERT_THAT(Wait(op.name()), IsOk());
  ASSERT_THAT(SetLicense(4, 0), IsOk());
  // The autoscaler's minimum of 8 CU wants 1 -> 8: the license leaves 4.
  const std::string name = project_ + "/clusters/auto";
  v1::UpdateClusterRequest req;
  req.mutable_cluster()->set_name(name);
  req.mutable_cluster()->mutable_autoscaling()->set_enabled(true);
  req.mutable_cluster()->mutable_autoscaling()->set_min_cu_size(8);
  req.mutable_cluster()->mutable_autoscaling()->set_max_cu_size(16);
  req.mutable_update_mask()->add_paths("autoscaling");
  ASSERT_THAT(Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey),
              IsOk());
  advance(1);
  advance(1);
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(name));
  EXPECT_EQ(c.cu_size(), 4);
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  auto events = Audit("organizations/acme", "action=clusters.autoscale");
  ASSERT_GE(events.size(), 1u);
  EXPECT_EQ(events[0].outcome(), v1::AuditEvent::SUCCEEDED);
  EXPECT_THAT(
      events[0].message(),
      AllOf(HasSubstr("1 CU x 1 -> 4 CU x 1 (capped by the license)"),
            HasSubstr("min_cu_size 8"), HasSubstr("license 'lic-acme-2026'")));
  // At the limit nothing fits: one failed event, not one per pass.
  for (int i = 0; i < 4; ++i) advance(1);
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.cu_size(), 4);
  events = Audit("organizations/acme", "action=clusters.autoscale");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].outcome(), v1::AuditEvent::FAILED);
  EXPECT_EQ(events[1].status_code(),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(events[1].message(), HasSubstr("max_cus 4"));
  // A larger license lets it reach its minimum.
  ASSERT_THAT(SetLicense(8, 0), IsOk());
  advance(1);
  advance(1);
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.cu_size(), 8);
}

// ---- EstimateCost -----------------------------------------------------------

TEST_F(LicenseTest, EstimateCostEqualsThePriceTableArithmetic) {
  std::mt19937 rng(19);
  const int sizes[] = {1, 2, 4, 8, 12, 16, 32, 64, 128};
  const char* regions[] = {"", "eu-local-1", "us-east-1", "ap-south-1"};
  for (int round = 0; round < 6; ++round) {
    // A generated price table.
    v1::UpdateSettingsRequest u;
    v1::PriceTable* t = u.mutable_price_table();
    std::uniform_real_distribution<double> price(0.001, 3.0);
    (*t->mutable_cu_hour())["performance"] = price(rng);
    (*t->mutable_cu_hour())["capacity"] = price(rng);
    t->set_storage_gib_month(price(rng) / 10);
    t->set_hours_per_month(round % 2 == 0 ? 730 : 720);
    (*t->mutable_region_factor())["us-east-1"] = 0.5 + price(rng);
    t->set_currency(round % 2 == 0 ? "USD" : "EUR");
    ASSERT_OK_AND_ASSIGN(v1::EmulatorSettings s,
                         Emu(&v1::Emulator::Stub::UpdateSettings, u));
    const v1::PriceTable& table = s.price_table();
    for (int i = 0; i < 40; ++i) {
      v1::EstimateCostRequest req;
      req.set_parent(project_);
      const int cu = sizes[rng() % 9];
      const int replicas = cu >= 8 ? 1 + rng() % std::min(8, 256 / cu) : 1;
      req.set_cu_size(cu);
      if (replicas > 1 || rng() % 2) req.set_replicas(replicas);
      req.set_cu_type(rng() % 3 == 0 ? "capacity"
                                     : (rng() % 2 ? "performance" : ""));
      req.set_storage_gib(rng() % 5000);
      req.set_region(regions[rng() % 4]);
      ASSERT_OK_AND_ASSIGN(
          v1::CostEstimate e,
          Call(&v1::ControlPlane::Stub::EstimateCost, req, kAdminKey));
      const std::string type =
          req.cu_type().empty() ? "performance" : req.cu_type();
      const std::string region =
          req.region().empty() ? "eu-local-1" : req.region();
      auto f = table.region_factor().find(region);
      const double factor = f == table.region_factor().end() ? 1.0 : f->second;
      const double hours = table.hours_per_month();
      const double compute_hour =
          cu * replicas * table.cu_hour().at(type) * factor;
      const double storage_month =
          req.storage_gib() * table.storage_gib_month() * factor;
      SCOPED_TRACE(req.DebugString());
      EXPECT_EQ(e.currency(), table.currency());
      EXPECT_EQ(e.region(), region);
      EXPECT_EQ(e.cu_type(), type);
      EXPECT_DOUBLE_EQ(e.region_factor(), factor);
      EXPECT_DOUBLE_EQ(e.hours_per_month(), hours);
      ASSERT_EQ(e.items_size(), 2);
      EXPECT_EQ(e.items(0).item(), "compute");
      EXPECT_EQ(e.items(0).unit(), "CU-hour");
      EXPECT_DOUBLE_EQ(e.items(0).quantity(), cu * replicas);
      EXPECT_DOUBLE_EQ(e.items(0).per_hour(), compute_hour);
      EXPECT_DOUBLE_EQ(e.items(0).per_month(), compute_hour * hours);
      EXPECT_EQ(e.items(1).item(), "storage");
      EXPECT_EQ(e.items(1).unit(), "GiB-month");
      EXPECT_DOUBLE_EQ(e.items(1).quantity(), req.storage_gib());
      EXPECT_DOUBLE_EQ(e.items(1).per_month(), storage_month);
      EXPECT_NEAR(e.items(1).per_hour(), storage_month / hours, 1e-12);
      EXPECT_NEAR(e.per_hour(), compute_hour + storage_month / hours, 1e-9);
      EXPECT_NEAR(e.per_month(), compute_hour * hours + storage_month, 1e-6);
    }
  }
}

TEST_F(LicenseTest, EstimateCostValidatesAndNeedsReadAccess) {
  v1::EstimateCostRequest req;
  req.set_parent(project_);
  req.set_cu_size(3);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::EstimateCost, req, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cu_size")));
  req.set_cu_size(4);
  req.set_replicas(2);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::EstimateCost, req, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replicas")));
  req.set_replicas(1);
  req.set_cu_type("gpu");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::EstimateCost, req, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cu_type")));
  req.set_cu_type("");
  req.set_storage_gib(-1);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::EstimateCost, req, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("storage_gib")));
  req.set_storage_gib(10);
  req.set_parent("organizations/acme/projects/none");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::EstimateCost, req, kAdminKey),
              StatusIs(absl::StatusCode::kNotFound));
  req.set_parent(project_);

  // Whoever may read the project may estimate; others may not.
  ASSERT_THAT(MakeProject("acme", "other"), IsOk());
  struct Case {
    const char* role;
    std::string scope;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"roles/project.read_only", project_, true},
      {"roles/project.read_write", project_, true},
      {"roles/organization.billing_admin", "organizations/acme", true},
      {"roles/organization.member", "organizations/acme", false},
      {"roles/project.admin", "organizations/acme/projects/other", false},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(v1::ApiKey key, MakeKey("acme", c.role, c.scope));
    auto r = Call(&v1::ControlPlane::Stub::EstimateCost, req, key.secret());
    if (c.allowed) {
      EXPECT_THAT(r, IsOk()) << c.role;
    } else {
      EXPECT_THAT(r, StatusIs(absl::StatusCode::kPermissionDenied,
                              HasSubstr("projects.estimateCost")))
          << c.role;
    }
  }
  // Prices are the vendor's: customers cannot change them.
  ASSERT_OK_AND_ASSIGN(
      v1::ApiKey owner,
      MakeKey("acme", "roles/organization.owner", "organizations/acme"));
  v1::UpdateSettingsRequest u;
  (*u.mutable_price_table()->mutable_cu_hour())["performance"] = 0;
  EXPECT_THAT(Emu(&v1::Emulator::Stub::UpdateSettings, u, owner.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Bad prices are refused.
  (*u.mutable_price_table()->mutable_cu_hour())["performance"] = -1;
  EXPECT_THAT(Emu(&v1::Emulator::Stub::UpdateSettings, u),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("price_table.cu_hour[performance]")));
  u.mutable_price_table()->clear_cu_hour();
  (*u.mutable_price_table()->mutable_region_factor())["eu-local-1"] = 0;
  EXPECT_THAT(Emu(&v1::Emulator::Stub::UpdateSettings, u),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("price_table.region_factor[eu-local-1]")));
  // The defaults (docs/cloud-emulator.md).
  ASSERT_OK_AND_ASSIGN(
      v1::EmulatorSettings s,
      Emu(&v1::Emulator::Stub::GetSettings, v1::GetSettingsRequest()));
  EXPECT_EQ(s.price_table().currency(), "USD");
  EXPECT_DOUBLE_EQ(s.price_table().cu_hour().at("performance"), 0.16);
  EXPECT_DOUBLE_EQ(s.price_table().cu_hour().at("capacity"), 0.12);
  EXPECT_DOUBLE_EQ(s.price_table().storage_gib_month(), 0.025);
  EXPECT_DOUBLE_EQ(s.price_table().hours_per_month(), 730);
}

}  // namespace
}  // namespace cove::cloud::testing
