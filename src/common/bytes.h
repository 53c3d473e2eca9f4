// A small binary encoder/decoder (little-endian fixed ints, varints,
// length-prefixed strings, cove::Value trees) for the write-ahead log and
// snapshots. Decoding never reads past the end: every getter reports
// failure instead.
#ifndef COVE_SRC_COMMON_BYTES_H_
#define COVE_SRC_COMMON_BYTES_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cove/value.h"

namespace cove::internal {

class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void I64(int64_t v) { Raw(&v, 8); }
  void F64(double v) { Raw(&v, 8); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Str(std::string_view s) {
    Varint(s.size());
    out_.append(s.data(), s.size());
  }
  void Floats(const float* data, size_t n) {
    Varint(n);
    Raw(data, n * sizeof(float));
  }
  void Raw(const void* data, size_t n) {
    out_.append(static_cast<const char*>(data), n);
  }
  /// Encodes a Value tree.
  void Val(const Value& v);

  std::string& bytes() { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool U8(uint8_t* v) { return Raw(v, 1); }
  bool U32(uint32_t* v) { return Raw(v, 4); }
  bool U64(uint64_t* v) { return Raw(v, 8); }
  bool I64(int64_t* v) { return Raw(v, 8); }
  bool F64(double* v) { return Raw(v, 8); }
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (pos_ >= in_.size()) return false;
      uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Str(std::string* s) {
    uint64_t n = 0;
    if (!Varint(&n) || n > in_.size() - pos_) return false;
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Floats(std::vector<float>* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > (in_.size() - pos_) / sizeof(float)) return false;
    out->resize(n);
    return Raw(out->data(), n * sizeof(float));
  }
  bool Raw(void* out, size_t n) {
    if (n > in_.size() - pos_) return false;
    if (n == 0) return true;  // `out` may be null (an empty vector's data())
    std::memcpy(out, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  /// Decodes a Value tree (nesting limited to 128 levels).
  bool Val(Value* v, int depth = 0);

  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_BYTES_H_
