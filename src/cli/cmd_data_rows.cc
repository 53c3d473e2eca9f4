// `cove data`: the verbs on rows: insert and upsert from files, search,
// query, get, delete.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/data_session.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

// Opens `path` for reading ("-": standard input, claimed for `flag`).
absl::StatusOr<std::istream*> OpenInput(DataSession& s, const std::string& path,
                                        const std::string& flag,
                                        std::ifstream& file) {
  if (path == "-") {
    COVE_RETURN_IF_ERROR(s.ClaimStdin(flag + " -"));
    return &std::cin;
  }
  file.open(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat(flag, ": cannot open '", path,
                                            "': ", std::strerror(errno)));
  }
  return &file;
}

// "1 row", "2 rows".
std::string Rows(int64_t n) {
  return absl::StrCat(n, n == 1 ? " row" : " rows");
}

// Adds the context of a failed bulk write to its error.
absl::Status Partial(const absl::Status& status, const std::string& context,
                     int64_t written, const std::string& verb) {
  std::string message = context.empty()
                            ? std::string(status.message())
                            : absl::StrCat(context, ": ", status.message());
  if (written > 0) {
    absl::StrAppend(&message, " (", Rows(written), " before it ",
                    written == 1 ? "was " : "were ", verb,
                    "; the rest of the file was not)");
  } else {
    absl::StrAppend(&message, " (nothing was ", verb, ")");
  }
  return absl::Status(status.code(), message);
}

// Progress of a bulk write: a live line on a terminal (nothing otherwise).
class Progress {
 public:
  explicit Progress(bool on) : on_(on && ::isatty(STDERR_FILENO) == 1) {}
  ~Progress() {
    if (shown_) std::cerr << "\r\x1b[K" << std::flush;
  }
  void Show(const std::string& text) {
    if (!on_) return;
    std::cerr << "\r\x1b[K" << text << std::flush;
    shown_ = true;
  }

 private:
  bool on_;
  bool shown_ = false;
};

// The rows of a collection as JSON, in schema order.
std::vector<Json> RowsToJson(const std::vector<Row>& rows,
                             const CollectionSchema& schema) {
  std::vector<Json> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(RowToJson(r, &schema));
  return out;
}

void PrintRowList(DataSession& s, const std::vector<Json>& rows) {
  if (s.json()) {
    PrintJson(std::cout, Json(rows));
  } else {
    PrintRows(std::cout, rows);
  }
}

void AddWriteCommand(CLI::App* data, Context& ctx,
                     const std::shared_ptr<DataFlags>& flags, bool upsert) {
  struct Flags {
    std::string collection, file, format, partition, vector_field, fields;
    int64_t batch = 1000;
    int64_t id_start = 0;
    bool show_ids = false;
    bool dry_run = false;
  };
  auto f = std::make_shared<Flags>();
  const std::string verb = upsert ? "upsert" : "insert";
  CLI::App* cmd = data->add_subcommand(
      verb,
      upsert ? "Insert rows from a file, replacing the rows whose primary key "
               "exists (same formats as insert)."
             : "Insert rows from a file: JSON lines (.jsonl), JSON (.json: an "
               "array of rows, or {\"rows\": [...]}), CSV/TSV with a header "
               "line (.csv, .tsv; vectors, arrays and JSON fields as JSON "
               "text), or NumPy float32 vectors (.npy) with the other fields "
               "from --fields or ids from --id-start.");
  cmd->add_option("COLLECTION", f->collection, "collection name")->required();
  cmd->add_option("--file", f->file,
                  "the rows: a file, or - for standard input (with --format)")
      ->required();
  cmd->add_option("--format", f->format,
                  "jsonl, json, csv, tsv or npy (default: from the file's "
                  "extension)");
  cmd->add_option("--batch", f->batch, "rows per request (default 1000)")
      ->check(WholeNumber(1, 100000));
  cmd->add_option("--partition", f->partition,
                  "the partition to write to (default: _default)");
  cmd->add_option("--vector-field", f->vector_field,
                  ".npy: the vector field the vectors go to (default: the "
                  "only one)");
  cmd->add_option("--fields", f->fields,
                  ".npy: a .jsonl, .json, .csv or .tsv file with the other "
                  "fields, one row per vector, in the same order");
  CLI::Option* id_start = cmd->add_option(
      "--id-start", f->id_start,
      ".npy: number the rows' primary keys from this value (a collection "
      "whose key is not auto_id, without the key in --fields)");
  cmd->add_flag("--show-ids", f->show_ids,
                "print the primary keys of the rows written (\"ids\")");
  cmd->add_flag("--dry-run", f->dry_run,
                "read and check every row against the schema, write nothing");
  OnData(
      ctx, cmd, flags,
      [f, id_start, upsert, verb](DataSession& s) -> absl::Status {
        COVE_ASSIGN_OR_RETURN(RowFormat format,
                              DetectFormat(f->file, f->format, "--file"));
        if (format != RowFormat::kNpy &&
            (!f->fields.empty() || id_start->count() > 0 ||
             !f->vector_field.empty())) {
          return absl::InvalidArgumentError(
              "--fields, --id-start and --vector-field go with .npy "
              "files only");
        }
        // The files first: a missing file needs no connection.
        std::ifstream file, fields_file;
        COVE_ASSIGN_OR_RETURN(std::istream * in,
                              OpenInput(s, f->file, "--file", file));
        std::istream* fin = nullptr;
        if (!f->fields.empty()) {
          COVE_ASSIGN_OR_RETURN(
              fin, OpenInput(s, f->fields, "--fields", fields_file));
        }
        COVE_ASSIGN_OR_RETURN(Client * c, s.client());
        COVE_ASSIGN_OR_RETURN(CollectionDescription d,
                              s.Describe(f->collection));
        const std::string name = f->file == "-" ? "<stdin>" : f->file;
        NpyOptions npy;
        npy.vector_field = f->vector_field;
        if (id_start->count() > 0) npy.id_start = f->id_start;
        if (!f->fields.empty()) {
          COVE_ASSIGN_OR_RETURN(RowFormat ff,
                                DetectFormat(f->fields, "", "--fields"));
          npy.fields_name = f->fields == "-" ? "<stdin>" : f->fields;
          COVE_ASSIGN_OR_RETURN(
              npy.fields,
              OpenFieldsSource(*fin, npy.fields_name, ff, d.schema));
        }
        COVE_ASSIGN_OR_RETURN(
            std::unique_ptr<RowSource> source,
            OpenRowSource(*in, name, format, d.schema, std::move(npy)));
        const std::string done_verb = upsert ? "upserted" : "inserted";
        int64_t read = 0, written = 0, batches = 0;
        std::vector<Value> ids;
        Progress progress(!s.quiet());
        for (;;) {
          std::vector<Row> rows;
          absl::Status st = source->Next(static_cast<size_t>(f->batch), rows);
          if (!st.ok()) {
            return f->dry_run ? st : Partial(st, "", written, done_verb);
          }
          if (rows.empty()) break;
          const int64_t first = read + 1;
          read += static_cast<int64_t>(rows.size());
          if (f->dry_run) continue;
          InsertRequest req;
          req.collection_name = f->collection;
          req.partition_name = f->partition;
          req.rows = std::move(rows);
          absl::StatusOr<MutationResult> r =
              upsert ? c->Upsert(req, s.call()) : c->Insert(req, s.call());
          if (!r.ok()) {
            return Partial(
                r.status(),
                absl::StrCat(verb, " of ",
                             first == read
                                 ? absl::StrCat("row ", first)
                                 : absl::StrCat("rows ", first, " to ", read),
                             " of ", name, " into '", f->collection, "'"),
                written, done_verb);
          }
          written += r->count;
          ++batches;
          if (f->show_ids) {
            ids.insert(ids.end(), r->ids.begin(), r->ids.end());
          }
          progress.Show(absl::StrCat(done_verb, " ", Rows(written)));
        }
        Json j;
        if (f->dry_run) {
          j["checked_rows"] = read;
          j["dry_run"] = true;
        } else {
          j[upsert ? "upsert_count" : "insert_count"] = written;
          j["batches"] = batches;
          if (f->show_ids) {
            Json a = Json::array();
            for (const Value& id : ids) a.push_back(ValueToJson(id));
            j["ids"] = std::move(a);
          }
        }
        if (s.json()) {
          PrintJson(std::cout, j);
        } else if (f->dry_run) {
          std::cout << "checked " << Rows(read) << " of " << Printable(name)
                    << ": nothing written (--dry-run)" << std::endl;
        } else {
          std::cout << done_verb << " " << Rows(written) << " into '"
                    << Printable(f->collection) << "' (" << batches
                    << (batches == 1 ? " batch)" : " batches)") << std::endl;
          if (f->show_ids) {
            std::vector<std::string> text;
            for (const Value& id : ids) {
              text.push_back(Cell(ValueToJson(id)));
            }
            std::cout << "ids: " << absl::StrJoin(text, ",") << std::endl;
          }
        }
        return absl::OkStatus();
      });
}

void AddSearchCommand(CLI::App* data, Context& ctx,
                      const std::shared_ptr<DataFlags>& flags) {
  struct Flags {
    std::string collection, vector, vector_file, from_id, filter, anns_field,
        metric;
    std::vector<std::string> output_fields, params, partitions, texts;
    int64_t limit = 10, offset = 0;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = data->add_subcommand(
      "search",
      "Search the nearest rows of one or more query vectors (closest first; "
      "distance is squared L2, HAMMING or JACCARD, or the IP / COSINE / BM25 "
      "similarity).");
  cmd->add_option("COLLECTION", f->collection, "collection name")->required();
  CLI::Option* vec = cmd->add_option(
      "--vector", f->vector,
      "query vector(s) as JSON: [0.1, 0.2, ...] or [[...], [...]]; a "
      "BINARY_VECTOR field takes dim/8 bytes ([255, 0, ...]), a "
      "SPARSE_FLOAT_VECTOR field {\"index\": weight, ...}");
  CLI::Option* text = cmd->add_option(
      "--text", f->texts,
      "query text for a full-text search of a BM25 function's output field "
      "(repeatable: one query each)");
  CLI::Option* file = cmd->add_option(
      "--vector-file", f->vector_file,
      "query vectors from a file: .npy (float32, one per row), .json (as "
      "--vector) or .jsonl (one vector per line); - reads JSON from "
      "standard input");
  CLI::Option* from = cmd->add_option(
      "--from-id", f->from_id,
      "use the vector of the row with this primary key (the row itself is "
      "among the hits)");
  cmd->add_option("--limit", f->limit, "hits per query (default 10)")
      ->check(WholeNumber(1, 16384));
  cmd->add_option("--offset", f->offset, "skip this many hits first")
      ->check(WholeNumber(0, 16384));
  cmd->add_option("--filter", f->filter,
                  "boolean expression on the fields: 'age > 20 and tag in "
                  "[\"a\", \"b\"]'");
  cmd->add_option("--output-fields", f->output_fields,
                  "fields to return with the hits, comma-separated or "
                  "repeated ('*': all)")
      ->delimiter(',');
  cmd->add_option("--param", f->params,
                  "search parameter KEY=VALUE, repeatable: ef=64 (HNSW), "
                  "nprobe=16 (IVF), radius=0.5 and range_filter=0.9 (range "
                  "search)");
  cmd->add_option("--anns-field", f->anns_field,
                  "the vector field to search (default: the only one)");
  cmd->add_option("--metric", f->metric,
                  "the metric (default: the index's); must match the index");
  cmd->add_option("--partition", f->partitions,
                  "search only these partitions (comma-separated or "
                  "repeated)")
      ->delimiter(',');
  OnData(
      ctx, cmd, flags,
      [f, vec, file, from, text](DataSession& s) -> absl::Status {
        const int given = static_cast<int>(vec->count() > 0) +
                          static_cast<int>(file->count() > 0) +
                          static_cast<int>(from->count() > 0) +
                          static_cast<int>(text->count() > 0);
        if (given != 1) {
          return absl::InvalidArgumentError(
              "search: give the query with one of --vector, --vector-file, "
              "--from-id or --text");
        }
        COVE_ASSIGN_OR_RETURN(Client * c, s.client());
        COVE_ASSIGN_OR_RETURN(CollectionDescription d,
                              s.Describe(f->collection));
        COVE_ASSIGN_OR_RETURN(
            const FieldSchema* vf,
            VectorField(d.schema, f->anns_field, "--anns-field"));
        SearchRequest req;
        req.collection_name = f->collection;
        req.anns_field = vf->name;
        if (text->count() > 0) {
          req.texts = f->texts;
        } else if (vec->count() > 0) {
          COVE_RETURN_IF_ERROR(ParseVectors(f->vector, *vf, "--vector", &req));
        } else if (file->count() > 0) {
          std::ifstream in;
          COVE_ASSIGN_OR_RETURN(
              std::istream * is,
              OpenInput(s, f->vector_file, "--vector-file", in));
          COVE_RETURN_IF_ERROR(ReadVectorFile(
              *is, f->vector_file == "-" ? "<stdin>.json" : f->vector_file, *vf,
              &req));
        } else {
          const FieldSchema* pk = PrimaryField(d.schema);
          if (pk == nullptr) {
            return absl::FailedPreconditionError(
                "the collection has no primary key");
          }
          COVE_ASSIGN_OR_RETURN(Value id,
                                ParseKey(*pk, f->from_id, "--from-id"));
          COVE_ASSIGN_OR_RETURN(
              std::vector<Row> rows,
              c->Get(f->collection, {id}, {vf->name}, s.call()));
          const Value* v = nullptr;
          if (!rows.empty()) {
            auto it = rows[0].find(vf->name);
            if (it != rows[0].end()) v = &it->second;
          }
          if (v == nullptr) {
            return absl::NotFoundError(
                absl::StrCat("--from-id: no row with primary key ", f->from_id,
                             " in '", f->collection, "'"));
          }
          COVE_RETURN_IF_ERROR(AddQueryVectors(*vf, *v, "--from-id", &req));
        }
        req.limit = f->limit;
        req.offset = f->offset;
        req.filter = f->filter;
        req.output_fields = f->output_fields;
        req.partition_names = f->partitions;
        if (!f->metric.empty()) {
          COVE_ASSIGN_OR_RETURN(req.metric_type,
                                ParseMetricType(f->metric, "--metric"));
        }
        COVE_ASSIGN_OR_RETURN(req.params, ParseParams(f->params, "--param"));
        COVE_ASSIGN_OR_RETURN(SearchResults results, c->Search(req, s.call()));

        const FieldSchema* pk = PrimaryField(d.schema);
        Json all = Json::array();
        for (const std::vector<Hit>& hits : results.hits) {
          Json q = Json::array();
          for (const Hit& h : hits) {
            Json j;
            j["id"] = ValueToJson(h.id);
            j["distance"] = ShortestDouble(h.distance);
            j["entity"] = RowToJson(h.entity, &d.schema);
            q.push_back(std::move(j));
          }
          all.push_back(std::move(q));
        }
        if (s.json()) {
          PrintJson(std::cout, all);
          return absl::OkStatus();
        }
        // One table: QUERY (with several queries), ID, DISTANCE, then the
        // entity's fields. Keys start with a byte no field name has, so that a
        // field called "id" or "distance" keeps its own column.
        const bool many = all.size() > 1;
        std::vector<Column> columns;
        if (many) columns.push_back({"QUERY", "\x01query"});
        columns.push_back({"ID", "\x01id"});
        columns.push_back({"DISTANCE", "\x01distance"});
        std::set<std::string> seen;
        std::vector<Json> rows;
        for (size_t qi = 0; qi < all.size(); ++qi) {
          for (const Json& h : all[qi]) {
            Json row;
            if (many) row["\x01query"] = qi;
            row["\x01id"] = h["id"];
            row["\x01distance"] = h["distance"];
            for (auto it = h["entity"].begin(); it != h["entity"].end(); ++it) {
              if (pk != nullptr && it.key() == pk->name) continue;
              if (seen.insert(it.key()).second) {
                columns.push_back({it.key(), it.key()});
              }
              row[it.key()] = Abbreviate(*it);
            }
            rows.push_back(std::move(row));
          }
        }
        PrintTable(std::cout, columns, rows);
        return absl::OkStatus();
      });
}

void AddQueryCommand(CLI::App* data, Context& ctx,
                     const std::shared_ptr<DataFlags>& flags) {
  struct Flags {
    std::string collection, filter;
    std::vector<std::string> output_fields, partitions;
    int64_t limit = 0, offset = 0;
    bool count = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = data->add_subcommand(
      "query",
      "The rows matching a filter, in primary-key order (without --limit: "
      "every match, read in pages from a consistent snapshot).");
  cmd->add_option("COLLECTION", f->collection, "collection name")->required();
  cmd->add_option("--filter", f->filter,
                  "boolean expression on the fields (default: every row)");
  cmd->add_option("--output-fields", f->output_fields,
                  "fields to return, comma-separated or repeated (default: "
                  "all; '*': all)")
      ->delimiter(',');
  cmd->add_option("--limit", f->limit, "at most this many rows (default: all)")
      ->check(WholeNumber(0, 16384));
  cmd->add_option("--offset", f->offset,
                  "skip this many rows first (needs --limit)")
      ->check(WholeNumber(0, 16384));
  cmd->add_option("--partition", f->partitions,
                  "query only these partitions (comma-separated or "
                  "repeated)")
      ->delimiter(',');
  cmd->add_flag("--count", f->count,
                "print the number of matching rows (count(*)) instead");
  OnData(ctx, cmd, flags, [f](DataSession& s) -> absl::Status {
    if (f->offset > 0 && f->limit == 0) {
      return absl::InvalidArgumentError(
          "--offset: needs --limit (without a limit, query pages through "
          "every match)");
    }
    if (f->count && (!f->output_fields.empty() || f->limit > 0)) {
      return absl::InvalidArgumentError(
          "--count: goes without --output-fields and --limit");
    }
    COVE_ASSIGN_OR_RETURN(Client * c, s.client());
    COVE_ASSIGN_OR_RETURN(CollectionDescription d, s.Describe(f->collection));
    QueryRequest req;
    req.collection_name = f->collection;
    req.filter = f->filter;
    req.partition_names = f->partitions;
    req.output_fields = f->output_fields;
    std::vector<Row> rows;
    if (f->count) {
      req.output_fields = {"count(*)"};
      COVE_ASSIGN_OR_RETURN(rows, c->Query(req, s.call()));
    } else if (f->limit > 0) {
      req.limit = f->limit;
      req.offset = f->offset;
      COVE_ASSIGN_OR_RETURN(rows, c->Query(req, s.call()));
    } else {
      COVE_ASSIGN_OR_RETURN(QueryIterator it,
                            c->NewQueryIterator(req, 1000, s.call()));
      for (;;) {
        COVE_ASSIGN_OR_RETURN(std::vector<Row> page, it.Next());
        if (page.empty()) break;
        rows.insert(rows.end(), std::make_move_iterator(page.begin()),
                    std::make_move_iterator(page.end()));
        if (it.done()) break;
      }
    }
    PrintRowList(s, RowsToJson(rows, d.schema));
    return absl::OkStatus();
  });
}

void AddGetCommand(CLI::App* data, Context& ctx,
                   const std::shared_ptr<DataFlags>& flags) {
  struct Flags {
    std::string collection;
    std::vector<std::string> ids, output_fields;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = data->add_subcommand(
      "get",
      "The rows with these primary keys, in the order given (exit 3 when "
      "some are missing, after printing the others).");
  cmd->add_option("COLLECTION", f->collection, "collection name")->required();
  cmd->add_option("ID", f->ids, "primary keys")->required();
  cmd->add_option("--output-fields", f->output_fields,
                  "fields to return, comma-separated or repeated (default: "
                  "all)")
      ->delimiter(',');
  OnData(ctx, cmd, flags, [f](DataSession& s) -> absl::Status {
    COVE_ASSIGN_OR_RETURN(Client * c, s.client());
    COVE_ASSIGN_OR_RETURN(CollectionDescription d, s.Describe(f->collection));
    const FieldSchema* pk = PrimaryField(d.schema);
    if (pk == nullptr) {
      return absl::FailedPreconditionError("the collection has no primary key");
    }
    std::vector<Value> ids;
    for (const std::string& text : f->ids) {
      COVE_ASSIGN_OR_RETURN(Value id, ParseKey(*pk, text, "ID"));
      ids.push_back(std::move(id));
    }
    COVE_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        c->Get(f->collection, ids, f->output_fields, s.call()));
    PrintRowList(s, RowsToJson(rows, d.schema));
    std::vector<std::string> missing;
    for (size_t i = 0; i < ids.size(); ++i) {
      bool found = false;
      for (const Row& r : rows) {
        auto it = r.find(pk->name);
        found |= it != r.end() && it->second == ids[i];
      }
      if (!found) missing.push_back(f->ids[i]);
    }
    if (!missing.empty()) {
      if (ids.size() == 1) {
        return absl::NotFoundError(absl::StrCat(
            "primary key ", missing[0], " not found in '", f->collection, "'"));
      }
      return absl::NotFoundError(absl::StrCat(
          missing.size(), " of ", ids.size(), " primary keys not found in '",
          f->collection, "': ", absl::StrJoin(missing, ", ")));
    }
    return absl::OkStatus();
  });
}

void AddDeleteCommand(CLI::App* data, Context& ctx,
                      const std::shared_ptr<DataFlags>& flags) {
  struct Flags {
    std::string collection, filter, partition;
    std::vector<std::string> ids;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = data->add_subcommand(
      "delete",
      "Delete rows by primary key or by filter (asks on a terminal; --yes "
      "in scripts).");
  cmd->add_option("COLLECTION", f->collection, "collection name")->required();
  cmd->add_option("ID", f->ids, "primary keys of the rows to delete");
  cmd->add_option("--filter", f->filter,
                  "delete every row matching this expression");
  cmd->add_option("--partition", f->partition,
                  "only in this partition (default: all)");
  auto mut = AddYesFlag(cmd);
  OnData(ctx, cmd, flags, [f, mut](DataSession& s) -> absl::Status {
    if (f->ids.empty() == f->filter.empty()) {
      return absl::InvalidArgumentError(
          "delete: give primary keys (ID...) or --filter, not both nor "
          "neither");
    }
    COVE_ASSIGN_OR_RETURN(Client * c, s.client());
    COVE_ASSIGN_OR_RETURN(CollectionDescription d, s.Describe(f->collection));
    DeleteRequest req;
    req.collection_name = f->collection;
    req.partition_name = f->partition;
    std::string what;
    if (!f->ids.empty()) {
      const FieldSchema* pk = PrimaryField(d.schema);
      if (pk == nullptr) {
        return absl::FailedPreconditionError(
            "the collection has no primary key");
      }
      for (const std::string& text : f->ids) {
        COVE_ASSIGN_OR_RETURN(Value id, ParseKey(*pk, text, "ID"));
        req.ids.push_back(std::move(id));
      }
      what =
          absl::StrCat("delete ", req.ids.size(), " rows of '", f->collection,
                       "' by primary key (", absl::StrJoin(f->ids, ", "), ")");
    } else {
      req.filter = f->filter;
      std::string count;
      if (!mut->yes && ::isatty(STDIN_FILENO) == 1) {
        // On a terminal, say how many rows match before asking.
        QueryRequest q;
        q.collection_name = f->collection;
        q.filter = f->filter;
        if (!f->partition.empty()) q.partition_names = {f->partition};
        q.output_fields = {"count(*)"};
        auto rows = c->Query(q, s.call());
        if (rows.ok() && !rows->empty()) {
          auto it = rows->front().find("count(*)");
          if (it != rows->front().end() && it->second.is_int()) {
            count = absl::StrCat(" (", it->second.AsInt(), " rows now)");
          }
        }
      }
      what = absl::StrCat("delete the rows of '", f->collection, "' matching '",
                          f->filter, "'", count);
    }
    COVE_RETURN_IF_ERROR(s.ctx().Confirm(*mut, what));
    COVE_ASSIGN_OR_RETURN(MutationResult r, c->Delete(req, s.call()));
    Json j;
    j["delete_count"] = r.count;
    if (s.json()) {
      PrintJson(std::cout, j);
    } else {
      std::cout << "deleted " << Rows(r.count) << " from '"
                << Printable(f->collection) << "'" << std::endl;
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddDataRowCommands(CLI::App* group, Context& ctx,
                        const std::shared_ptr<DataFlags>& flags) {
  AddWriteCommand(group, ctx, flags, /*upsert=*/false);
  AddWriteCommand(group, ctx, flags, /*upsert=*/true);
  AddSearchCommand(group, ctx, flags);
  AddQueryCommand(group, ctx, flags);
  AddGetCommand(group, ctx, flags);
  AddDeleteCommand(group, ctx, flags);
}

}  // namespace cove::cli
