// The on-disk framing of serialized vector indexes, and the little-endian
// byte writer/reader the indexes use for their payloads.
//
// Every VectorIndex::Save() output starts with a fixed 24-byte header:
//
//   offset  size  field
//   0       4     magic "CVIX"
//   4       1     format version (kIndexFormatVersion)
//   5       1     index type tag (IndexType as a byte)
//   6       2     reserved, zero
//   8       8     payload length in bytes (little endian)
//   16      8     checksum of the payload (IndexChecksum)
//   24      ...   payload, specific to the index type
//
// LoadIndex() checks the header and the checksum before any payload is parsed,
// so a flipped bit or a truncated file is reported as DataLoss; the payload
// parsers still validate every count and offset, so that input which passes
// the checksum but is inconsistent cannot crash the process either.
#ifndef COVE_SRC_ENGINE_INDEXES_INDEX_IO_H_
#define COVE_SRC_ENGINE_INDEXES_INDEX_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/indexes/vector_index.h"

namespace cove::internal {

inline constexpr char kIndexMagic[4] = {'C', 'V', 'I', 'X'};
inline constexpr uint8_t kIndexFormatVersion = 1;
inline constexpr size_t kIndexHeaderSize = 24;

/// A fast 64-bit checksum (word-wise multiply/rotate mixing) of `n` bytes.
/// Not cryptographic: it detects corruption, not tampering.
inline uint64_t IndexChecksum(const char* p, size_t n) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  uint64_t h = 0xCBF29CE484222325ULL ^ (n * kMul);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, n - i);
  h = (h ^ tail) * kMul;
  h ^= h >> 32;
  return h;
}

/// Appends fixed-size little-endian values and arrays to a string. (Not
/// named ByteWriter: common/bytes.h has a different class of that name in
/// this namespace, and two definitions of one class are an ODR violation
/// that the linker resolves by picking one's out-of-line member functions
/// for both; tests compiled at -O0 crashed on it.)
class IndexWriter {
 public:
  explicit IndexWriter(std::string* out) : out_(out) {}

  template <typename T>
  void Put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    out_->append(buf, sizeof(T));
  }
  /// Writes n elements, without a length prefix.
  template <typename T>
  void PutArray(const T* p, size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (n > 0) out_->append(reinterpret_cast<const char*>(p), n * sizeof(T));
  }
  /// Writes a u64 element count, then the elements.
  template <typename T>
  void PutVector(const std::vector<T>& v) {
    Put<uint64_t>(v.size());
    PutArray(v.data(), v.size());
  }

 private:
  std::string* out_;
};

/// Reads what IndexWriter wrote. Every read is bounds-checked: after the first
/// failed read, ok() is false and all further reads fail.
class IndexReader {
 public:
  explicit IndexReader(std::string_view bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  template <typename T>
  bool Get(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!ok_ || remaining() < sizeof(T)) return ok_ = false;
    std::memcpy(v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  template <typename T>
  bool GetArray(T* p, size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!ok_ || n > remaining() / sizeof(T)) return ok_ = false;
    if (n > 0) std::memcpy(p, bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return true;
  }
  /// Reads a vector written by PutVector; fails when the stored count is
  /// larger than `max_count` or than what is left of the input.
  template <typename T>
  bool GetVector(std::vector<T>* v, uint64_t max_count = UINT64_MAX) {
    uint64_t n = 0;
    if (!Get(&n)) return false;
    if (n > max_count || n > remaining() / sizeof(T)) return ok_ = false;
    v->resize(static_cast<size_t>(n));
    return GetArray(v->data(), v->size());
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

/// Writes rows 0..n-1 (`row(id)`, `dim` floats each), each multiplied by
/// scale[id] when `scale` is set: the vectors the index saw, for re-ranking
/// after a load. With `half`, the rows are 16-bit values packed two per
/// slot, scaled value by value and rounded back to their type.
template <typename Writer, typename RowFn>
void PutScaledRows(Writer* w, size_t n, size_t dim, const float* scale,
                   RowFn row, std::optional<engine::HalfType> half = {}) {
  std::vector<float> scaled(dim);
  for (size_t r = 0; r < n; ++r) {
    const uint32_t id = static_cast<uint32_t>(r);
    const float* x = row(id);
    if (scale != nullptr && half.has_value()) {
      const auto* h = reinterpret_cast<const uint16_t*>(x);
      auto* o = reinterpret_cast<uint16_t*>(scaled.data());
      for (size_t t = 0; t < 2 * dim; ++t) {
        o[t] = engine::FloatToHalf(
            *half, engine::HalfToFloat(*half, h[t]) * scale[id]);
      }
      x = scaled.data();
    } else if (scale != nullptr) {
      for (size_t t = 0; t < dim; ++t) scaled[t] = x[t] * scale[id];
      x = scaled.data();
    }
    w->PutArray(x, dim);
  }
}

/// Appends the header for a payload of type `type` (the payload itself
/// follows, written by the caller); FinishIndexHeader() fills in its length
/// and checksum once the payload is complete. `header_pos` is the offset of
/// the header in *out.
inline size_t BeginIndexHeader(engine::IndexType type, std::string* out) {
  size_t pos = out->size();
  out->append(kIndexMagic, 4);
  out->push_back(static_cast<char>(kIndexFormatVersion));
  out->push_back(static_cast<char>(type));
  out->append(kIndexHeaderSize - 6, '\0');
  return pos;
}

inline void FinishIndexHeader(size_t header_pos, std::string* out) {
  size_t payload_pos = header_pos + kIndexHeaderSize;
  uint64_t len = out->size() - payload_pos;
  uint64_t sum = IndexChecksum(out->data() + payload_pos, len);
  std::memcpy(&(*out)[header_pos + 8], &len, 8);
  std::memcpy(&(*out)[header_pos + 16], &sum, 8);
}

/// A parsed header and a view of its (checksum-verified) payload.
struct IndexHeader {
  engine::IndexType type;
  std::string_view payload;
};

/// Checks magic, version, type tag, length and checksum. DataLoss otherwise.
inline absl::StatusOr<IndexHeader> ParseIndexHeader(std::string_view bytes) {
  if (bytes.size() < kIndexHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("index bytes: truncated header (expected at least ",
                     kIndexHeaderSize, " bytes, got ", bytes.size(), ")"));
  }
  if (std::memcmp(bytes.data(), kIndexMagic, 4) != 0) {
    return absl::DataLossError("index bytes: bad magic (expected \"CVIX\")");
  }
  uint8_t version = static_cast<uint8_t>(bytes[4]);
  if (version != kIndexFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("index bytes: unsupported format version (expected ",
                     kIndexFormatVersion, ", got ", version, ")"));
  }
  uint8_t tag = static_cast<uint8_t>(bytes[5]);
  if (tag > static_cast<uint8_t>(engine::kLastIndexType)) {
    return absl::DataLossError(
        absl::StrCat("index bytes: unknown index type tag ", tag));
  }
  uint64_t len = 0;
  uint64_t sum = 0;
  std::memcpy(&len, bytes.data() + 8, 8);
  std::memcpy(&sum, bytes.data() + 16, 8);
  if (len != bytes.size() - kIndexHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("index bytes: payload length mismatch (expected ", len,
                     " bytes, got ", bytes.size() - kIndexHeaderSize, ")"));
  }
  std::string_view payload = bytes.substr(kIndexHeaderSize);
  if (IndexChecksum(payload.data(), payload.size()) != sum) {
    return absl::DataLossError("index bytes: checksum mismatch");
  }
  return IndexHeader{static_cast<engine::IndexType>(tag), payload};
}

}  // namespace cove::internal

#endif  // COVE_SRC_ENGINE_INDEXES_INDEX_IO_H_
