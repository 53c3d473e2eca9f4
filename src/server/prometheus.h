// The Prometheus text exposition format (version 0.0.4): a writer for the
// metrics endpoints of cove-server, the cloud's data planes and cove-cloud,
// and a strict parser that tests (and tools) use to read them back.
//
// Format facts: one family is "# HELP name text" and "# TYPE name type"
// followed by its samples "name{label="value",...} number"; HELP text
// escapes backslash and newline, label values escape backslash, double
// quote and newline; numbers may be NaN, +Inf or -Inf. A histogram family
// `h` has cumulative samples h_bucket{le="..."} ending with le="+Inf", then
// h_sum and h_count.
#ifndef COVE_SRC_SERVER_PROMETHEUS_H_
#define COVE_SRC_SERVER_PROMETHEUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cove::prometheus {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { kCounter, kGauge, kHistogram, kSummary, kUntyped };
const char* TypeName(Type type);

/// Builds an exposition. Families must not repeat; samples follow their
/// family. Names and label names are checked in debug builds only (they are
/// constants of our code), values are escaped here.
///
/// Thread safety: none (one writer per scrape).
class TextWriter {
 public:
  /// Starts a family: its HELP and TYPE lines.
  void Family(absl::string_view name, Type type, absl::string_view help);
  /// One sample of a counter, gauge or untyped family, named as the family.
  void Sample(const Labels& labels, double value);
  /// One sample with a suffix (summary quantiles use "", "_sum", "_count").
  void SampleWithSuffix(absl::string_view suffix, const Labels& labels,
                        double value);
  /// The samples of one histogram series: `bounds` are the upper bounds of
  /// the finite buckets (increasing), `counts` the count of each bucket,
  /// not cumulative, with one more entry for the +Inf bucket.
  void Histogram(const Labels& labels, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& counts, double sum);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Line(absl::string_view name, const Labels& labels, const std::string* le,
            double value);
  std::string out_;
  std::string family_;
};

/// A number as the format writes it: integers without exponent up to 2^53,
/// else the shortest round-tripping form; NaN, +Inf, -Inf.
std::string FormatValue(double value);
/// `s` escaped for a label value (backslash, double quote, newline).
std::string EscapeLabelValue(absl::string_view s);
/// True for [a-zA-Z_:][a-zA-Z0-9_:]* (metric names).
bool ValidMetricName(absl::string_view name);
/// True for [a-zA-Z_][a-zA-Z0-9_]* (label names).
bool ValidLabelName(absl::string_view name);

/// One parsed sample.
struct ParsedSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
  /// The value of label `name`, or "" when absent.
  std::string Label(const std::string& name) const;
};

/// A parsed exposition.
struct ParsedText {
  std::map<std::string, std::string> help;  // family -> HELP text
  std::map<std::string, Type> types;        // family -> TYPE
  std::vector<ParsedSample> samples;

  /// Samples named `name` whose labels include all of `match`.
  std::vector<const ParsedSample*> Find(
      const std::string& name,
      const std::map<std::string, std::string>& match = {}) const;
};

/// Parses text format 0.0.4 strictly: InvalidArgument naming the line
/// (1-based) and what was wrong for a bad name, label, escape or number, a
/// TYPE after the family's samples, a repeated TYPE, or an unknown type.
absl::StatusOr<ParsedText> ParseText(absl::string_view text);

}  // namespace cove::prometheus

#endif  // COVE_SRC_SERVER_PROMETHEUS_H_
