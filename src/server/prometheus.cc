// The Prometheus text exposition format (see prometheus.h).
#include "server/prometheus.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cove::prometheus {
namespace {

bool NameStart(char c, bool colon) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (colon && c == ':');
}
bool NameChar(char c, bool colon) {
  return NameStart(c, colon) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c));
}
bool ValidName(absl::string_view s, bool colon) {
  if (s.empty() || !NameStart(s[0], colon)) return false;
  for (char c : s) {
    if (!NameChar(c, colon)) return false;
  }
  return true;
}

std::string EscapeHelp(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("prometheus text line ", line, ": ", what));
}

bool ParseNumber(absl::string_view s, double* out) {
  if (s == "NaN") {
    *out = std::nan("");
    return true;
  }
  if (s == "+Inf" || s == "Inf") {
    *out = INFINITY;
    return true;
  }
  if (s == "-Inf") {
    *out = -INFINITY;
    return true;
  }
  if (s.empty()) return false;
  std::string copy(s);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && std::isfinite(*out);
}

}  // namespace

const char* TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
    case Type::kSummary:
      return "summary";
    case Type::kUntyped:
      return "untyped";
  }
  return "untyped";
}

bool ValidMetricName(absl::string_view name) { return ValidName(name, true); }
bool ValidLabelName(absl::string_view name) { return ValidName(name, false); }

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  // Prefer the shortest form that reads back exactly.
  for (int precision = 6; precision < 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof(shorter), "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value) return shorter;
  }
  return buf;
}

std::string EscapeLabelValue(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void TextWriter::Family(absl::string_view name, Type type,
                        absl::string_view help) {
  assert(ValidMetricName(name));
  family_ = std::string(name);
  absl::StrAppend(&out_, "# HELP ", name, " ", EscapeHelp(help), "\n",
                  "# TYPE ", name, " ", TypeName(type), "\n");
}

void TextWriter::Line(absl::string_view name, const Labels& labels,
                      const std::string* le, double value) {
  out_.append(name.data(), name.size());
  if (!labels.empty() || le != nullptr) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      assert(ValidLabelName(k));
      if (!first) out_ += ',';
      first = false;
      absl::StrAppend(&out_, k, "=\"", EscapeLabelValue(v), "\"");
    }
    if (le != nullptr) {
      if (!first) out_ += ',';
      absl::StrAppend(&out_, "le=\"", *le, "\"");
    }
    out_ += '}';
  }
  absl::StrAppend(&out_, " ", FormatValue(value), "\n");
}

void TextWriter::Sample(const Labels& labels, double value) {
  Line(family_, labels, nullptr, value);
}

void TextWriter::SampleWithSuffix(absl::string_view suffix,
                                  const Labels& labels, double value) {
  Line(absl::StrCat(family_, suffix), labels, nullptr, value);
}

void TextWriter::Histogram(const Labels& labels,
                           const std::vector<double>& bounds,
                           const std::vector<uint64_t>& counts, double sum) {
  assert(counts.size() == bounds.size() + 1);
  const std::string bucket = family_ + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    const std::string le =
        i < bounds.size() ? FormatValue(bounds[i]) : std::string("+Inf");
    Line(bucket, labels, &le, static_cast<double>(cumulative));
  }
  Line(family_ + "_sum", labels, nullptr, sum);
  Line(family_ + "_count", labels, nullptr, static_cast<double>(cumulative));
}

std::string ParsedSample::Label(const std::string& name) const {
  auto it = labels.find(name);
  return it == labels.end() ? std::string() : it->second;
}

std::vector<const ParsedSample*> ParsedText::Find(
    const std::string& name,
    const std::map<std::string, std::string>& match) const {
  std::vector<const ParsedSample*> out;
  for (const ParsedSample& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match) ok = ok && s.Label(k) == v;
    if (ok) out.push_back(&s);
  }
  return out;
}

absl::StatusOr<ParsedText> ParseText(absl::string_view text) {
  ParsedText out;
  std::map<std::string, bool> sampled;  // families with samples seen
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::vector<absl::string_view> parts =
          absl::StrSplit(line, absl::MaxSplits(' ', 3));
      if (parts.size() < 2 || (parts[1] != "HELP" && parts[1] != "TYPE")) {
        continue;  // a comment
      }
      if (parts.size() < 3 || !ValidMetricName(parts[2])) {
        return LineError(
            line_no, absl::StrCat("expected a metric name after ", parts[1]));
      }
      const std::string name(parts[2]);
      const absl::string_view rest = parts.size() > 3 ? parts[3] : "";
      if (parts[1] == "HELP") {
        std::string help;
        for (size_t i = 0; i < rest.size(); ++i) {
          if (rest[i] != '\\') {
            help += rest[i];
            continue;
          }
          if (i + 1 >= rest.size()) {
            return LineError(line_no, "HELP ends in a lone backslash");
          }
          const char e = rest[++i];
          if (e == '\\') {
            help += '\\';
          } else if (e == 'n') {
            help += '\n';
          } else {
            return LineError(line_no, absl::StrCat("HELP has the escape \\",
                                                   std::string(1, e)));
          }
        }
        if (out.help.count(name) != 0) {
          return LineError(line_no, absl::StrCat("second HELP for ", name));
        }
        out.help[name] = help;
        continue;
      }
      Type type;
      if (rest == "counter") {
        type = Type::kCounter;
      } else if (rest == "gauge") {
        type = Type::kGauge;
      } else if (rest == "histogram") {
        type = Type::kHistogram;
      } else if (rest == "summary") {
        type = Type::kSummary;
      } else if (rest == "untyped") {
        type = Type::kUntyped;
      } else {
        return LineError(line_no, absl::StrCat("unknown type '", rest, "'"));
      }
      if (out.types.count(name) != 0) {
        return LineError(line_no, absl::StrCat("second TYPE for ", name));
      }
      if (sampled.count(name) != 0) {
        return LineError(line_no,
                         absl::StrCat("TYPE for ", name, " after its samples"));
      }
      out.types[name] = type;
      continue;
    }
    ParsedSample sample;
    size_t i = 0;
    while (i < line.size() && NameChar(line[i], true)) ++i;
    sample.name = std::string(line.substr(0, i));
    if (!ValidMetricName(sample.name)) {
      return LineError(line_no, "expected a metric name");
    }
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        size_t start = i;
        while (i < line.size() && NameChar(line[i], false)) ++i;
        std::string label(line.substr(start, i - start));
        if (!ValidLabelName(label)) {
          return LineError(line_no, "expected a label name");
        }
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          return LineError(line_no,
                           absl::StrCat("expected =\" after label ", label));
        }
        i += 2;
        std::string value;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c != '\\') {
            value += c;
            continue;
          }
          if (i >= line.size()) break;
          char e = line[i++];
          if (e == '\\' || e == '"') {
            value += e;
          } else if (e == 'n') {
            value += '\n';
          } else {
            return LineError(line_no,
                             absl::StrCat("label ", label, " has the escape \\",
                                          std::string(1, e)));
          }
        }
        if (!closed) {
          return LineError(
              line_no, absl::StrCat("label ", label, ": unterminated value"));
        }
        if (sample.labels.count(label) != 0) {
          return LineError(line_no, absl::StrCat("label ", label, " repeats"));
        }
        sample.labels[label] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
    }
    if (i >= line.size() || line[i] != ' ') {
      return LineError(line_no, "expected a space before the value");
    }
    std::vector<absl::string_view> rest =
        absl::StrSplit(line.substr(i + 1), ' ', absl::SkipEmpty());
    if (rest.empty() || rest.size() > 2) {
      return LineError(line_no, "expected a value and an optional timestamp");
    }
    if (!ParseNumber(rest[0], &sample.value)) {
      return LineError(line_no,
                       absl::StrCat("value '", rest[0], "' is not a number"));
    }
    std::string family = sample.name;
    for (const char* suffix : {"_bucket", "_sum", "_count", "_total"}) {
      absl::string_view n = sample.name;
      if (absl::EndsWith(n, suffix)) {
        std::string base(n.substr(0, n.size() - strlen(suffix)));
        if (out.types.count(base) != 0) family = base;
      }
    }
    sampled[family] = true;
    out.samples.push_back(std::move(sample));
  }
  return out;
}

}  // namespace cove::prometheus
