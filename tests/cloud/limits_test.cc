// Limits of the control API (issue 13, items 7 and 8): every string field has
// a maximum length and a charset, every repeated or map field a maximum
// count; refusals are INVALID_ARGUMENT naming the field. The cases are
// generated from the services' descriptors: every field of every request.
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloud/cloud_fixture.h"
#include "cloud/request_limits.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kLimitsOrg[] = "organizations/acme";
constexpr char kProject[] = "organizations/acme/projects/web";

using FieldPath = std::vector<const FieldDescriptor*>;

// Every string, repeated or map field reachable from `type` (the fields of
// map entries are the map itself).
void Collect(const Descriptor* type, FieldPath& prefix,
             std::vector<FieldPath>* out, int depth) {
  if (depth > 5) return;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    prefix.push_back(f);
    if (f->is_map()) {
      out->push_back(prefix);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING ||
               f->is_repeated()) {
      out->push_back(prefix);
    }
    if (!f->is_map() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Collect(f->message_type(), prefix, out, depth + 1);
    }
    prefix.pop_back();
  }
}

// The message that holds the last field of `path` (creating the way there,
// one element for repeated messages) and the path as the server names it.
Message* Reach(Message* m, const FieldPath& path, std::string* name) {
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const FieldDescriptor* f = path[i];
    absl::StrAppend(name, name->empty() ? "" : ".", f->name());
    if (f->is_repeated()) {
      m = m->GetReflection()->AddMessage(m, f);
      absl::StrAppend(name, "[0]");
    } else {
      m = m->GetReflection()->MutableMessage(m, f);
    }
  }
  absl::StrAppend(name, name->empty() ? "" : ".", path.back()->name());
  return m;
}

// Sets the string field `f` of `m` (one element when repeated).
void SetString(Message* m, const FieldDescriptor* f, const std::string& v) {
  if (f->is_repeated()) {
    m->GetReflection()->AddString(m, f, v);
  } else {
    m->GetReflection()->SetString(m, f, v);
  }
}

// Adds a map entry {key: value} (value as a string when it is one).
void AddEntry(Message* m, const FieldDescriptor* f, const std::string& key,
              const std::string& value) {
  Message* entry = m->GetReflection()->AddMessage(m, f);
  const FieldDescriptor* k = f->message_type()->map_key();
  const FieldDescriptor* v = f->message_type()->map_value();
  entry->GetReflection()->SetString(entry, k, key);
  if (v->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    entry->GetReflection()->SetString(entry, v, value);
  }
}

class LimitsTest : public CloudFixture {
 protected:
  absl::Status Invoke(const std::string& service, const std::string& method,
                      const Message& request, Message* response) {
    const std::string full = absl::StrCat("/", service, "/", method);
    grpc::internal::RpcMethod rpc(
        full.c_str(), grpc::internal::RpcMethod::NORMAL_RPC, channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    ctx.AddMetadata("authorization", std::string("Bearer ") + kAdminKey);
    grpc::Status s = grpc::internal::BlockingUnaryCall<Message, Message>(
        channel_.get(), rpc, &ctx, request, response);
    return ToAbsl(s);
  }
};

TEST_F(LimitsTest, EveryFieldOfEveryRequestIsBoundedAndNamed) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  int cases = 0;
  std::set<std::string> methods;
  for (const char* service :
       {"cove.control.v1.ControlPlane", "cove.control.v1.Emulator"}) {
    const auto* svc = pool->FindServiceByName(service);
    ASSERT_NE(svc, nullptr) << service;
    for (int i = 0; i < svc->method_count(); ++i) {
      const auto* method = svc->method(i);
      if (method->client_streaming() || method->server_streaming()) continue;
      methods.insert(method->name());
      std::vector<FieldPath> paths;
      FieldPath prefix;
      Collect(method->input_type(), prefix, &paths, 0);
      const Message* proto = factory->GetPrototype(method->input_type());
      const Message* out_proto = factory->GetPrototype(method->output_type());
      for (const FieldPath& path : paths) {
        const FieldDescriptor* f = path.back();
        const FieldLimit& limit = LimitOf(f);
        // The requests to send: (what, request, expected path prefix).
        std::vector<
            std::tuple<std::string, std::unique_ptr<Message>, std::string>>
            tries;
        auto make = [&](const std::string& what) {
          std::unique_ptr<Message> m(proto->New());
          std::string name;
          Message* holder = Reach(m.get(), path, &name);
          tries.emplace_back(what, std::move(m), name);
          return std::make_pair(holder, &std::get<2>(tries.back()));
        };
        if (f->is_map()) {
          {  // too many entries
            auto [holder, name] = make("entries");
            for (size_t k = 0; k <= limit.max_count; ++k) {
              AddEntry(holder, f, absl::StrCat("k", k), "v");
            }
          }
          {  // a key one past its limit
            auto [holder, name] = make("key length");
            const FieldLimit& key =
                limit.key != nullptr ? *limit.key : DefaultLimit();
            AddEntry(holder, f, std::string(key.max_length + 1, 'k'), "v");
            absl::StrAppend(name, " key");
          }
          {  // an escape sequence in a key
            auto [holder, name] = make("key escape");
            AddEntry(holder, f, "k\x1b[2J", "v");
            absl::StrAppend(name, " key");
          }
          if (f->message_type()->map_value()->cpp_type() ==
              FieldDescriptor::CPPTYPE_STRING) {
            {
              auto [holder, name] = make("value length");
              const FieldLimit& value =
                  limit.value != nullptr ? *limit.value : DefaultLimit();
              AddEntry(holder, f, "k", std::string(value.max_length + 1, 'v'));
              absl::StrAppend(name, "['k']");
            }
            {
              auto [holder, name] = make("value escape");
              AddEntry(holder, f, "k", "v\r\nforged row");
              absl::StrAppend(name, "['k']");
            }
          }
        } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          {
            auto [holder, name] = make("length");
            SetString(holder, f,
                      std::string(limit.max_length + 1,
                                  limit.charset == Charset::kLabelKey ||
                                          limit.charset == Charset::kLabelValue
                                      ? 'a'
                                      : 'x'));
            if (f->is_repeated()) absl::StrAppend(name, "[0]");
          }
          {
            auto [holder, name] = make("escape");
            SetString(holder, f, "x\x1b[2Jy");
            if (f->is_repeated()) absl::StrAppend(name, "[0]");
          }
          {
            auto [holder, name] = make("carriage return");
            SetString(holder, f, "x\r\ny");
            if (f->is_repeated()) absl::StrAppend(name, "[0]");
          }
          if (f->is_repeated()) {
            auto [holder, name] = make("count");
            for (size_t k = 0; k <= limit.max_count; ++k) {
              SetString(holder, f, "x");
            }
          }
        } else if (f->is_repeated()) {
          auto [holder, name] = make("count");
          for (size_t k = 0; k <= limit.max_count; ++k) {
            const auto* r = holder->GetReflection();
            switch (f->cpp_type()) {
              case FieldDescriptor::CPPTYPE_MESSAGE:
                r->AddMessage(holder, f);
                break;
              case FieldDescriptor::CPPTYPE_ENUM:
                r->AddEnumValue(holder, f, 0);
                break;
              case FieldDescriptor::CPPTYPE_INT64:
                r->AddInt64(holder, f, 1);
                break;
              case FieldDescriptor::CPPTYPE_INT32:
                r->AddInt32(holder, f, 1);
                break;
              case FieldDescriptor::CPPTYPE_UINT64:
                r->AddUInt64(holder, f, 1);
                break;
              case FieldDescriptor::CPPTYPE_UINT32:
                r->AddUInt32(holder, f, 1);
                break;
              case FieldDescriptor::CPPTYPE_DOUBLE:
                r->AddDouble(holder, f, 1);
                break;
              case FieldDescriptor::CPPTYPE_FLOAT:
                r->AddFloat(holder, f, 1);
                break;
              case FieldDescriptor::CPPTYPE_BOOL:
                r->AddBool(holder, f, true);
                break;
              default:
                break;
            }
          }
        }
        for (auto& [what, request, name] : tries) {
          SCOPED_TRACE(
              absl::StrCat(method->full_name(), " ", name, " (", what, ")"));
          std::unique_ptr<Message> response(out_proto->New());
          absl::Status s =
              Invoke(service, method->name(), *request, response.get());
          EXPECT_THAT(
              s, StatusIs(absl::StatusCode::kInvalidArgument,
                          StartsWith(name + (f->is_map() && what == "entries"
                                                 ? ":"
                                                 : ""))));
          EXPECT_LT(s.message().size(), 600u) << s;
          EXPECT_THAT(std::string(s.message()),
                      ::testing::Not(HasSubstr("\x1b")));
          ++cases;
        }
      }
    }
  }
  // Every RPC of the control API was tried (none skips the check).
  EXPECT_GT(methods.size(), 60u);
  EXPECT_GT(cases, 700);
  std::cout << cases << " refused requests over " << methods.size()
            << " methods\n";
}

TEST_F(LimitsTest, ValuesAtTheLimitsAreAccepted) {
  ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
  ASSERT_THAT(MakeProject("acme", "web"), IsOk());
  // 256 characters of two bytes each, 64 labels of 63-character keys and
  // values.
  v1::UpdateProjectRequest up;
  up.mutable_project()->set_name(kProject);
  std::string display;
  for (int i = 0; i < 256; ++i) display += "é";
  up.mutable_project()->set_display_name(display);
  for (int i = 0; i < 64; ++i) {
    std::string key = absl::StrCat("k", i);
    key.resize(63, 'x');
    (*up.mutable_project()->mutable_labels())[key] = std::string(63, 'V');
  }
  up.mutable_update_mask()->add_paths("display_name");
  up.mutable_update_mask()->add_paths("labels");
  ASSERT_OK_AND_ASSIGN(
      v1::Project p,
      Call(&v1::ControlPlane::Stub::UpdateProject, up, kAdminKey));
  EXPECT_EQ(p.display_name(), display);
  EXPECT_EQ(p.labels_size(), 64);
  // One more character is refused.
  up.mutable_project()->set_display_name(display + "e");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::UpdateProject, up, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("project.display_name: expected at most 256 "
                                 "characters (got 257)")));
  // A role of 32 statements of 16 patterns each.
  v1::CreateRoleRequest role;
  role.set_parent(kLimitsOrg);
  role.set_role_id("wide");
  role.mutable_role()->set_level(v1::Role::PROJECT);
  for (int i = 0; i < 32; ++i) {
    v1::Statement* st = role.mutable_role()->add_statements();
    st->set_effect(v1::Statement::ALLOW);
    st->add_actions("clusters.get");
    for (int j = 0; j < 16; ++j) {
      st->add_resources(absl::StrCat("projects/p", j, "/clusters/c", i));
    }
  }
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateRole, role, kAdminKey),
              IsOk());
}

TEST_F(LimitsTest, TheIssuesInputsAreRefusedNamingTheField) {
  ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
  ASSERT_THAT(MakeProject("acme", "web"), IsOk());
  ASSERT_THAT(MakeEnv(kProject, "env", org.external_id()), IsOk());
  v1::CreateClusterRequest create;
  create.set_parent(kProject);
  create.set_cluster_id("big");
  create.mutable_cluster()->set_environment(std::string(kProject) +
                                            "/environments/env");
  create.mutable_cluster()->set_display_name(std::string(3000000, 'a'));
  auto s = Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          StartsWith("cluster.display_name: expected at most "
                                     "256 characters")));
  EXPECT_LT(s.status().message().size(), 200u);
  create.mutable_cluster()->set_display_name("ok");
  (*create.mutable_cluster()->mutable_labels())[std::string(10240, 'k')] = "v";
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("cluster.labels key 'kkkk")));
  // Nothing was created.
  EXPECT_THAT(GetCluster(std::string(kProject) + "/clusters/big"),
              StatusIs(absl::StatusCode::kNotFound));

  // Resource patterns.
  for (const char* bad :
       {"../../x", "projects//x", "**/clusters", "projects/*/**/x",
        "organizations/other/**", "projects/UPPER", "secrets/x", "",
        "projects/p/clusters/c/"}) {
    SCOPED_TRACE(bad);
    v1::CreateRoleRequest role;
    role.set_parent(kLimitsOrg);
    role.set_role_id("pattern");
    role.mutable_role()->set_level(v1::Role::PROJECT);
    v1::Statement* st = role.mutable_role()->add_statements();
    st->set_effect(v1::Statement::ALLOW);
    st->add_actions("clusters.get");
    st->add_resources(bad);
    EXPECT_THAT(
        Call(&v1::ControlPlane::Stub::CreateRole, role, kAdminKey),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 StartsWith("role.statements[0].resources[0]: expected a "
                            "resource pattern")));
  }
  for (const char* good :
       {"**", "projects/*", "projects/web/clusters/*/backups/**",
        "organizations/acme/projects/web", "clusters/c1", "backups/*"}) {
    SCOPED_TRACE(good);
    v1::CreateRoleRequest role;
    role.set_parent(kLimitsOrg);
    role.set_role_id(
        absl::StrCat("good-", std::hash<std::string>()(good) % 100000));
    role.mutable_role()->set_level(v1::Role::PROJECT);
    v1::Statement* st = role.mutable_role()->add_statements();
    st->set_effect(v1::Statement::ALLOW);
    st->add_actions("clusters.get");
    st->add_resources(good);
    EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateRole, role, kAdminKey),
                IsOk());
  }
}

TEST_F(LimitsTest, ControlCharactersInNamesAndLabelsAreRefused) {
  ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
  ASSERT_THAT(MakeProject("acme", "web"), IsOk());
  const std::string forged = "prod\x1b[2J\r\nfake-cluster   RUNNING";
  v1::UpdateOrganizationRequest uo;
  uo.mutable_organization()->set_name(kLimitsOrg);
  uo.mutable_organization()->set_display_name(forged);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::UpdateOrganization, uo, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("organization.display_name: expected text without "
                         "control characters (got U+001B at character 5)")));
  v1::UpdateProjectRequest up;
  up.mutable_project()->set_name(kProject);
  (*up.mutable_project()->mutable_labels())["team"] = "a\r\nb";
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::UpdateProject, up, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("project.labels['team']")));
  // Bidirectional overrides reorder what a terminal shows.
  v1::CreateApiKeyRequest key;
  key.set_parent(kLimitsOrg);
  key.mutable_api_key()->set_role("roles/project.read_only");
  key.mutable_api_key()->set_scope(kProject);
  key.mutable_api_key()->set_display_name("ci \u202Eyek-nimda");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateApiKey, key, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("api_key.display_name")));
  // Plain Unicode is fine.
  key.mutable_api_key()->set_display_name("clé de l'équipe 検索");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateApiKey, key, kAdminKey),
              IsOk());
}

// The table of docs/security.md#limits is the code's.
TEST(LimitsDocTest, TheDocumentedTableIsTheCodes) {
  std::string path = std::string(COVE_SOURCE_DIR) + "/docs/security.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string line;
  bool in_table = false;
  int rows = 0;
  std::set<std::string> documented;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "| fields | max length")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (!absl::StartsWith(line, "|")) break;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 6 || absl::StartsWith(cells[1], "---")) continue;
    for (std::string& c : cells) c = std::string(absl::StripAsciiWhitespace(c));
    const std::string& fields = cells[1];
    // The limit that the row documents, for each field it names.
    std::vector<const FieldLimit*> limits;
    std::vector<std::string> names;
    if (absl::StartsWith(fields, "any other string") ||
        absl::StartsWith(fields, "any other repeated")) {
      limits.push_back(&DefaultLimit());
      names.push_back(fields);
    }
    const bool keys = absl::StrContains(fields, "(keys)");
    const bool values = absl::StrContains(fields, "(values)");
    for (absl::string_view part : absl::StrSplit(fields, '`')) {
      // Backticked names are every other part.
      if (part.empty() || absl::StrContains(part, " ") ||
          absl::StrContains(part, "(") || absl::StrContains(part, ",") ||
          part == "*_id")
        continue;
      auto it = LimitTable().find(std::string(part));
      ASSERT_NE(it, LimitTable().end())
          << "documented but not in code: " << part;
      const FieldLimit* l = it->second;
      if (keys) l = l->key;
      if (values) l = l->value;
      ASSERT_NE(l, nullptr) << line;
      limits.push_back(l);
      names.push_back(std::string(part));
      if (!keys && !values) documented.insert(std::string(part));
    }
    ASSERT_FALSE(limits.empty()) << line;
    ++rows;
    for (size_t i = 0; i < limits.size(); ++i) {
      SCOPED_TRACE(names[i]);
      const FieldLimit& l = *limits[i];
      if (cells[2] != "–") {
        std::vector<std::string> len = absl::StrSplit(cells[2], ' ');
        ASSERT_EQ(len.size(), 2u) << line;
        size_t n = 0;
        ASSERT_TRUE(absl::SimpleAtoi(len[0], &n)) << line;
        EXPECT_EQ(n, l.max_length);
        EXPECT_EQ(len[1] == "characters", l.count_characters);
        const std::map<std::string, Charset> charsets = {
            {"text", Charset::kText},
            {"visible ASCII", Charset::kVisibleAscii},
            {"label key", Charset::kLabelKey},
            {"label value", Charset::kLabelValue}};
        ASSERT_EQ(charsets.count(cells[3]), 1u) << line;
        EXPECT_EQ(charsets.at(cells[3]), l.charset);
      }
      if (cells[4] != "–") {
        size_t n = 0;
        ASSERT_TRUE(absl::SimpleAtoi(cells[4], &n)) << line;
        EXPECT_EQ(n, l.max_count);
      }
    }
  }
  EXPECT_GT(rows, 15);
  // Every field of the code's table is documented.
  for (const auto& [name, limit] : LimitTable()) {
    EXPECT_EQ(documented.count(name), 1u) << "not documented: " << name;
  }
}

}  // namespace
}  // namespace cove::cloud::testing
