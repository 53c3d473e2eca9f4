// Unit tests of `cove data`'s readers: CSV (RFC 4180 with line numbers),
// JSON lines and JSON rows, .npy files (versions, byte orders, Fortran
// order, refused dtypes and shapes, truncated data, pipes), NumPy rows with
// --id-start and --fields, query vectors.
#include "cli/data_files.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "cli/data_test_util.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::cli {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

absl::StatusOr<std::vector<Row>> ReadAll(RowSource& source, size_t batch = 2) {
  std::vector<Row> rows;
  for (;;) {
    size_t before = rows.size();
    absl::Status s = source.Next(batch, rows);
    if (!s.ok()) return s;
    if (rows.size() == before) return rows;
  }
}

absl::StatusOr<std::vector<Row>> ReadText(const std::string& text,
                                          RowFormat format,
                                          const CollectionSchema& schema,
                                          const std::string& name = "rows") {
  std::istringstream in(text);
  auto source = OpenRowSource(in, name, format, schema);
  if (!source.ok()) return source.status();
  return ReadAll(**source);
}

// A .npy file: header dictionary `dict` (padded as numpy does), then `data`.
std::string Npy(const std::string& dict, const std::string& data,
                int version = 1) {
  std::string header = dict;
  const size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(version);
  out += '\0';
  const uint32_t n = static_cast<uint32_t>(header.size());
  out += static_cast<char>(n & 0xFF);
  out += static_cast<char>((n >> 8) & 0xFF);
  if (version > 1) {
    out += static_cast<char>((n >> 16) & 0xFF);
    out += static_cast<char>((n >> 24) & 0xFF);
  }
  return out + header + data;
}

std::string Floats(const std::vector<float>& v, bool big_endian = false) {
  std::string out(v.size() * 4, '\0');
  std::memcpy(out.data(), v.data(), out.size());
  if (big_endian) {
    for (size_t i = 0; i < out.size(); i += 4) {
      std::swap(out[i], out[i + 3]);
      std::swap(out[i + 1], out[i + 2]);
    }
  }
  return out;
}

std::string Dict(const std::string& descr, bool fortran,
                 const std::string& shape) {
  return "{'descr': '" + descr +
         "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

// A stream that cannot seek (standard input, a pipe).
class PipeBuf : public std::streambuf {
 public:
  explicit PipeBuf(std::string data) : data_(std::move(data)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  pos_type seekoff(off_type, std::ios_base::seekdir,
                   std::ios_base::openmode) override {
    return pos_type(off_type(-1));
  }

 private:
  std::string data_;
};

// ---- CSV -----------------------------------------------------------------

std::vector<std::vector<std::string>> Records(const std::string& text,
                                              char delimiter = ',') {
  std::istringstream in(text);
  CsvReader reader(in, "f.csv", delimiter);
  std::vector<std::vector<std::string>> out;
  std::vector<CsvField> fields;
  for (;;) {
    auto more = reader.Next(fields);
    EXPECT_THAT(more.status(), IsOk());
    if (!more.ok() || !*more) return out;
    std::vector<std::string> r;
    for (const CsvField& f : fields) r.push_back(f.text);
    out.push_back(r);
  }
}

TEST(Csv, Rfc4180Fields) {
  EXPECT_THAT(Records("a,b\n1,2\n"),
              ElementsAre(ElementsAre("a", "b"), ElementsAre("1", "2")));
  // Quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF,
  // a last line without a line break, blank lines, a byte order mark.
  EXPECT_THAT(
      Records("\xEF\xBB\xBFx,y\r\n\"a,b\",\"say \"\"hi\"\"\"\r\n\r\n"
              "\"two\nlines\",\n,last"),
      ElementsAre(ElementsAre("x", "y"), ElementsAre("a,b", "say \"hi\""),
                  ElementsAre("two\nlines", ""), ElementsAre("", "last")));
  EXPECT_THAT(Records("a\tb\n\"1\t2\"\t3\n", '\t'),
              ElementsAre(ElementsAre("a", "b"), ElementsAre("1\t2", "3")));
}

TEST(Csv, QuotedEmptyIsNotMissing) {
  std::istringstream in("\"\",\n");
  CsvReader reader(in, "f.csv");
  std::vector<CsvField> fields;
  ASSERT_TRUE(*reader.Next(fields));
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_TRUE(fields[0].quoted);
  EXPECT_FALSE(fields[1].quoted);
}

TEST(Csv, RecordsKnowTheirLine) {
  std::istringstream in("h\n\n\"a\nb\"\nc\n");
  CsvReader reader(in, "f.csv");
  std::vector<CsvField> fields;
  ASSERT_TRUE(*reader.Next(fields));
  EXPECT_EQ(reader.line(), 1);
  ASSERT_TRUE(*reader.Next(fields));
  EXPECT_EQ(reader.line(), 3);
  ASSERT_TRUE(*reader.Next(fields));
  EXPECT_EQ(reader.line(), 5);
  EXPECT_FALSE(*reader.Next(fields));
}

TEST(Csv, MalformedRecordsNameTheLine) {
  auto error = [](const std::string& text) {
    std::istringstream in(text);
    CsvReader reader(in, "f.csv");
    std::vector<CsvField> fields;
    for (;;) {
      auto more = reader.Next(fields);
      if (!more.ok()) return more.status();
      if (!*more) return absl::OkStatus();
    }
  };
  EXPECT_THAT(error("a,b\n1,x\"y\n"),
              StatusIs(kInvalid, HasSubstr("f.csv:2: field 2: a quote inside "
                                           "an unquoted field")));
  EXPECT_THAT(error("a,b\n\"1\"x,2\n"),
              StatusIs(kInvalid, HasSubstr("f.csv:2: field 1: text after the "
                                           "closing quote")));
  EXPECT_THAT(error("a,b\n1,2\n3,\"open\nstill\n"),
              StatusIs(kInvalid, HasSubstr("f.csv:3: field 2: unterminated "
                                           "quoted field")));
}

TEST(CsvRows, TypedByTheSchema) {
  CollectionSchema schema = TestSchema();
  ASSERT_OK_AND_ASSIGN(
      std::vector<Row> rows,
      ReadText("id,vector,title,n8,price,ok,tags,meta,dyn,$meta\n"
               "1,\"[1,2,3,4]\",hello,-3,0.5,TRUE,\"[1,2]\",\"{\"\"a\"\": "
               "1}\",12,\"{\"\"m\"\": true}\"\n"
               "2,\"[0,0,0,1]\",\"\",,,0,,,007,\n",
               RowFormat::kCsv, schema, "f.csv"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["title"].AsString(), "hello");
  EXPECT_EQ(rows[0]["n8"].AsInt(), -3);
  EXPECT_TRUE(rows[0]["ok"].AsBool());
  EXPECT_EQ(rows[0]["meta"].Find("a")->AsInt(), 1);
  EXPECT_EQ(rows[0]["dyn"].AsInt(), 12);       // dynamic: JSON when it is JSON
  EXPECT_TRUE(rows[0]["m"].AsBool());          // $meta merged
  EXPECT_EQ(rows[1]["title"].AsString(), "");  // "" is an empty string
  EXPECT_EQ(rows[1].count("n8"), 0u);  // empty: missing (default applies)
  EXPECT_EQ(rows[1].count("price"), 0u);
  EXPECT_FALSE(rows[1]["ok"].AsBool());
  EXPECT_EQ(rows[1]["dyn"].AsString(), "007");  // not JSON: a string
}

TEST(CsvRows, ErrorsNameLineAndColumn) {
  CollectionSchema schema = TestSchema(/*dynamic=*/false);
  EXPECT_THAT(ReadText("id,vector\n1,\"[1,2,3,4]\"\n2,\"[1,2,3,4]\",x\n",
                       RowFormat::kCsv, schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("f.csv:3: expected 2 columns (as "
                                           "the header), got 3")));
  EXPECT_THAT(ReadText("id,vector\n1,\"[1,2,3,4]\"\n2\n", RowFormat::kCsv,
                       schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("f.csv:3: expected 2 columns (as "
                                           "the header), got 1")));
  EXPECT_THAT(ReadText("id,vector,n8\n1,\"[1,2,3,4]\",x\n", RowFormat::kCsv,
                       schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("f.csv:2: column 3 ('n8'): "
                                           "expected an integer, got 'x'")));
  EXPECT_THAT(
      ReadText("id,vector\n1,[1 2]\n", RowFormat::kCsv, schema, "f.csv"),
      StatusIs(kInvalid, HasSubstr("f.csv:2: column 2 ('vector'): "
                                   "invalid JSON")));
  EXPECT_THAT(ReadText("id,vector,price\n1,\"[1,2,3,4]\",inf\n",
                       RowFormat::kCsv, schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("expected a finite number")));
  EXPECT_THAT(ReadText("id,vector,ok\n1,\"[1,2,3,4]\",maybe\n", RowFormat::kCsv,
                       schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("expected true or false")));
  // Header problems are found before any row.
  EXPECT_THAT(ReadText("id,vector,nope\n", RowFormat::kCsv, schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("f.csv:1: column 'nope' is not a "
                                           "field of the collection")));
  EXPECT_THAT(ReadText("id,title\n", RowFormat::kCsv, schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("f.csv:1: no column for field "
                                           "'vector' (FLOAT_VECTOR, "
                                           "required)")));
  EXPECT_THAT(ReadText("id,vector,id\n", RowFormat::kCsv, schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("column 'id' appears twice")));
  EXPECT_THAT(ReadText("", RowFormat::kCsv, schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("empty file")));
  schema.fields[0].auto_id = true;
  EXPECT_THAT(ReadText("id,vector\n", RowFormat::kCsv, schema, "f.csv"),
              StatusIs(kInvalid, HasSubstr("the primary key is auto_id")));
}

// ---- JSON lines and JSON -------------------------------------------------

TEST(JsonRows, LinesSkipBlanksAndNameLines) {
  CollectionSchema schema = TestSchema();
  ASSERT_OK_AND_ASSIGN(
      std::vector<Row> rows,
      ReadText("{\"id\": 1, \"vector\": [1,2,3,4]}\r\n\n   \n"
               "{\"id\": 2, \"vector\": [1,2,3,4], \"k\": null}\n"
               "{\"id\": 3, \"vector\": [1,2,3,4]}",
               RowFormat::kJsonLines, schema));
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_THAT(ReadText("{\"id\": 1, \"vector\": [1,2,3,4]}\n\n[1]\n",
                       RowFormat::kJsonLines, schema, "r.jsonl"),
              StatusIs(kInvalid, HasSubstr("r.jsonl:3: expected a JSON object "
                                           "(one row), got [1]")));
  EXPECT_THAT(ReadText("{\"id\": 1, \"vector\": [1,2,3,4]}\n{\"id\": 2,\n",
                       RowFormat::kJsonLines, schema, "r.jsonl"),
              StatusIs(kInvalid, HasSubstr("r.jsonl:2: invalid JSON")));
  EXPECT_THAT(ReadText("{\"id\": 1, \"vector\": [1,2,3]}\n",
                       RowFormat::kJsonLines, schema, "r.jsonl"),
              StatusIs(kInvalid, HasSubstr("r.jsonl:1: field 'vector'")));
}

TEST(JsonRows, ArrayOrRowsObject) {
  CollectionSchema schema = TestSchema();
  const std::string row = R"({"id": 1, "vector": [1,2,3,4]})";
  ASSERT_OK_AND_ASSIGN(auto rows, ReadText("[" + row + "," + row + "]",
                                           RowFormat::kJson, schema));
  EXPECT_EQ(rows.size(), 2u);
  ASSERT_OK_AND_ASSIGN(
      rows, ReadText(R"({"rows": [)" + row + "]}", RowFormat::kJson, schema));
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_THAT(
      ReadText(R"({"rows": [], "x": 1})", RowFormat::kJson, schema, "r.json"),
      StatusIs(kInvalid, HasSubstr("r.json: expected an array of rows "
                                   "or an object with just a \"rows\" "
                                   "array, got an object with keys: "
                                   "rows, x")));
  EXPECT_THAT(ReadText("[" + row + ", 5]", RowFormat::kJson, schema, "r.json"),
              StatusIs(kInvalid, HasSubstr("r.json: row 2: expected a JSON "
                                           "object")));
  EXPECT_THAT(
      ReadText("[\n" + row + ",\n}", RowFormat::kJson, schema, "r.json"),
      StatusIs(kInvalid, HasSubstr("r.json: invalid JSON: parse "
                                   "error at line 3")));
}

TEST(Formats, FromExtensionOrFlag) {
  EXPECT_EQ(*DetectFormat("a/b.JSONL", "", "--file"), RowFormat::kJsonLines);
  EXPECT_EQ(*DetectFormat("b.ndjson", "", "--file"), RowFormat::kJsonLines);
  EXPECT_EQ(*DetectFormat("b.csv", "", "--file"), RowFormat::kCsv);
  EXPECT_EQ(*DetectFormat("b.tsv", "", "--file"), RowFormat::kTsv);
  EXPECT_EQ(*DetectFormat("b.npy", "", "--file"), RowFormat::kNpy);
  EXPECT_EQ(*DetectFormat("-", "json", "--file"), RowFormat::kJson);
  EXPECT_THAT(DetectFormat("-", "", "--file"),
              StatusIs(kInvalid, HasSubstr("give --format")));
  EXPECT_THAT(
      DetectFormat("x.parquet", "", "--file"),
      StatusIs(kInvalid, HasSubstr("--file: unknown format 'parquet'")));
  EXPECT_THAT(DetectFormat("x.csv", "xml", "--file"),
              StatusIs(kInvalid, HasSubstr("--format: unknown format 'xml'")));
}

// ---- NumPy ---------------------------------------------------------------

TEST(Npy, HeaderVersionsAndFields) {
  for (int version : {1, 2, 3}) {
    ASSERT_OK_AND_ASSIGN(
        NpyHeader h,
        ParseNpyHeader(Npy(Dict("<f4", false, "(3, 4)"), "", version), "v"));
    EXPECT_EQ(h.descr, "<f4");
    EXPECT_FALSE(h.fortran_order);
    EXPECT_THAT(h.shape, ElementsAre(3, 4));
    EXPECT_EQ(h.data_offset % 64, 0u) << version;
  }
  ASSERT_OK_AND_ASSIGN(
      NpyHeader h,
      ParseNpyHeader(Npy("{\"shape\": (5,), \"fortran_order\": True, "
                         "\"descr\": \"<f4\"}",
                         ""),
                     "v"));
  EXPECT_TRUE(h.fortran_order);
  EXPECT_THAT(h.shape, ElementsAre(5));
}

TEST(Npy, BadHeadersAreNamed) {
  EXPECT_THAT(ParseNpyHeader("PK\x03\x04 not numpy", "v.npy"),
              StatusIs(kInvalid, HasSubstr("v.npy: not a NumPy .npy file")));
  std::string v4 = Npy(Dict("<f4", false, "(1, 1)"), "");
  v4[6] = 4;
  EXPECT_THAT(ParseNpyHeader(v4, "v.npy"),
              StatusIs(kInvalid, HasSubstr("unsupported .npy format version "
                                           "4.0")));
  std::string cut = Npy(Dict("<f4", false, "(1, 1)"), "");
  EXPECT_THAT(ParseNpyHeader(cut.substr(0, 30), "v.npy"),
              StatusIs(kInvalid, HasSubstr("truncated .npy header")));
  EXPECT_THAT(
      ParseNpyHeader(Npy("{'descr': '<f4', 'shape': (1, 1)}", ""), "v.npy"),
      StatusIs(kInvalid, HasSubstr("expected the keys descr, "
                                   "fortran_order and shape")));
  EXPECT_THAT(ParseNpyHeader(Npy("{'descr': '<f4', 'fortran_order': Maybe, "
                                 "'shape': (1, 1)}",
                                 ""),
                             "v.npy"),
              StatusIs(kInvalid, HasSubstr("expected True or False")));
  EXPECT_THAT(ParseNpyHeader(Npy("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (1, x)}",
                                 ""),
                             "v.npy"),
              StatusIs(kInvalid, HasSubstr("expected a dimension, got 'x'")));
  EXPECT_THAT(ParseNpyHeader(Npy("{'descr': [('a', '<f4')], 'fortran_order': "
                                 "False, 'shape': (1,)}",
                                 ""),
                             "v.npy"),
              StatusIs(kInvalid, HasSubstr("structured dtypes")));
  EXPECT_THAT(ParseNpyHeader(Npy("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (1,), 'x': 1}",
                                 ""),
                             "v.npy"),
              StatusIs(kInvalid, HasSubstr("unknown key 'x'")));
}

absl::StatusOr<std::vector<float>> ReadNpy(const std::string& bytes,
                                           int64_t batch = 100,
                                           bool pipe = false) {
  PipeBuf buf(bytes);
  std::istream piped(&buf);
  std::istringstream seekable(bytes);
  std::istream& in = pipe ? piped : static_cast<std::istream&>(seekable);
  auto r = NpyReader::Open(in, "v.npy");
  if (!r.ok()) return r.status();
  std::vector<float> out;
  for (;;) {
    auto n = (*r)->Read(batch, out);
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
  }
}

TEST(Npy, ReadsFloat32InEveryLayout) {
  const std::vector<float> m = {1, 2, 3, 4, 5, 6};  // 2 x 3, row-major
  EXPECT_THAT(*ReadNpy(Npy(Dict("<f4", false, "(2, 3)"), Floats(m)), 1),
              ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_THAT(*ReadNpy(Npy(Dict(">f4", false, "(2, 3)"), Floats(m, true))),
              ElementsAre(1, 2, 3, 4, 5, 6));
  // Fortran order: column-major bytes, rows come out the same.
  const std::vector<float> columns = {1, 4, 2, 5, 3, 6};
  EXPECT_THAT(*ReadNpy(Npy(Dict("<f4", true, "(2, 3)"), Floats(columns)), 1),
              ElementsAre(1, 2, 3, 4, 5, 6));
  // (dim,): one vector.
  std::istringstream one(Npy(Dict("<f4", false, "(3,)"), Floats({7, 8, 9})));
  ASSERT_OK_AND_ASSIGN(auto r, NpyReader::Open(one, "v.npy"));
  EXPECT_EQ(r->rows(), 1);
  EXPECT_EQ(r->dim(), 3);
  // From a pipe (no size known up front).
  EXPECT_THAT(*ReadNpy(Npy(Dict("<f4", false, "(2, 3)"), Floats(m)), 1, true),
              ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(Npy, RefusesOtherDtypesShapesAndSizes) {
  const std::string data = Floats({1, 2, 3, 4, 5, 6});
  EXPECT_THAT(ReadNpy(Npy(Dict("<f8", false, "(2, 3)"), data + data)),
              StatusIs(kInvalid, HasSubstr("v.npy: dtype '<f8' (float64) is "
                                           "not supported (expected float32, "
                                           "'<f4'): convert with "
                                           "a.astype(numpy.float32)")));
  EXPECT_THAT(ReadNpy(Npy(Dict("<i4", false, "(2, 3)"), data)),
              StatusIs(kInvalid, HasSubstr("dtype '<i4' (int32)")));
  EXPECT_THAT(ReadNpy(Npy(Dict("<f2", false, "(2, 3)"), data)),
              StatusIs(kInvalid, HasSubstr("(float16)")));
  EXPECT_THAT(ReadNpy(Npy(Dict("<f4", false, "(1, 2, 3)"), data)),
              StatusIs(kInvalid, HasSubstr("shape (1, 2, 3) is not supported "
                                           "(expected (rows, dim)")));
  EXPECT_THAT(ReadNpy(Npy(Dict("<f4", false, "()"), data)),
              StatusIs(kInvalid, HasSubstr("shape () is not supported")));
  EXPECT_THAT(ReadNpy(Npy(Dict("<f4", false, "(2, 0)"), "")),
              StatusIs(kInvalid, HasSubstr("0 columns")));
  // Size checked up front on a file, as read on a pipe.
  EXPECT_THAT(ReadNpy(Npy(Dict("<f4", false, "(2, 3)"), data.substr(0, 20))),
              StatusIs(kInvalid, HasSubstr("expected 24 bytes of data for "
                                           "shape (2, 3) float32, got 20 "
                                           "(truncated file?)")));
  EXPECT_THAT(ReadNpy(Npy(Dict("<f4", false, "(2, 3)"), data + "xx")),
              StatusIs(kInvalid, HasSubstr("expected 24 bytes of data for "
                                           "shape (2, 3) float32, got 26")));
  EXPECT_THAT(
      ReadNpy(Npy(Dict("<f4", false, "(2, 3)"), data.substr(0, 20)), 1, true),
      StatusIs(kInvalid, HasSubstr("the data ends early")));
  EXPECT_THAT(ReadNpy(Npy(Dict("<f4", false, "(2, 3)"), data + "xx"), 1, true),
              StatusIs(kInvalid, HasSubstr("unexpected bytes after the 2 x 3 "
                                           "float32 values")));
  EXPECT_THAT(ReadNpy(Npy(Dict("<f4", false, "(2, 3)"),
                          Floats({1, 2, 3, 4, std::nanf(""), 6}))),
              StatusIs(kInvalid, HasSubstr("v.npy: row 2, column 2: NaN")));
}

TEST(NpyRows, IdsFromIdStartOrFieldsFile) {
  CollectionSchema schema = TestSchema();
  const std::string npy =
      Npy(Dict("<f4", false, "(2, 4)"), Floats({1, 0, 0, 0, 0, 1, 0, 0}));
  {
    std::istringstream in(npy);
    NpyOptions o;
    o.id_start = 100;
    ASSERT_OK_AND_ASSIGN(
        auto source,
        OpenRowSource(in, "v.npy", RowFormat::kNpy, schema, std::move(o)));
    ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*source, 1));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1]["id"].AsInt(), 101);
    EXPECT_THAT(rows[1]["vector"].AsFloatVector(), ElementsAre(0, 1, 0, 0));
  }
  {
    std::istringstream in(npy);
    std::istringstream fields("id,title\n7,a\n8,b\n");
    NpyOptions o;
    o.fields_name = "f.csv";
    ASSERT_OK_AND_ASSIGN(
        o.fields, OpenFieldsSource(fields, "f.csv", RowFormat::kCsv, schema));
    ASSERT_OK_AND_ASSIGN(
        auto source,
        OpenRowSource(in, "v.npy", RowFormat::kNpy, schema, std::move(o)));
    ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*source));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]["id"].AsInt(), 7);
    EXPECT_EQ(rows[1]["title"].AsString(), "b");
  }
}

TEST(NpyRows, MismatchesAreNamed) {
  CollectionSchema schema = TestSchema();
  const std::string npy =
      Npy(Dict("<f4", false, "(2, 4)"), Floats({1, 0, 0, 0, 0, 1, 0, 0}));
  auto run = [&](const std::string& fields_text, std::optional<int64_t> start,
                 const std::string& npy_bytes) -> absl::Status {
    std::istringstream in(npy_bytes);
    std::istringstream fields(fields_text);
    NpyOptions o;
    o.id_start = start;
    if (!fields_text.empty()) {
      o.fields_name = "f.jsonl";
      auto f =
          OpenFieldsSource(fields, "f.jsonl", RowFormat::kJsonLines, schema);
      if (!f.ok()) return f.status();
      o.fields = *std::move(f);
    }
    auto source =
        OpenRowSource(in, "v.npy", RowFormat::kNpy, schema, std::move(o));
    if (!source.ok()) return source.status();
    return ReadAll(**source).status();
  };
  EXPECT_THAT(run("", std::nullopt, npy),
              StatusIs(kInvalid, HasSubstr("v.npy: the collection's primary "
                                           "key 'id' is not auto_id: give "
                                           "--id-start N")));
  EXPECT_THAT(run("{\"id\": 1}\n", std::nullopt, npy),
              StatusIs(kInvalid, HasSubstr("f.jsonl: has 1 rows, but v.npy "
                                           "has 2 vectors")));
  EXPECT_THAT(run("{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n", std::nullopt, npy),
              StatusIs(kInvalid, HasSubstr("f.jsonl: has more rows than the 2 "
                                           "vectors of v.npy")));
  EXPECT_THAT(
      run("{\"title\": \"a\"}\n{\"title\": \"b\"}\n", std::nullopt, npy),
      StatusIs(kInvalid, HasSubstr("v.npy: row 1 (fields from "
                                   "f.jsonl:1): missing the primary "
                                   "key 'id'")));
  EXPECT_THAT(run("{\"id\": 1}\n{\"id\": 2}\n", 5, npy),
              StatusIs(kInvalid, HasSubstr("--id-start: the --fields file "
                                           "gives the primary key 'id' "
                                           "already")));
  EXPECT_THAT(run("{\"id\": 1, \"vector\": [1,2,3,4]}\n", std::nullopt, npy),
              StatusIs(kInvalid, HasSubstr("the --fields file has the vector "
                                           "field 'vector'")));
  EXPECT_THAT(run("", 1, Npy(Dict("<f4", false, "(1, 3)"), Floats({1, 2, 3}))),
              StatusIs(kInvalid, HasSubstr("v.npy: the vectors have 3 columns "
                                           "(expected 4: the dimension of "
                                           "field 'vector')")));
  schema.fields[0].auto_id = true;
  EXPECT_THAT(run("", 1, npy),
              StatusIs(kInvalid, HasSubstr("--id-start: the collection's "
                                           "primary key is auto_id")));
  EXPECT_THAT(run("", std::nullopt, npy), IsOk());
}

// ---- query vectors -------------------------------------------------------

FieldSchema VectorOf(DataType type, int64_t dim) {
  FieldSchema f;
  f.name = "v";
  f.type = type;
  f.dim = dim;
  return f;
}

// The float32 query vectors that `text` (JSON) or `file` gives a float
// field of `dim`.
absl::StatusOr<std::vector<float>> QueryFloats(std::string_view text,
                                               int64_t dim) {
  SearchRequest req;
  COVE_RETURN_IF_ERROR(ParseVectors(text, VectorOf(DataType::kFloatVector, dim),
                                    "--vector", &req));
  EXPECT_EQ(req.dim, static_cast<size_t>(dim));
  return req.vectors;
}
absl::StatusOr<std::vector<float>> FileFloats(std::istream& in,
                                              const std::string& name,
                                              int64_t dim) {
  SearchRequest req;
  COVE_RETURN_IF_ERROR(
      ReadVectorFile(in, name, VectorOf(DataType::kFloatVector, dim), &req));
  return req.vectors;
}

TEST(QueryVectors, JsonAndFiles) {
  EXPECT_THAT(*QueryFloats("[1, 2, 3]", 3), ElementsAre(1, 2, 3));
  EXPECT_THAT(*QueryFloats("[[1, 2], [3, 4]]", 2), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(QueryFloats("[[1, 2], [3]]", 2),
              StatusIs(kInvalid, HasSubstr("--vector: vector 2: expected a "
                                           "vector of 2 finite numbers, got "
                                           "1 numbers")));
  EXPECT_THAT(QueryFloats("[]", 2),
              StatusIs(kInvalid, HasSubstr("--vector: expected a vector")));
  EXPECT_THAT(QueryFloats("[1, ", 2),
              StatusIs(kInvalid, HasSubstr("--vector: invalid JSON")));
  std::istringstream lines("[1, 2]\n\n[3, 4]\n");
  EXPECT_THAT(*FileFloats(lines, "q.jsonl", 2), ElementsAre(1, 2, 3, 4));
  std::istringstream bad_lines("[1, 2]\n[3]\n");
  EXPECT_THAT(FileFloats(bad_lines, "q.jsonl", 2),
              StatusIs(kInvalid, HasSubstr("q.jsonl:2: expected a vector")));
  std::istringstream nested("[[1, 2]]\n");
  EXPECT_THAT(FileFloats(nested, "q.jsonl", 2),
              StatusIs(kInvalid, HasSubstr("q.jsonl:1: expected one vector "
                                           "per line")));
  std::istringstream npy(
      Npy(Dict("<f4", false, "(2, 2)"), Floats({1, 2, 3, 4})));
  EXPECT_THAT(*FileFloats(npy, "q.npy", 2), ElementsAre(1, 2, 3, 4));
  std::istringstream npy3(
      Npy(Dict("<f4", false, "(2, 2)"), Floats({1, 2, 3, 4})));
  EXPECT_THAT(FileFloats(npy3, "q.npy", 3),
              StatusIs(kInvalid, HasSubstr("q.npy: the vectors have 2 columns "
                                           "(expected 3")));
  std::istringstream csv("1,2\n");
  EXPECT_THAT(
      FileFloats(csv, "q.csv", 2),
      StatusIs(kInvalid, HasSubstr("expected a .npy, .json or .jsonl")));
}

// Binary, 16-bit and sparse fields: query vectors typed as the field's
// rows are, each refusal naming what came.
TEST(QueryVectors, EveryVectorType) {
  SearchRequest req;
  ASSERT_THAT(
      ParseVectors("[[255, 0], [1, 128]]",
                   VectorOf(DataType::kBinaryVector, 16), "--vector", &req),
      IsOk());
  ASSERT_EQ(req.vector_values.size(), 2u);
  EXPECT_THAT(req.vector_values[1].AsBinaryVector(), ElementsAre(1, 128));
  EXPECT_TRUE(req.vectors.empty());
  EXPECT_THAT(ParseVectors("[255, 256]", VectorOf(DataType::kBinaryVector, 16),
                           "--vector", &req),
              StatusIs(kInvalid, HasSubstr("--vector: expected a binary vector "
                                           "of 2 bytes (16 bits: integers 0 "
                                           "to 255), got 256 at index 1")));
  EXPECT_THAT(ParseVectors("[1, 2, 3]", VectorOf(DataType::kBinaryVector, 16),
                           "--vector", &req),
              StatusIs(kInvalid, HasSubstr("got 3 numbers")));

  req = SearchRequest();
  ASSERT_THAT(
      ParseVectors(R"([{"7": 0.5, "2": 1}, {"indices": [3],
                             "values": [2.5]}])",
                   VectorOf(DataType::kSparseFloatVector, 0), "--vector", &req),
      IsOk());
  ASSERT_EQ(req.sparse_vectors.size(), 2u);
  EXPECT_THAT(req.sparse_vectors[0].indices, ElementsAre(2, 7));  // ordered
  EXPECT_THAT(req.sparse_vectors[0].values, ElementsAre(1, 0.5));
  EXPECT_THAT(req.sparse_vectors[1].indices, ElementsAre(3));
  EXPECT_EQ(req.dim, 0u);
  const FieldSchema sparse = VectorOf(DataType::kSparseFloatVector, 0);
  EXPECT_THAT(ParseVectors(R"({"x": 1})", sparse, "--vector", &req),
              StatusIs(kInvalid, HasSubstr("got the index 'x'")));
  EXPECT_THAT(ParseVectors(R"({"4294967295": 1})", sparse, "--vector", &req),
              StatusIs(kInvalid, HasSubstr("the index 4294967295 (expected 0 "
                                           "to 4294967294)")));
  EXPECT_THAT(ParseVectors(R"({"indices": [1, 1], "values": [1, 2]})", sparse,
                           "--vector", &req),
              StatusIs(kInvalid, HasSubstr("got the index 1 twice")));
  EXPECT_THAT(ParseVectors(R"({"1": "a"})", sparse, "--vector", &req),
              StatusIs(kInvalid, HasSubstr("as the weight of index 1")));

  req = SearchRequest();
  const FieldSchema half = VectorOf(DataType::kFloat16Vector, 2);
  ASSERT_THAT(ParseVectors("[0.1, -2]", half, "--vector", &req), IsOk());
  ASSERT_EQ(req.vector_values.size(), 1u);
  EXPECT_THAT(req.vector_values[0].AsFloat16Vector(),
              ElementsAre(0x2e66, 0xc000));  // numpy's float16 bits
  EXPECT_THAT(ParseVectors("[1, 70000]", half, "--vector", &req),
              StatusIs(kInvalid, HasSubstr("within +-65504 (the range of "
                                           "FLOAT16), got 70000 at index 1")));
  req = SearchRequest();
  const FieldSchema bf16 = VectorOf(DataType::kBFloat16Vector, 2);
  std::istringstream npy(Npy(Dict("<f4", false, "(1, 2)"), Floats({1, 70000})));
  ASSERT_THAT(ReadVectorFile(npy, "q.npy", bf16, &req), IsOk());
  EXPECT_THAT(req.vector_values[0].AsBFloat16Vector(),
              ElementsAre(0x3f80, 0x4789));
  std::istringstream npy_binary(
      Npy(Dict("<f4", false, "(1, 2)"), Floats({1, 2})));
  EXPECT_THAT(ReadVectorFile(npy_binary, "q.npy",
                             VectorOf(DataType::kBinaryVector, 16), &req),
              StatusIs(kInvalid, HasSubstr("q.npy: a .npy file holds float32 "
                                           "vectors; field 'v' is "
                                           "BINARY_VECTOR")));
}

}  // namespace
}  // namespace cove::cli
