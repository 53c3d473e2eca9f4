// One flipped byte in each kind of on-disk file of the embedded store (the
// snapshot's header and body, which holds the sealed segments and their
// HNSW index bytes; the write-ahead log's header, frame headers and records),
// with and without encryption: reopening is DataLoss naming the file (and the
// offset for the log), or, for a byte nothing reads, the exact data; never a
// crash, never silently wrong rows. A flip in the log's last record is
// indistinguishable from a torn write and drops that record (documented).
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reliability/process.h"
#include "reliability/rows.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

namespace fs = std::filesystem;
using ::cove::testing::IsOk;
using ::cove::testing::ReadWholeFile;
using ::cove::testing::ScratchDir;
using ::testing::HasSubstr;

constexpr char kCollection[] = "flip_docs";
constexpr size_t kWalHeader = 32;
constexpr size_t kFrameHeader = 12;
constexpr size_t kSnapshotHeader = 40;

uint32_t U32At(const std::string& data, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, data.data() + at, 4);
  return v;
}

struct Fixture {
  std::string pristine;  // a copy of the store taken while it was open
  std::string snapshot_name, wal_name;
  std::map<int64_t, int64_t> want;       // every row
  std::map<int64_t, int64_t> want_torn;  // without the last log record
  std::vector<size_t> frames;            // offsets of the log's frames
};

ClientOptions Options(bool encrypted) {
  ClientOptions options;
  options.embedded.segment_seal_rows = 64;  // sealed segments with indexes
  if (encrypted) options.embedded.encryption_key = std::string(64, 'e');
  return options;
}

// Writes a store: 320 rows checkpointed (five sealed segments, their HNSW
// indexes built), then 5 log records of 10 rows; copies its files while it
// is open (closing would fold the log into a new snapshot).
void MakeStore(const std::string& root, bool encrypted, Fixture* f) {
  const std::string dir = root + "/live";
  f->pristine = root + "/pristine";
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, Options(encrypted)));
  ASSERT_OK(client.CreateCollection(kCollection,
                                    cove::testing::ReliabilitySchema(),
                                    {cove::testing::ReliabilityIndex()}));
  int64_t id = 0;
  for (int b = 0; b < 8; ++b) {
    std::vector<Row> rows;
    for (int i = 0; i < 40; ++i, ++id) {
      rows.push_back(cove::testing::MakeRow(id, 0));
      f->want[id] = 0;
    }
    ASSERT_OK(client.Insert(kCollection, rows).status());
  }
  ASSERT_OK(client.Flush(kCollection));  // waits for the index builds
  for (int b = 0; b < 5; ++b) {
    f->want_torn = f->want;
    std::vector<Row> rows;
    for (int i = 0; i < 10; ++i, ++id) {
      rows.push_back(cove::testing::MakeRow(id, 1));
      f->want[id] = 1;
    }
    ASSERT_OK(client.Insert(kCollection, rows).status());
  }
  fs::create_directories(f->pristine);
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("snapshot-", 0) == 0) f->snapshot_name = name;
    if (name.rfind("wal-", 0) == 0) f->wal_name = name;
    fs::copy_file(e.path(), f->pristine + "/" + name);
  }
  ASSERT_FALSE(f->snapshot_name.empty());
  ASSERT_FALSE(f->wal_name.empty());
  const std::string wal = ReadWholeFile(f->pristine + "/" + f->wal_name);
  for (size_t pos = kWalHeader; pos + kFrameHeader <= wal.size();
       pos += kFrameHeader + U32At(wal, pos)) {
    f->frames.push_back(pos);
  }
  ASSERT_EQ(f->frames.size(), 5u);
}

struct Outcome {
  int data_loss = 0, precondition = 0, intact = 0, torn = 0;
};

// Copies the pristine store, flips the byte at `offset` of `file`, reopens
// and checks the result. `torn_ok`: the flip is in the last log record.
void FlipAndOpen(const Fixture& f, const std::string& root, bool encrypted,
                 const std::string& file, size_t offset, bool torn_ok,
                 bool must_fail, Outcome* outcome) {
  SCOPED_TRACE(absl::StrCat(file, " offset ", offset));
  const std::string dir = root + "/work";
  fs::remove_all(dir);
  fs::copy(f.pristine, dir);
  const std::string path = dir + "/" + file;
  std::string data = ReadWholeFile(path);
  ASSERT_LT(offset, data.size());
  data[offset] ^= 0x5a;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;

  auto client = Client::Open(dir, Options(encrypted));
  if (!client.ok()) {
    const absl::Status& s = client.status();
    EXPECT_THAT(std::string(s.message()), HasSubstr(path)) << s;
    if (s.code() == absl::StatusCode::kDataLoss) {
      ++outcome->data_loss;
    } else {
      // Only the header's encryption flag and key id can read as "another
      // key" or "(not) encrypted".
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
      EXPECT_THAT(std::string(s.message()), HasSubstr("encrypt")) << s;
      ++outcome->precondition;
    }
    return;
  }
  EXPECT_FALSE(must_fail) << "a flipped byte went unnoticed";
  ASSERT_OK_AND_ASSIGN(auto present,
                       cove::testing::ReadAll(*client, kCollection));
  if (present == f.want) {
    ++outcome->intact;  // a byte that nothing reads
  } else {
    EXPECT_TRUE(torn_ok && present == f.want_torn)
        << "silently wrong data: " << present.size() << " rows";
    ++outcome->torn;
  }
}

class FlippedByteTest : public ::testing::TestWithParam<bool> {};

TEST_P(FlippedByteTest, EveryFileKindIsDataLossNamingTheFile) {
  const bool encrypted = GetParam();
  ScratchDir scratch;
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(MakeStore(scratch.path(), encrypted, &f));
  const std::string snapshot =
      ReadWholeFile(f.pristine + "/" + f.snapshot_name);
  const std::string wal = ReadWholeFile(f.pristine + "/" + f.wal_name);

  Outcome snap, log_header, log_body, log_last;
  // Snapshot: every header byte, and 32 offsets spread over the body (the
  // segments' columns and the index bytes).
  for (size_t i = 0; i < kSnapshotHeader; ++i) {
    FlipAndOpen(f, scratch.path(), encrypted, f.snapshot_name, i, false, false,
                &snap);
  }
  const size_t body = snapshot.size() - kSnapshotHeader;
  for (size_t k = 0; k < 32; ++k) {
    FlipAndOpen(f, scratch.path(), encrypted, f.snapshot_name,
                kSnapshotHeader + body * k / 32 + 3, false, true, &snap);
  }
  // Log: every file-header byte; the first frames' headers and payloads
  // (records before the tail).
  for (size_t i = 0; i < kWalHeader; ++i) {
    FlipAndOpen(f, scratch.path(), encrypted, f.wal_name, i, false, false,
                &log_header);
  }
  for (size_t fr = 0; fr + 1 < f.frames.size(); ++fr) {
    const size_t start = f.frames[fr];
    const size_t length = U32At(wal, start);
    for (size_t i : {size_t{0}, size_t{3}, size_t{5}, size_t{9}, kFrameHeader,
                     kFrameHeader + length / 2, kFrameHeader + length - 1}) {
      FlipAndOpen(f, scratch.path(), encrypted, f.wal_name, start + i, false,
                  true, &log_body);
    }
  }
  // The last record: a torn write as far as the reader can tell.
  const size_t last = f.frames.back();
  FlipAndOpen(f, scratch.path(), encrypted, f.wal_name,
              last + kFrameHeader + U32At(wal, last) / 2, true, false,
              &log_last);

  auto show = [](const char* what, const Outcome& o) {
    std::printf(
        "[ flip ] %-18s DataLoss %2d  FailedPrecondition %2d  "
        "intact %2d  torn tail dropped %d\n",
        what, o.data_loss, o.precondition, o.intact, o.torn);
  };
  std::printf("[ flip ] %s store, snapshot %zu bytes, log %zu bytes\n",
              encrypted ? "encrypted" : "plaintext", snapshot.size(),
              wal.size());
  show("snapshot", snap);
  show("log header", log_header);
  show("log records", log_body);
  show("log last record", log_last);
  EXPECT_GE(snap.data_loss, 32 + 4);   // body, length, crc at least
  EXPECT_GE(log_header.data_loss, 8);  // the magic at least
  EXPECT_EQ(log_body.data_loss, 4 * 7);
  EXPECT_EQ(log_last.torn, 1);
}

INSTANTIATE_TEST_SUITE_P(PlainAndEncrypted, FlippedByteTest,
                         ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Encrypted" : "Plaintext";
                         });

}  // namespace
}  // namespace cove
