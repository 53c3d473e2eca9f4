// `cove data`: the data plane from the command line. The connection (--uri
// or --cluster, credentials), and the verbs on databases, collections,
// partitions, indexes, load/release/flush/compact. The verbs on rows are in
// cmd_data_rows.cc.
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/data_session.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// One line of standard input without echo when it is a terminal.
std::string ReadHidden(const std::string& prompt) {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  struct termios saved;
  bool restore = false;
  if (tty) {
    // Echo off before the prompt shows, so that no answer typed after it is
    // echoed.
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      struct termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      restore = ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
    }
    std::cerr << prompt << std::flush;
  }
  std::string line;
  std::getline(std::cin, line);
  if (restore) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << std::endl;
  }
  return line;
}

std::string StripLineEnd(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

// ---- the session ---------------------------------------------------------

std::string NormalizeDataUri(const std::string& uri, bool tls) {
  // host:port or [v6]:port, and nothing else (a path may hold a colon).
  const size_t colon = uri.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == uri.size()) {
    return uri;
  }
  const std::string host = uri.substr(0, colon);
  const std::string port = uri.substr(colon + 1);
  auto all = [](const std::string& s, auto pred) {
    return std::all_of(s.begin(), s.end(), [&](char c) {
      return pred(static_cast<unsigned char>(c));
    });
  };
  const bool port_ok =
      all(port, [](unsigned char c) { return absl::ascii_isdigit(c); });
  const bool v6 =
      host.size() > 2 && host.front() == '[' && host.back() == ']' &&
      all(host.substr(1, host.size() - 2),
          [](unsigned char c) { return absl::ascii_isxdigit(c) || c == ':'; });
  const bool name = all(host, [](unsigned char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-';
  });
  if (port_ok && (v6 || name)) {
    return absl::StrCat(tls ? "https://" : "http://", uri);
  }
  return uri;
}

absl::Status DataSession::ClaimStdin(const std::string& what) {
  if (!stdin_owner_.empty() && stdin_owner_ != what) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": standard input is already read for ",
                     stdin_owner_, " (give one of them a file)"));
  }
  stdin_owner_ = what;
  return absl::OkStatus();
}

absl::StatusOr<std::string> DataSession::ReadSecret(const std::string& file,
                                                    const std::string& flag,
                                                    bool strip) {
  std::string text;
  if (file == "-") {
    COVE_RETURN_IF_ERROR(ClaimStdin(flag + " -"));
    std::getline(std::cin, text);
  } else {
    struct stat st;
    if (::stat(file.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat(flag, ": cannot read '", file,
                                              "': ", std::strerror(errno)));
    }
    if ((st.st_mode & 077) != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: '%s' is readable by others (mode %03o): it holds a secret; "
          "chmod 600 it",
          flag, file, st.st_mode & 0777));
    }
    std::ifstream in(file);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat(flag, ": cannot read '", file, "'"));
    }
    std::getline(in, text);
  }
  text = strip ? std::string(absl::StripAsciiWhitespace(text))
               : StripLineEnd(text);
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": read an empty secret from ",
        file == "-" ? std::string("standard input") : "'" + file + "'"));
  }
  return text;
}

absl::StatusOr<Client*> DataSession::client() {
  if (client_) return client_.get();
  // Where: the flags, then the environment.
  std::string uri = f_.uri, cluster = f_.cluster;
  if (!uri.empty() && !cluster.empty()) {
    return absl::InvalidArgumentError(
        "--uri and --cluster: give one or the other");
  }
  if (uri.empty() && cluster.empty()) {
    uri = Env("COVE_URI");
    cluster = Env("COVE_CLUSTER");
    if (!uri.empty() && !cluster.empty()) {
      return absl::InvalidArgumentError(
          "COVE_URI and COVE_CLUSTER are both set: pass --uri or --cluster "
          "to choose");
    }
  }
  if (uri.empty() && cluster.empty()) {
    return absl::InvalidArgumentError(
        "no data plane given: pass --cluster CLUSTER (looked up through the "
        "control plane) or --uri URI (http://host:19530, https://..., a "
        "directory for the embedded engine, or :memory:), or set "
        "COVE_CLUSTER or COVE_URI");
  }
  ClientOptions options;
  RemoteOptions& r = options.remote;
  r.ca_cert_file = f_.tls_ca.empty() ? Env("COVE_DATA_CA_FILE") : f_.tls_ca;
  r.client_cert_file = f_.client_cert;
  r.client_key_file = f_.client_key;
  r.server_name = f_.server_name;
  if (ctx_.global.call_timeout_s <= 0 ||
      !std::isfinite(ctx_.global.call_timeout_s)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--call-timeout: expected a positive number of seconds, got ",
        ctx_.global.call_timeout_s));
  }
  r.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(ctx_.global.call_timeout_s * 1000));
  db_ = f_.db.empty() ? Env("COVE_DB_NAME") : f_.db;
  r.db_name = db_;

  std::string default_user;
  if (!cluster.empty()) {
    if (ctx_.global.api_key == "-") {
      COVE_RETURN_IF_ERROR(ClaimStdin("--api-key -"));
    }
    COVE_ASSIGN_OR_RETURN(ControlClient * control, ctx_.Client());
    COVE_ASSIGN_OR_RETURN(std::string name,
                          ctx_.ProjectChild(cluster, "clusters"));
    COVE_ASSIGN_OR_RETURN(control::Cluster c,
                          control->GetCluster(name, ctx_.Call()));
    // A suspended (or not yet started, or deleted) cluster keeps its
    // endpoint, but nothing serves it.
    const bool serving = c.state == control::ClusterState::kRunning ||
                         c.state == control::ClusterState::kModifying;
    if (c.endpoint.empty() || !serving) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cluster '", c.name, "' has no data plane to connect to (state ",
          control::ToString(c.state),
          c.state == control::ClusterState::kSuspended
              ? "): resume it first ('cove clusters resume')"
              : ")"));
    }
    uri = c.endpoint;
    default_user = c.admin_user;
    target_cluster_ = c.name;
  }
  target_uri_ = NormalizeDataUri(uri, !r.ca_cert_file.empty());

  // Credentials: a token, or a user and its password; none on the command
  // line.
  const std::string user = f_.user.empty() ? Env("COVE_USER") : f_.user;
  if (!f_.token_file.empty() && !f_.user.empty()) {
    return absl::InvalidArgumentError(
        "--token-file and --user: give one or the other");
  }
  if (!f_.token_file.empty()) {
    COVE_ASSIGN_OR_RETURN(r.token,
                          ReadSecret(f_.token_file, "--token-file", true));
  } else if (f_.user.empty() && !Env("COVE_TOKEN").empty()) {
    r.token = Env("COVE_TOKEN");
  }
  if (r.token.empty()) {
    r.user = user.empty() ? default_user : user;
    if (!f_.password_file.empty()) {
      COVE_ASSIGN_OR_RETURN(
          r.password, ReadSecret(f_.password_file, "--password-file", false));
    } else {
      r.password = Env("COVE_PASSWORD");
    }
    if (!r.user.empty() && r.password.empty() && ::isatty(STDIN_FILENO) == 1 &&
        stdin_owner_.empty()) {
      stdin_owner_ = "the password prompt";
      r.password = StripLineEnd(ReadHidden(
          absl::StrCat("Password of ", r.user, " on ", target_uri_, ": ")));
    }
    if (r.password.empty()) r.user.clear();
  } else if (!f_.password_file.empty()) {
    return absl::InvalidArgumentError(
        "--password-file goes with a user, not with a token");
  }
  if (!r.token.empty()) secrets_.push_back(r.token);
  if (!r.password.empty()) secrets_.push_back(r.password);

  connected_ = true;  // errors from here on are the data plane's
  COVE_ASSIGN_OR_RETURN(Client c, Client::Open(target_uri_, options));
  client_ = std::make_unique<Client>(std::move(c));
  return client_.get();
}

CallOptions DataSession::call() const {
  CallOptions call;
  call.db_name = db_;
  return call;
}

absl::StatusOr<CollectionDescription> DataSession::Describe(
    const std::string& name) {
  auto it = described_.find(name);
  if (it != described_.end()) return it->second;
  COVE_ASSIGN_OR_RETURN(Client * c, client());
  COVE_ASSIGN_OR_RETURN(CollectionDescription d,
                        c->DescribeCollection(name, call()));
  described_[name] = d;
  return d;
}

absl::Status DataSession::Finish(absl::Status status) const {
  if (status.ok()) return status;
  std::string message(status.message());
  for (const std::string& s : secrets_) {
    // Milvus passwords have at least 6 characters; shorter secrets would
    // blank out ordinary words of messages.
    if (s.size() >= 6) {
      message = absl::StrReplaceAll(message, {{s, "<redacted>"}});
    }
  }
  if (connected_ && status.code() == absl::StatusCode::kUnauthenticated) {
    absl::StrAppend(&message,
                    " (the data plane's credentials: --user USER with "
                    "--password-file FILE|- or COVE_PASSWORD, or "
                    "--token-file FILE|- or COVE_TOKEN)");
  }
  return absl::Status(status.code(), message);
}

void OnData(Context& ctx, CLI::App* cmd, const std::shared_ptr<DataFlags>& f,
            std::function<absl::Status(DataSession&)> run) {
  ctx.OnRun(cmd, [&ctx, f, run = std::move(run)]() -> absl::Status {
    DataSession session(ctx, *f);
    return session.Finish(run(session));
  });
}

std::shared_ptr<MutationFlags> AddYesFlag(CLI::App* cmd) {
  auto flags = std::make_shared<MutationFlags>();
  flags->destructive = true;
  cmd->add_flag("-y,--yes", flags->yes,
                "do not ask for confirmation (needed when standard input is "
                "not a terminal)");
  return flags;
}

void PrintJson(std::ostream& out, const Json& j) {
  out << j.dump(2, ' ', false, Json::error_handler_t::replace) << std::endl;
}

void PrintRows(std::ostream& out, const std::vector<Json>& rows) {
  std::vector<Column> columns;
  std::set<std::string> seen;
  std::vector<Json> cut;
  cut.reserve(rows.size());
  for (const Json& row : rows) {
    Json c = Json::object();
    for (auto it = row.begin(); it != row.end(); ++it) {
      if (seen.insert(it.key()).second) columns.push_back({it.key(), it.key()});
      c[it.key()] = Abbreviate(*it);
    }
    cut.push_back(std::move(c));
  }
  PrintTable(out, columns, cut);
}

namespace {

// ---- commands ------------------------------------------------------------

// Prints a list of names: [{"name": ...}] in JSON, a NAME table otherwise.
absl::Status PrintNames(DataSession& s,
                        const absl::StatusOr<std::vector<std::string>>& names) {
  COVE_RETURN_IF_ERROR(names.status());
  std::vector<Json> rows;
  for (const std::string& name : *names) {
    Json j;
    j["name"] = name;
    rows.push_back(std::move(j));
  }
  if (s.json()) {
    PrintJson(std::cout, Json(rows));
  } else {
    PrintRows(std::cout, rows);
  }
  return absl::OkStatus();
}

absl::Status Done(DataSession& s, absl::Status status,
                  const std::string& message) {
  COVE_RETURN_IF_ERROR(status);
  return s.ctx().PrintDone(message);
}

void PrintDescription(const Json& d) {
  Json top = Json::object();
  for (auto it = d.begin(); it != d.end(); ++it) {
    if (it.key() != "fields" && it.key() != "indexes") top[it.key()] = *it;
  }
  PrintDetails(std::cout, top);
  std::vector<Json> fields;
  for (const Json& f : d["fields"]) {
    Json row;
    row["field"] = f["name"];
    row["type"] =
        f["element_type"].is_null()
            ? f["type"]
            : Json(absl::StrCat(f["type"].get<std::string>(), "<",
                                f["element_type"].get<std::string>(), ">"));
    std::vector<std::string> params;
    if (f["is_primary_key"].get<bool>()) params.push_back("primary key");
    if (f["auto_id"].get<bool>()) params.push_back("auto_id");
    if (f["dim"].get<int64_t>() > 0) {
      params.push_back(absl::StrCat("dim=", f["dim"].get<int64_t>()));
    }
    if (f["max_length"].get<int64_t>() > 0) {
      params.push_back(
          absl::StrCat("max_length=", f["max_length"].get<int64_t>()));
    }
    if (f["max_capacity"].get<int64_t>() > 0) {
      params.push_back(
          absl::StrCat("max_capacity=", f["max_capacity"].get<int64_t>()));
    }
    if (f["nullable"].get<bool>()) params.push_back("nullable");
    if (!f["default_value"].is_null()) {
      params.push_back(absl::StrCat(
          "default=", f["default_value"].dump(-1, ' ', false,
                                              Json::error_handler_t::replace)));
    }
    row["params"] = absl::StrJoin(params, " ");
    row["description"] = f["description"];
    fields.push_back(std::move(row));
  }
  std::cout << "\n";
  PrintTable(std::cout,
             {{"FIELD", "field"},
              {"TYPE", "type"},
              {"PARAMS", "params"},
              {"DESCRIPTION", "description"}},
             fields);
  if (d.contains("indexes") && !d["indexes"].empty()) {
    std::cout << "\n";
    PrintTable(std::cout,
               {{"INDEX", "index_name"},
                {"FIELD", "field_name"},
                {"TYPE", "index_type"},
                {"METRIC", "metric_type"},
                {"PARAMS", "params"},
                {"STATE", "state"}},
               std::vector<Json>(d["indexes"].begin(), d["indexes"].end()));
  }
}

void AddCollectionCommands(CLI::App* data, Context& ctx,
                           const std::shared_ptr<DataFlags>& flags) {
  CLI::App* group = AddGroup(*data, "collections",
                             "Collections of the database: list, describe, "
                             "create, drop, stats, rename.");
  {
    CLI::App* cmd = group->add_subcommand("list", "List the collections.");
    OnData(ctx, cmd, flags, [](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return PrintNames(s, c->ListCollections(s.call()));
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "describe",
        "Show a collection: its schema, settings, partitions, aliases, "
        "indexes and load state. The JSON form is what 'collections create "
        "--schema' reads.");
    cmd->add_option("COLLECTION", *name, "collection name")->required();
    OnData(ctx, cmd, flags, [name](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_ASSIGN_OR_RETURN(CollectionDescription d, s.Describe(*name));
      COVE_ASSIGN_OR_RETURN(std::vector<IndexDescription> indexes,
                            c->DescribeIndexes(*name, s.call()));
      COVE_ASSIGN_OR_RETURN(LoadState load, c->GetLoadState(*name, s.call()));
      Json j = CollectionToJson(d, &indexes, load);
      if (s.json()) {
        PrintJson(std::cout, j);
      } else {
        PrintDescription(j);
      }
      return absl::OkStatus();
    });
  }
  {
    struct Flags {
      std::string name, schema, metric = "COSINE", id_field = "id",
                                vector_field = "vector", id_type = "INT64";
      int64_t dim = 0;
      int64_t max_length = 65535;
      bool auto_id = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Create a collection: quickly with --dim (an INT64 'id' primary key, "
        "a 'vector' field, dynamic fields, an AUTOINDEX index, loaded), or "
        "from a schema file with --schema.");
    cmd->add_option("COLLECTION", f->name, "collection name")->required();
    CLI::Option* dim =
        cmd->add_option("--dim", f->dim, "quick form: the vector dimension")
            ->check(WholeNumber(1, 32768));
    cmd->add_option("--metric", f->metric,
                    "quick form: COSINE (default), L2 or IP");
    cmd->add_option("--id-field", f->id_field,
                    "quick form: primary key name (default id)");
    cmd->add_option("--vector-field", f->vector_field,
                    "quick form: vector field name (default vector)");
    cmd->add_option("--id-type", f->id_type,
                    "quick form: INT64 (default) or VARCHAR");
    cmd->add_option("--max-length", f->max_length,
                    "quick form: max_length of a VARCHAR primary key "
                    "(default 65535)")
        ->check(WholeNumber(1, 65535));
    cmd->add_flag("--auto-id", f->auto_id,
                  "quick form: the server assigns the primary keys");
    CLI::Option* schema = cmd->add_option(
        "--schema", f->schema,
        "a JSON schema file (or - for standard input): the output of "
        "'collections describe -o json', or {\"fields\": [...], "
        "\"enable_dynamic_field\": ..., \"indexes\": [...]}");
    OnData(ctx, cmd, flags, [f, dim, schema](DataSession& s) -> absl::Status {
      const bool quick = dim->count() > 0;
      const bool from_file = schema->count() > 0;
      if (quick == from_file) {
        return absl::InvalidArgumentError(
            "collections create: give --dim N (the quick form) or "
            "--schema FILE, not both nor neither");
      }
      if (from_file) {
        std::string text;
        if (f->schema == "-") {
          COVE_RETURN_IF_ERROR(s.ClaimStdin("--schema -"));
          text.assign(std::istreambuf_iterator<char>(std::cin),
                      std::istreambuf_iterator<char>());
        } else {
          std::ifstream in(f->schema, std::ios::binary);
          if (!in) {
            return absl::NotFoundError(
                absl::StrCat("--schema: cannot read '", f->schema,
                             "': ", std::strerror(errno)));
          }
          text.assign(std::istreambuf_iterator<char>(in),
                      std::istreambuf_iterator<char>());
        }
        COVE_ASSIGN_OR_RETURN(
            SchemaFile sf,
            ParseSchemaJson(text, f->schema == "-" ? "--schema" : f->schema));
        COVE_ASSIGN_OR_RETURN(Client * c, s.client());
        return Done(
            s, c->CreateCollection(f->name, sf.schema, sf.indexes, s.call()),
            absl::StrCat("created collection '", f->name, "'"));
      }
      QuickCollectionOptions q;
      COVE_ASSIGN_OR_RETURN(q.metric_type,
                            ParseMetricType(f->metric, "--metric"));
      COVE_ASSIGN_OR_RETURN(q.id_type, ParseDataType(f->id_type, "--id-type"));
      q.primary_field_name = f->id_field;
      q.vector_field_name = f->vector_field;
      q.max_length = f->max_length;
      q.auto_id = f->auto_id;
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return Done(s, c->CreateCollection(f->name, f->dim, q, s.call()),
                  absl::StrCat("created collection '", f->name, "'"));
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "drop",
        "Drop a collection and all its rows (dropping one that does not "
        "exist succeeds, as in Milvus).");
    cmd->add_option("COLLECTION", *name, "collection name")->required();
    auto mut = AddYesFlag(cmd);
    OnData(ctx, cmd, flags, [name, mut](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_RETURN_IF_ERROR(s.ctx().Confirm(
          *mut,
          absl::StrCat("drop collection '", *name, "' and all its rows")));
      return Done(s, c->DropCollection(*name, s.call()),
                  absl::StrCat("dropped collection '", *name, "'"));
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "stats", "Show a collection's statistics (row_count) and load state.");
    cmd->add_option("COLLECTION", *name, "collection name")->required();
    OnData(ctx, cmd, flags, [name](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_ASSIGN_OR_RETURN(CollectionStats stats,
                            c->GetCollectionStats(*name, s.call()));
      COVE_ASSIGN_OR_RETURN(LoadState load, c->GetLoadState(*name, s.call()));
      Json j;
      j["name"] = *name;
      j["row_count"] = stats.row_count;
      j["load_state"] = LoadStateName(load);
      if (s.json()) {
        PrintJson(std::cout, j);
      } else {
        PrintDetails(std::cout, j);
      }
      return absl::OkStatus();
    });
  }
  {
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* cmd = group->add_subcommand("rename", "Rename a collection.");
    cmd->add_option("COLLECTION", names->first, "collection name")->required();
    cmd->add_option("NEW_NAME", names->second, "its new name")->required();
    OnData(ctx, cmd, flags, [names](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return Done(s, c->RenameCollection(names->first, names->second, s.call()),
                  absl::StrCat("renamed collection '", names->first, "' to '",
                               names->second, "'"));
    });
  }
}

void AddDatabaseCommands(CLI::App* data, Context& ctx,
                         const std::shared_ptr<DataFlags>& flags) {
  CLI::App* group =
      AddGroup(*data, "databases",
               "Databases of the data plane ('default' always exists; pick "
               "one for the other commands with --db).");
  {
    CLI::App* cmd = group->add_subcommand("list", "List the databases.");
    OnData(ctx, cmd, flags, [](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return PrintNames(s, c->ListDatabases(s.call()));
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "describe", "Show a database: id, creation time, properties.");
    cmd->add_option("DATABASE", *name, "database name")->required();
    OnData(ctx, cmd, flags, [name](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_ASSIGN_OR_RETURN(DatabaseDescription d,
                            c->connection()->DescribeDatabase(*name, s.call()));
      Json j;
      j["name"] = d.name;
      j["id"] = d.id;
      j["created_timestamp"] = d.created_timestamp;
      Json props = Json::object();
      for (const auto& [k, v] : d.properties) props[k] = v;
      j["properties"] = std::move(props);
      if (s.json()) {
        PrintJson(std::cout, j);
      } else {
        PrintDetails(std::cout, j);
      }
      return absl::OkStatus();
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("create", "Create a database.");
    cmd->add_option("DATABASE", *name, "database name")->required();
    OnData(ctx, cmd, flags, [name](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return Done(s, c->CreateDatabase(*name, s.call()),
                  absl::StrCat("created database '", *name, "'"));
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "drop", "Drop a database (it must hold no collections).");
    cmd->add_option("DATABASE", *name, "database name")->required();
    auto mut = AddYesFlag(cmd);
    OnData(ctx, cmd, flags, [name, mut](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_RETURN_IF_ERROR(
          s.ctx().Confirm(*mut, absl::StrCat("drop database '", *name, "'")));
      return Done(s, c->DropDatabase(*name, s.call()),
                  absl::StrCat("dropped database '", *name, "'"));
    });
  }
}

void AddPartitionCommands(CLI::App* data, Context& ctx,
                          const std::shared_ptr<DataFlags>& flags) {
  CLI::App* group = AddGroup(*data, "partitions",
                             "Partitions of a collection ('_default' always "
                             "exists).");
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("list", "List the partitions.");
    cmd->add_option("COLLECTION", *name, "collection name")->required();
    OnData(ctx, cmd, flags, [name](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return PrintNames(s, c->ListPartitions(*name, s.call()));
    });
  }
  {
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* cmd = group->add_subcommand("create", "Create a partition.");
    cmd->add_option("COLLECTION", names->first, "collection name")->required();
    cmd->add_option("PARTITION", names->second, "partition name")->required();
    OnData(ctx, cmd, flags, [names](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return Done(s, c->CreatePartition(names->first, names->second, s.call()),
                  absl::StrCat("created partition '", names->second, "' of '",
                               names->first, "'"));
    });
  }
  {
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* cmd =
        group->add_subcommand("drop", "Drop a partition and its rows.");
    cmd->add_option("COLLECTION", names->first, "collection name")->required();
    cmd->add_option("PARTITION", names->second, "partition name")->required();
    auto mut = AddYesFlag(cmd);
    OnData(ctx, cmd, flags, [names, mut](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_RETURN_IF_ERROR(s.ctx().Confirm(
          *mut, absl::StrCat("drop partition '", names->second, "' of '",
                             names->first, "' and its rows")));
      return Done(s, c->DropPartition(names->first, names->second, s.call()),
                  absl::StrCat("dropped partition '", names->second, "' of '",
                               names->first, "'"));
    });
  }
}

void AddAliasCommands(CLI::App* data, Context& ctx,
                      const std::shared_ptr<DataFlags>& flags) {
  CLI::App* group = AddGroup(
      *data, "aliases",
      "Aliases: other names for a collection, usable wherever a collection "
      "name is (switch an alias to a rebuilt collection with 'alter').");
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd =
        group->add_subcommand("list", "List the aliases of a collection.");
    cmd->add_option("COLLECTION", *name, "collection name")->required();
    OnData(ctx, cmd, flags, [name](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return PrintNames(s, c->ListAliases(*name, s.call()));
    });
  }
  {
    auto alias = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "describe", "Show the collection (and database) an alias names.");
    cmd->add_option("ALIAS", *alias, "alias")->required();
    OnData(ctx, cmd, flags, [alias](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_ASSIGN_OR_RETURN(AliasDescription d,
                            c->DescribeAlias(*alias, s.call()));
      Json j;
      j["alias"] = d.alias;
      j["collection"] = d.collection;
      j["db_name"] = d.db_name;
      if (s.json()) {
        PrintJson(std::cout, j);
      } else {
        PrintDetails(std::cout, j);
      }
      return absl::OkStatus();
    });
  }
  for (const bool alter : {false, true}) {
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* cmd = group->add_subcommand(
        alter ? "alter" : "create",
        alter ? "Point an existing alias at another collection."
              : "Create an alias of a collection.");
    cmd->add_option("COLLECTION", names->first, "collection name")->required();
    cmd->add_option("ALIAS", names->second, "alias")->required();
    OnData(ctx, cmd, flags, [names, alter](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      absl::Status st =
          alter ? c->AlterAlias(names->first, names->second, s.call())
                : c->CreateAlias(names->first, names->second, s.call());
      return Done(
          s, st,
          absl::StrCat(alter ? "alias '" : "created alias '", names->second,
                       alter ? "' now names '" : "' of '", names->first, "'"));
    });
  }
  {
    auto alias = std::make_shared<std::string>();
    CLI::App* cmd =
        group->add_subcommand("drop", "Drop an alias (the collection stays).");
    cmd->add_option("ALIAS", *alias, "alias")->required();
    OnData(ctx, cmd, flags, [alias](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return Done(s, c->DropAlias(*alias, s.call()),
                  absl::StrCat("dropped alias '", *alias, "'"));
    });
  }
}

void AddIndexCommands(CLI::App* data, Context& ctx,
                      const std::shared_ptr<DataFlags>& flags) {
  CLI::App* group =
      AddGroup(*data, "indexes", "Vector indexes of a collection.");
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "list", "List a collection's indexes with their build progress.");
    cmd->add_option("COLLECTION", *name, "collection name")->required();
    OnData(ctx, cmd, flags, [name](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_ASSIGN_OR_RETURN(std::vector<IndexDescription> indexes,
                            c->DescribeIndexes(*name, s.call()));
      std::vector<Json> rows;
      for (const IndexDescription& i : indexes) rows.push_back(IndexToJson(i));
      if (s.json()) {
        PrintJson(std::cout, Json(rows));
        return absl::OkStatus();
      }
      for (Json& r : rows) {
        r["rows"] = absl::StrCat(r["indexed_rows"].get<int64_t>(), "/",
                                 r["total_rows"].get<int64_t>());
      }
      PrintTable(std::cout,
                 {{"INDEX", "index_name"},
                  {"FIELD", "field_name"},
                  {"TYPE", "index_type"},
                  {"METRIC", "metric_type"},
                  {"PARAMS", "params"},
                  {"STATE", "state"},
                  {"INDEXED", "rows"}},
                 rows);
      return absl::OkStatus();
    });
  }
  {
    struct Flags {
      std::string collection, field, name, type = "AUTOINDEX", metric;
      std::vector<std::string> params;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Create an index on a vector field (the collection must be "
        "released, or have no index on that field yet).");
    cmd->add_option("COLLECTION", f->collection, "collection name")->required();
    cmd->add_option("--field", f->field,
                    "the vector field (default: the only one)");
    cmd->add_option("--name", f->name, "index name (default: the field name)");
    cmd->add_option("--type", f->type,
                    "FLAT, IVF_FLAT, IVF_SQ8, IVF_PQ, SCANN, HNSW, HNSW_SQ, "
                    "DISKANN, BIN_FLAT, BIN_IVF_FLAT, SPARSE_INVERTED_INDEX, "
                    "SPARSE_WAND or AUTOINDEX (default)");
    cmd->add_option("--metric", f->metric,
                    "COSINE (the default for float vectors), L2 or IP; "
                    "HAMMING (default) or JACCARD for binary vectors; IP "
                    "for sparse vectors, BM25 for a BM25 function's output "
                    "(their defaults)");
    cmd->add_option("--param", f->params,
                    "build parameter KEY=VALUE, repeatable: M=16, "
                    "efConstruction=200 (HNSW), nlist=128 (IVF)");
    OnData(ctx, cmd, flags, [f](DataSession& s) -> absl::Status {
      IndexSpec spec;
      COVE_ASSIGN_OR_RETURN(spec.index_type, ParseIndexType(f->type, "--type"));
      COVE_ASSIGN_OR_RETURN(spec.params, ParseLabels(f->params, "--param"));
      spec.index_name = f->name;
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_ASSIGN_OR_RETURN(CollectionDescription d, s.Describe(f->collection));
      COVE_ASSIGN_OR_RETURN(const FieldSchema* vf,
                            VectorField(d.schema, f->field, "--field"));
      spec.field_name = vf->name;
      if (!f->metric.empty()) {
        COVE_ASSIGN_OR_RETURN(spec.metric_type,
                              ParseMetricType(f->metric, "--metric"));
      } else if (vf->type == DataType::kBinaryVector) {
        spec.metric_type = MetricType::kHamming;
      } else if (vf->type == DataType::kSparseFloatVector) {
        spec.metric_type =
            vf->is_function_output ? MetricType::kBM25 : MetricType::kIP;
      } else {
        spec.metric_type = MetricType::kCosine;
      }
      return Done(s, c->CreateIndex(f->collection, spec, s.call()),
                  absl::StrCat("created index on '", f->collection, ".",
                               spec.field_name, "'"));
    });
  }
  {
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* cmd = group->add_subcommand(
        "drop", "Drop an index (release the collection first).");
    cmd->add_option("COLLECTION", names->first, "collection name")->required();
    cmd->add_option("INDEX", names->second, "index name")->required();
    OnData(ctx, cmd, flags, [names](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      return Done(s, c->DropIndex(names->first, names->second, s.call()),
                  absl::StrCat("dropped index '", names->second, "' of '",
                               names->first, "'"));
    });
  }
}

// load, release, flush, compact: a verb on one collection.
void AddCollectionVerb(
    CLI::App* data, Context& ctx, const std::shared_ptr<DataFlags>& flags,
    const std::string& verb, const std::string& help, const std::string& done,
    absl::Status (Client::*call)(const std::string&, const CallOptions&)) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = data->add_subcommand(verb, help);
  cmd->add_option("COLLECTION", *name, "collection name")->required();
  OnData(ctx, cmd, flags, [name, call, done](DataSession& s) -> absl::Status {
    COVE_ASSIGN_OR_RETURN(Client * c, s.client());
    return Done(s, (c->*call)(*name, s.call()),
                absl::StrCat(done, " '", *name, "'"));
  });
}

}  // namespace

void AddDataCommands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<DataFlags>();
  CLI::App* data = AddGroup(
      app, "data",
      "The data plane: collections, rows, search and query, on a cluster "
      "(--cluster, looked up through the control plane) or any Milvus "
      "endpoint or local engine (--uri). Flags of this group may come after "
      "the verb.");
  data->add_option("--uri", flags->uri,
                   "data plane: http://host:port (Milvus, Zilliz, "
                   "cove-server; host:port alone means http://), "
                   "https://host:port, a directory (the embedded engine) or "
                   ":memory: (default: COVE_URI)");
  data->add_option("--cluster", flags->cluster,
                   "a cluster id or name of the control plane: its endpoint "
                   "is looked up with the logged-in profile; the user "
                   "defaults to its admin user (default: COVE_CLUSTER)");
  data->add_option("--db", flags->db,
                   "database (default: COVE_DB_NAME, then 'default')");
  data->add_option("--user", flags->user,
                   "data-plane user (default: COVE_USER, then the cluster's "
                   "admin user)");
  data->add_option("--password-file", flags->password_file,
                   "file holding the user's password (mode 0600), or - for a "
                   "line of standard input (default: COVE_PASSWORD, then a "
                   "prompt on a terminal)");
  data->add_option("--token-file", flags->token_file,
                   "file holding a token ('user:password' or an API key; "
                   "mode 0600), or - for standard input (default: "
                   "COVE_TOKEN)");
  data->add_option("--data-tls-ca", flags->tls_ca,
                   "PEM file of CAs to trust for the data plane; turns TLS "
                   "on for host:port (default: COVE_DATA_CA_FILE; --tls-ca "
                   "is the control plane's)");
  data->add_option("--client-cert", flags->client_cert,
                   "PEM client certificate for mutual TLS");
  data->add_option("--client-key", flags->client_key,
                   "PEM private key of --client-cert");
  data->add_option("--server-name", flags->server_name,
                   "name to check in the server's certificate");

  {
    CLI::App* cmd = data->add_subcommand(
        "status",
        "Check the connection: where it goes, the backend, the server's "
        "version and health.");
    OnData(ctx, cmd, flags, [](DataSession& s) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(Client * c, s.client());
      COVE_ASSIGN_OR_RETURN(std::string version, c->GetServerVersion(s.call()));
      COVE_RETURN_IF_ERROR(c->CheckHealth(s.call()));
      Json j;
      j["uri"] = s.target_uri();
      j["cluster"] = s.target_cluster();
      j["backend"] = c->connection()->backend_name();
      j["database"] = s.call().db_name.empty() ? "default" : s.call().db_name;
      j["server_version"] = version;
      j["healthy"] = true;
      if (s.json()) {
        PrintJson(std::cout, j);
      } else {
        PrintDetails(std::cout, j);
      }
      return absl::OkStatus();
    });
  }
  AddDatabaseCommands(data, ctx, flags);
  AddCollectionCommands(data, ctx, flags);
  AddPartitionCommands(data, ctx, flags);
  AddAliasCommands(data, ctx, flags);
  AddIndexCommands(data, ctx, flags);
  AddCollectionVerb(data, ctx, flags, "load",
                    "Load a collection for search and query (waits until "
                    "loaded).",
                    "loaded", &Client::LoadCollection);
  AddCollectionVerb(data, ctx, flags, "release",
                    "Release a loaded collection (frees its memory).",
                    "released", &Client::ReleaseCollection);
  AddCollectionVerb(data, ctx, flags, "flush",
                    "Make a collection's writes durable (and wait for its "
                    "index builds on the embedded engine).",
                    "flushed", &Client::Flush);
  AddCollectionVerb(data, ctx, flags, "compact",
                    "Reclaim deleted rows now, and wait.", "compacted",
                    &Client::Compact);
  AddDataRowCommands(data, ctx, flags);
}

}  // namespace cove::cli
