// Output of the `cove` CLI: the API objects as JSON (stable field names: the
// proto field names of cove.control.v1) and as tables for people.
//
// JSON conventions: every field is always present; enums are their proto
// names ("RUNNING"); times are RFC 3339 strings in UTC, null when unset;
// status codes are their names ("NOT_FOUND"); lists are arrays.
#ifndef COVE_SRC_CLI_OUTPUT_H_
#define COVE_SRC_CLI_OUTPUT_H_

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cove/control_types.h"
#include "nlohmann/json.hpp"

namespace cove::cli {

using Json = nlohmann::ordered_json;

/// "2026-12-03T11:45:01Z" (with ".123" when the milliseconds are not 0).
std::string FormatTime(control::Timestamp t);
/// A duration as in proto JSON: "3600s", "0.500s".
std::string DurationText(std::chrono::milliseconds d);
/// "READY", "CREATING", ...
std::string BackupStateName(control::BackupState s);
/// "NOT_FOUND", "OK", ...
std::string CodeName(absl::StatusCode code);

Json ToJson(const control::Organization& v);
Json ToJson(const control::Member& v);
Json ToJson(const control::Invitation& v);
Json ToJson(const control::Project& v);
/// A project's license (issue 19); null without one.
Json ToJson(const std::optional<control::License>& v);
Json ToJson(const control::Environment& v);
Json ToJson(const control::EnvironmentValidation& v);
Json ToJson(const control::Cluster& v);
Json ToJson(const control::MaintenanceWindow& v);  // issue 19
Json ToJson(const control::Autoscaling& v);
Json ToJson(const control::BackupPolicy& v);
Json ToJson(const control::Backup& v);
Json ToJson(const control::RequestKindMetrics& v);
Json ToJson(const control::ClusterMetrics& v);
Json ToJson(const control::Operation& v);
Json ToJson(const control::ApiKey& v);
Json ToJson(const control::Role& v);
Json ToJson(const control::RoleBinding& v);
Json ToJson(const control::AuditEvent& v);
Json ToJson(const control::AcceptInvitationResult& v);
Json ToJson(const control::EmulatorSettings& v);
Json ToJson(const control::Fault& v);

/// A column of a list table: its header and the top-level JSON field shown.
struct Column {
  std::string header;
  std::string field;
};

/// Columns of the list tables, per resource type.
std::vector<Column> ColumnsFor(const control::Organization*);
std::vector<Column> ColumnsFor(const control::Member*);
std::vector<Column> ColumnsFor(const control::Invitation*);
std::vector<Column> ColumnsFor(const control::Project*);
std::vector<Column> ColumnsFor(const control::Environment*);
std::vector<Column> ColumnsFor(const control::Cluster*);
std::vector<Column> ColumnsFor(const control::Backup*);
std::vector<Column> ColumnsFor(const control::Operation*);
std::vector<Column> ColumnsFor(const control::ApiKey*);
std::vector<Column> ColumnsFor(const control::Role*);
std::vector<Column> ColumnsFor(const control::RoleBinding*);
std::vector<Column> ColumnsFor(const control::AuditEvent*);
std::vector<Column> ColumnsFor(const control::Fault*);

/// `s` safe to print on a terminal: control characters (C0, DEL, C1),
/// bytes that are not UTF-8, line and paragraph separators and
/// bidirectional overrides as \xNN or \uNNNN escapes, and (unless
/// `keep_backslash`) '\' as "\\" so that an escape cannot be forged;
/// other text (Unicode letters included) as it is.
std::string Printable(std::string_view s, bool keep_backslash = false);

/// The number of characters (UTF-8 code points) of `s`, for alignment.
size_t DisplayWidth(std::string_view s);

/// A JSON value as one table cell: strings as Printable, null as "-",
/// arrays joined with ",", objects as "k=v,k=v".
std::string Cell(const Json& value);

/// Prints rows (JSON objects) under `columns`, aligned, headers in capitals.
void PrintTable(std::ostream& out, const std::vector<Column>& columns,
                const std::vector<Json>& rows);

/// Prints one object as "field: value" lines; nested objects as
/// "parent.field", arrays of objects one element per line.
void PrintDetails(std::ostream& out, const Json& object);

/// Prints GetClusterMetrics' JSON for people: the totals as "field: value"
/// lines (figures rounded, cu_usage in percent), then a table of the request
/// kinds.
void PrintMetrics(std::ostream& out, const Json& metrics);

}  // namespace cove::cli

#endif  // COVE_SRC_CLI_OUTPUT_H_
