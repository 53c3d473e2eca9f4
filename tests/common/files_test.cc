// Tests of internal::ReadFile (common/files.h).
#include "common/files.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::internal {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/files_test_" + std::to_string(::getpid()) +
         "_" + name;
}

TEST(ReadFileTest, ReadsEveryByte) {
  const std::string path = TempPath("bytes");
  const std::string data("a\0b\nc\xff", 6);
  {
    std::ofstream out(path, std::ios::binary);
    out << data;
  }
  auto got = ReadFile("ca_cert_file", path);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, data);
  std::remove(path.c_str());
}

TEST(ReadFileTest, EmptyFileIsEmpty) {
  const std::string path = TempPath("empty");
  { std::ofstream out(path, std::ios::binary); }
  auto got = ReadFile("clusters file", path);
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->empty());
  std::remove(path.c_str());
}

TEST(ReadFileTest, MissingFileNamesWhatAndPath) {
  const std::string path = TempPath("missing");
  EXPECT_THAT(
      ReadFile("tls_key_file", path),
      StatusIs(absl::StatusCode::kNotFound,
               AllOf(HasSubstr("tls_key_file: cannot read file '" + path + "'"),
                     HasSubstr("No such file"))));
  // The caller picks the code (a backup's missing file is data loss).
  EXPECT_THAT(ReadFile("backup file", path, absl::StatusCode::kDataLoss),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
}

}  // namespace
}  // namespace cove::internal
