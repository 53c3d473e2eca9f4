// Tests of the write-ahead log, CRC32C and the AES-256-GCM cipher.
#include "engine/storage/wal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/cipher.h"
#include "common/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace wal_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "cove_wal_XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  return tmpl;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

std::vector<std::string> ReadAll(const std::string& path,
                                 const internal::Cipher* cipher,
                                 WalReadResult* result = nullptr) {
  std::vector<std::string> records;
  auto r = ReadWal(path, cipher, [&](std::string_view rec) {
    records.emplace_back(rec);
    return absl::OkStatus();
  });
  EXPECT_THAT(r, IsOk());
  if (r.ok() && result != nullptr) *result = *r;
  return records;
}

TEST(Crc32cTest, KnownVectorsAndPathsAgree) {
  // RFC 3720 test vector: 32 bytes of zeros.
  EXPECT_EQ(internal::Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(internal::Crc32c("123456789"), 0xE3069283u);
  std::mt19937 rng(3);
  for (size_t n : {0, 1, 7, 8, 9, 63, 64, 1000}) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    EXPECT_EQ(internal::Crc32cExtend(0, s.data(), s.size()),
              internal::Crc32cExtendPortable(0, s.data(), s.size()))
        << n;
  }
}

TEST(CipherTest, RoundTripAndWrongKey) {
  ASSERT_OK_AND_ASSIGN(auto a, internal::Cipher::FromKey(std::string(64, 'a')));
  ASSERT_OK_AND_ASSIGN(auto b, internal::Cipher::FromKey(std::string(32, 'b')));
  ASSERT_OK_AND_ASSIGN(std::string sealed, a.Seal("secret vector", "aad"));
  EXPECT_EQ(sealed.find("secret"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(std::string plain, a.Open(sealed, "aad"));
  EXPECT_EQ(plain, "secret vector");
  EXPECT_THAT(b.Open(sealed, "aad"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(a.Open(sealed, "other"), StatusIs(absl::StatusCode::kDataLoss));
  sealed[15] ^= 1;
  EXPECT_THAT(a.Open(sealed, "aad"), StatusIs(absl::StatusCode::kDataLoss));
  // Two seals of one message differ (fresh nonces).
  EXPECT_NE(*a.Seal("x"), *a.Seal("x"));
  EXPECT_NE(a.KeyId(), b.KeyId());
  EXPECT_THAT(internal::Cipher::FromKey("short"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected 32 raw bytes or 64 hex digits")));
}

TEST(WalTest, AppendAndReadBack) {
  const std::string path = TempDir() + "/wal-0.log";
  ASSERT_OK_AND_ASSIGN(auto w, WalWriter::Create(path, nullptr, true));
  for (int i = 0; i < 100; ++i)
    ASSERT_OK(w->Append("record " + std::to_string(i)));
  WalReadResult result;
  auto records = ReadAll(path, nullptr, &result);
  ASSERT_EQ(records.size(), 100u);
  EXPECT_EQ(records[42], "record 42");
  EXPECT_EQ(result.torn_bytes, 0u);
  EXPECT_EQ(result.valid_size, w->size());
}

TEST(WalTest, TornTailIsDroppedAndReported) {
  const std::string path = TempDir() + "/wal-0.log";
  {
    ASSERT_OK_AND_ASSIGN(auto w, WalWriter::Create(path, nullptr, false));
    ASSERT_OK(w->Append("first"));
    ASSERT_OK(w->Append("second record that gets cut"));
  }
  std::string data = ReadFile(path);
  for (size_t cut = 1; cut < kWalFrameHeaderSize + 27; ++cut) {
    WriteFile(path, data.substr(0, data.size() - cut));
    WalReadResult result;
    auto records = ReadAll(path, nullptr, &result);
    ASSERT_EQ(records.size(), 1u) << cut;
    EXPECT_EQ(records[0], "first");
    EXPECT_GT(result.torn_bytes, 0u);
  }
  // A zero-filled tail (a crash after the file grew) is torn, not corrupt.
  WriteFile(path, data + std::string(100, '\0'));
  EXPECT_EQ(ReadAll(path, nullptr).size(), 2u);
}

// Found by tests/fuzz/wal_fuzzer: a log whose header was torn (a crash
// while creating it) is recovered as empty; appending to it must write the
// header again, or every record acknowledged afterwards is lost on the next
// open ("not a Cove log").
TEST(WalTest, TornHeaderIsRewrittenBeforeAppending) {
  const std::string path = TempDir() + "/wal-0.log";
  for (size_t keep : {size_t{0}, size_t{5}, kWalHeaderSize - 1}) {
    { ASSERT_OK_AND_ASSIGN(auto w, WalWriter::Create(path, nullptr, false)); }
    WriteFile(path, ReadFile(path).substr(0, keep));
    WalReadResult result;
    EXPECT_TRUE(ReadAll(path, nullptr, &result).empty());
    EXPECT_EQ(result.torn_bytes, keep);
    {
      ASSERT_OK_AND_ASSIGN(
          auto w,
          WalWriter::OpenForAppend(path, result.valid_size, nullptr, false));
      ASSERT_OK(w->Append("acknowledged"));
    }
    EXPECT_THAT(ReadAll(path, nullptr), ::testing::ElementsAre("acknowledged"))
        << keep;
    ASSERT_EQ(::unlink(path.c_str()), 0);
  }
}

TEST(WalTest, CorruptionBeforeTheTailIsDataLoss) {
  const std::string path = TempDir() + "/wal-0.log";
  {
    ASSERT_OK_AND_ASSIGN(auto w, WalWriter::Create(path, nullptr, false));
    ASSERT_OK(w->Append("aaaaaaaaaaaaaaaa"));
    ASSERT_OK(w->Append("bbbbbbbbbbbbbbbb"));
    ASSERT_OK(w->Append("cccccccccccccccc"));
  }
  std::string data = ReadFile(path);
  std::string payload_flip = data;
  payload_flip[kWalHeaderSize + kWalFrameHeaderSize + 3] ^= 0x40;
  WriteFile(path, payload_flip);
  auto noop = [](std::string_view) { return absl::OkStatus(); };
  EXPECT_THAT(
      ReadWal(path, nullptr, noop),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("checksum mismatch in the record at offset 32")));
  std::string header_flip = data;
  header_flip[kWalHeaderSize + 1] ^= 0x01;
  WriteFile(path, header_flip);
  EXPECT_THAT(ReadWal(path, nullptr, noop),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("corrupt frame header at offset 32")));
  WriteFile(path, "NOTALOG" + data.substr(7));
  EXPECT_THAT(ReadWal(path, nullptr, noop),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("bad magic")));
}

TEST(WalTest, EncryptedLogHidesPlaintextAndChecksTheKey) {
  const std::string path = TempDir() + "/wal-0.log";
  ASSERT_OK_AND_ASSIGN(auto key,
                       internal::Cipher::FromKey(std::string(32, 'k')));
  ASSERT_OK_AND_ASSIGN(auto other,
                       internal::Cipher::FromKey(std::string(32, 'o')));
  {
    ASSERT_OK_AND_ASSIGN(auto w, WalWriter::Create(path, &key, true));
    ASSERT_OK(w->Append("MARKER-PLAINTEXT-1234"));
  }
  EXPECT_EQ(ReadFile(path).find("MARKER-PLAINTEXT"), std::string::npos);
  auto records = ReadAll(path, &key);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], "MARKER-PLAINTEXT-1234");
  auto noop = [](std::string_view) { return absl::OkStatus(); };
  EXPECT_THAT(
      ReadWal(path, &other, noop),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("wrong key")));
  EXPECT_THAT(
      ReadWal(path, nullptr, noop),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("encrypted")));
}

TEST(WalTest, FileSizeLimitGivesResourceExhaustedAndKeepsTheLogReadable) {
  const std::string path = TempDir() + "/wal-0.log";
  ASSERT_OK_AND_ASSIGN(auto w, WalWriter::Create(path, nullptr, false));
  ASSERT_OK(w->Append("kept"));
  // Writing past RLIMIT_FSIZE fails with EFBIG (SIGXFSZ is ignored here).
  struct rlimit old_limit;
  getrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = old_limit;
  limit.rlim_cur = static_cast<rlim_t>(w->size() + 64);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  absl::Status s = w->Append(std::string(1000, 'x'));
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, SIG_DFL);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_OK(w->Append("after"));
  auto records = ReadAll(path, nullptr);
  EXPECT_EQ(records, (std::vector<std::string>{"kept", "after"}));
}

}  // namespace wal_test
}  // namespace
}  // namespace cove::engine
