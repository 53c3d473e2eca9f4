// Binary encoding of cove::Value trees.
#include "common/bytes.h"

namespace cove::internal {

void ByteWriter::Val(const Value& v) {
  U8(static_cast<uint8_t>(v.kind()));
  switch (v.kind()) {
    case Value::Kind::kNull:
      break;
    case Value::Kind::kBool:
      U8(v.AsBool() ? 1 : 0);
      break;
    case Value::Kind::kInt:
      I64(v.AsInt());
      break;
    case Value::Kind::kDouble:
      F64(v.AsDouble());
      break;
    case Value::Kind::kString:
      Str(v.AsString());
      break;
    case Value::Kind::kArray:
      Varint(v.AsArray().size());
      for (const Value& item : v.AsArray()) Val(item);
      break;
    case Value::Kind::kObject:
      Varint(v.AsObject().size());
      for (const auto& [k, item] : v.AsObject()) {
        Str(k);
        Val(item);
      }
      break;
    case Value::Kind::kFloatVector:
      Floats(v.AsFloatVector().data(), v.AsFloatVector().size());
      break;
    case Value::Kind::kFloat16Vector:
    case Value::Kind::kBFloat16Vector: {
      const std::vector<uint16_t>& h =
          v.is_float16_vector() ? v.AsFloat16Vector() : v.AsBFloat16Vector();
      Varint(h.size());
      Raw(h.data(), h.size() * sizeof(uint16_t));
      break;
    }
    case Value::Kind::kBinaryVector:
      Varint(v.AsBinaryVector().size());
      Raw(v.AsBinaryVector().data(), v.AsBinaryVector().size());
      break;
    case Value::Kind::kSparseVector: {
      const SparseVector& s = v.AsSparseVector();
      Varint(s.indices.size());
      Raw(s.indices.data(), s.indices.size() * sizeof(uint32_t));
      Raw(s.values.data(), s.values.size() * sizeof(float));
      break;
    }
  }
}

bool ByteReader::Val(Value* v, int depth) {
  if (depth > 128) return false;
  uint8_t kind = 0;
  if (!U8(&kind)) return false;
  switch (static_cast<Value::Kind>(kind)) {
    case Value::Kind::kNull:
      *v = Value();
      return true;
    case Value::Kind::kBool: {
      uint8_t b = 0;
      if (!U8(&b) || b > 1) return false;
      *v = Value(b == 1);
      return true;
    }
    case Value::Kind::kInt: {
      int64_t i = 0;
      if (!I64(&i)) return false;
      *v = Value(i);
      return true;
    }
    case Value::Kind::kDouble: {
      double d = 0;
      if (!F64(&d)) return false;
      *v = Value(d);
      return true;
    }
    case Value::Kind::kString: {
      std::string s;
      if (!Str(&s)) return false;
      *v = Value(std::move(s));
      return true;
    }
    case Value::Kind::kArray: {
      uint64_t n = 0;
      if (!Varint(&n) || n > in_.size() - pos_) return false;
      Value::Array items(n);
      for (auto& item : items) {
        if (!Val(&item, depth + 1)) return false;
      }
      *v = Value(std::move(items));
      return true;
    }
    case Value::Kind::kObject: {
      uint64_t n = 0;
      if (!Varint(&n) || n > in_.size() - pos_) return false;
      Value::Object members;
      for (uint64_t i = 0; i < n; ++i) {
        std::string key;
        Value item;
        if (!Str(&key) || !Val(&item, depth + 1)) return false;
        members.emplace(std::move(key), std::move(item));
      }
      *v = Value(std::move(members));
      return true;
    }
    case Value::Kind::kFloatVector: {
      std::vector<float> f;
      if (!Floats(&f)) return false;
      *v = Value::FloatVector(std::move(f));
      return true;
    }
    case Value::Kind::kFloat16Vector:
    case Value::Kind::kBFloat16Vector: {
      uint64_t n = 0;
      if (!Varint(&n) || n > (in_.size() - pos_) / sizeof(uint16_t)) {
        return false;
      }
      std::vector<uint16_t> h(n);
      if (!Raw(h.data(), n * sizeof(uint16_t))) return false;
      *v = static_cast<Value::Kind>(kind) == Value::Kind::kFloat16Vector
               ? Value::Float16Vector(std::move(h))
               : Value::BFloat16Vector(std::move(h));
      return true;
    }
    case Value::Kind::kBinaryVector: {
      uint64_t n = 0;
      if (!Varint(&n) || n > in_.size() - pos_) return false;
      std::vector<uint8_t> b(n);
      if (!Raw(b.data(), n)) return false;
      *v = Value::BinaryVector(std::move(b));
      return true;
    }
    case Value::Kind::kSparseVector: {
      uint64_t n = 0;
      if (!Varint(&n) || n > (in_.size() - pos_) / 8) return false;
      SparseVector s;
      s.indices.resize(n);
      s.values.resize(n);
      if (!Raw(s.indices.data(), n * sizeof(uint32_t)) ||
          !Raw(s.values.data(), n * sizeof(float))) {
        return false;
      }
      *v = Value::Sparse(std::move(s));
      return true;
    }
  }
  return false;
}

}  // namespace cove::internal
