#include "engine/indexes/scalar_index.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "engine/expr/eval.h"

namespace cove::engine {
namespace {

using expr::Datum;
using expr::Order;

int OrderToInt(Order o) {
  return o == Order::kLess ? -1 : (o == Order::kGreater ? 1 : 0);
}

}  // namespace

std::shared_ptr<const ScalarIndex> ScalarIndex::Build(
    const std::vector<Value>& column, size_t rows, DataType type, Layout layout,
    DataType element_type) {
  if (rows > column.size() || rows >= (size_t{1} << 32)) return nullptr;
  std::shared_ptr<ScalarIndex> index(new ScalarIndex());
  index->rows_ = rows;
  index->layout_ = layout;
  index->nulls_ = Bitset(rows);
  index->nans_ = Bitset(rows);
  index->is_array_ = type == DataType::kArray;
  switch (index->is_array_ ? element_type : type) {
    case DataType::kBool:
      index->kind_ = KeyKind::kBool;
      break;
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
      index->kind_ = KeyKind::kInt;
      break;
    case DataType::kFloat:
    case DataType::kDouble:
      index->kind_ = KeyKind::kDouble;
      break;
    case DataType::kVarChar:
      index->kind_ = KeyKind::kString;
      break;
    default:
      return nullptr;
  }
  // (value, row) entries: a row's value, or each element of its array.
  struct Entry {
    const Value* v;
    uint32_t row;
  };
  std::vector<Entry> entries;
  entries.reserve(rows);
  // False when `v` is not of the field's kind (the filter then scans).
  auto add = [&](const Value& v, uint32_t r) {
    bool ok = false;
    switch (index->kind_) {
      case KeyKind::kBool:
        ok = v.is_bool();
        break;
      case KeyKind::kInt:
        ok = v.is_int();
        break;
      case KeyKind::kDouble:
        ok = v.is_double();
        if (ok && std::isnan(v.AsDouble())) {
          index->nans_.Set(r);  // equal to nothing
          return true;
        }
        break;
      case KeyKind::kString:
        ok = v.is_string();
        break;
    }
    if (ok) entries.push_back({&v, r});
    return ok;
  };
  for (size_t r = 0; r < rows; ++r) {
    const Value& v = column[r];
    if (v.is_null()) {
      index->nulls_.Set(r);
      continue;
    }
    if (!index->is_array_) {
      if (!add(v, static_cast<uint32_t>(r))) return nullptr;
      continue;
    }
    if (!v.is_array()) return nullptr;
    for (const Value& e : v.AsArray()) {
      if (!add(e, static_cast<uint32_t>(r))) return nullptr;
    }
  }
  auto less_value = [&](const Value& x, const Value& y) {
    switch (index->kind_) {
      case KeyKind::kBool:
        return x.AsBool() < y.AsBool();
      case KeyKind::kInt:
        return x.AsInt() < y.AsInt();
      case KeyKind::kDouble:
        return x.AsDouble() < y.AsDouble();
      case KeyKind::kString:
        return x.AsString() < y.AsString();
    }
    return false;
  };
  // Ordered by (value, row); an array holding a value twice gives its row
  // once.
  std::stable_sort(
      entries.begin(), entries.end(),
      [&](const Entry& a, const Entry& b) { return less_value(*a.v, *b.v); });
  std::vector<uint32_t> order;
  std::vector<uint32_t> starts;
  order.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const bool new_value =
        i == 0 || less_value(*entries[i - 1].v, *entries[i].v);
    if (!new_value && entries[i - 1].row == entries[i].row) continue;
    if (new_value) {
      starts.push_back(static_cast<uint32_t>(order.size()));
      const Value& v = *entries[i].v;
      switch (index->kind_) {
        case KeyKind::kBool:
          index->ints_.push_back(v.AsBool() ? 1 : 0);
          break;
        case KeyKind::kInt:
          index->ints_.push_back(v.AsInt());
          break;
        case KeyKind::kDouble:
          // -0.0 and 0.0 are one value (they compare equal).
          index->doubles_.push_back(v.AsDouble());
          break;
        case KeyKind::kString:
          index->strings_.push_back(v.AsString());
          break;
      }
    }
    order.push_back(entries[i].row);
  }
  entries = std::vector<Entry>();
  index->keys_ = starts.size();
  starts.push_back(static_cast<uint32_t>(order.size()));
  if (layout == Layout::kBitmap) {
    // A bitmap per value that holds at least 1/32 of the rows (smaller than
    // its list of rows); rarer values keep the list, so that a column of
    // many distinct values costs no more than a sorted index.
    index->bitmap_of_.assign(index->keys_, -1);
    for (size_t k = 0; k < index->keys_; ++k) {
      if ((starts[k + 1] - starts[k]) * size_t{32} < rows) continue;
      Bitset b(rows);
      for (uint32_t i = starts[k]; i < starts[k + 1]; ++i) b.Set(order[i]);
      index->bitmap_of_[k] = static_cast<int32_t>(index->bitmaps_.size());
      index->bitmaps_.push_back(std::move(b));
    }
  }
  index->offsets_ = std::move(starts);
  index->rows_of_ = std::move(order);
  return index;
}

size_t ScalarIndex::MemoryBytes() const {
  size_t bytes = sizeof(*this) + ints_.capacity() * sizeof(int64_t) +
                 doubles_.capacity() * sizeof(double) +
                 offsets_.capacity() * sizeof(uint32_t) +
                 rows_of_.capacity() * sizeof(uint32_t) +
                 bitmap_of_.capacity() * sizeof(int32_t) +
                 nulls_.words().capacity() * sizeof(uint64_t) +
                 nans_.words().capacity() * sizeof(uint64_t);
  for (const std::string& s : strings_) bytes += sizeof(s) + s.capacity();
  for (const Bitset& b : bitmaps_) {
    bytes += sizeof(b) + b.words().capacity() * sizeof(uint64_t);
  }
  return bytes;
}

bool ScalarIndex::Comparable(const Value& c) const {
  switch (kind_) {
    case KeyKind::kBool:
      return c.is_bool();
    case KeyKind::kInt:
    case KeyKind::kDouble:
      return c.is_int() || (c.is_double() && !std::isnan(c.AsDouble()));
    case KeyKind::kString:
      return c.is_string();
  }
  return false;
}

int ScalarIndex::CompareKey(size_t i, const Value& c, bool* comparable) const {
  Datum key;
  switch (kind_) {
    case KeyKind::kBool:
      key = Datum::Bool(ints_[i] != 0);
      break;
    case KeyKind::kInt:
      key = Datum::Int(ints_[i]);
      break;
    case KeyKind::kDouble:
      key = Datum::Double(doubles_[i]);
      break;
    case KeyKind::kString:
      key.kind = Datum::Kind::kString;
      key.s = &strings_[i];
      break;
  }
  const Order o = expr::CompareDatums(key, expr::FromValue(c));
  *comparable = o != Order::kUnordered;
  return OrderToInt(o);
}

// The first value that is >= c (inclusive) or > c (exclusive).
size_t ScalarIndex::LowerBound(const Value& c, bool inclusive) const {
  size_t lo = 0, hi = keys_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    bool ok = true;
    const int cmp = CompareKey(mid, c, &ok);
    if (inclusive ? cmp < 0 : cmp <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// One past the last value that is <= c (inclusive) or < c (exclusive).
size_t ScalarIndex::UpperBound(const Value& c, bool inclusive) const {
  return LowerBound(c, !inclusive);
}

void ScalarIndex::AddRun(size_t begin, size_t end, Bitset* out) const {
  if (begin >= end) return;
  if (!bitmaps_.empty()) {
    for (size_t k = begin; k < end; ++k) {
      if (bitmap_of_[k] >= 0) {
        out->Or(bitmaps_[static_cast<size_t>(bitmap_of_[k])]);
      } else {
        for (uint32_t i = offsets_[k]; i < offsets_[k + 1]; ++i) {
          out->Set(rows_of_[i]);
        }
      }
    }
    return;
  }
  for (uint32_t i = offsets_[begin]; i < offsets_[end]; ++i) {
    out->Set(rows_of_[i]);
  }
}

void ScalarIndex::AddEqual(const Value& c, Bitset* out) const {
  if (!Comparable(c)) return;
  AddRun(LowerBound(c, true), UpperBound(c, true), out);
}

bool ScalarIndex::Answer(const expr::IndexQuery& q, Bitset* true_rows) const {
  using Kind = expr::IndexQuery::Kind;
  const bool contains =
      q.kind == Kind::kContainsAny || q.kind == Kind::kContainsAll;
  if (contains != is_array_) return false;  // not a question for this index
  *true_rows = Bitset(rows_);
  switch (q.kind) {
    case Kind::kContainsAny:
      for (const Value& v : q.values) AddEqual(v, true_rows);
      return true;
    case Kind::kContainsAll: {
      // Every present row, then each value's rows in turn (a null value is
      // never an element).
      Bitset all(rows_, true);
      all.AndNot(nulls_);
      for (const Value& v : q.values) {
        Bitset rows_of_value(rows_);
        AddEqual(v, &rows_of_value);
        all.And(rows_of_value);
      }
      *true_rows = std::move(all);
      return true;
    }
    case Kind::kCompare: {
      if (q.op == expr::CompareOp::kEq || q.op == expr::CompareOp::kNe) {
        AddEqual(q.value, true_rows);
        if (q.op == expr::CompareOp::kNe) {
          // Every present value that is not equal: NaN rows included.
          Bitset ne(rows_, true);
          ne.AndNot(*true_rows);
          ne.AndNot(nulls_);
          *true_rows = std::move(ne);
        }
        return true;
      }
      if (!Comparable(q.value)) return true;  // unordered: FALSE everywhere
      size_t begin = 0, end = keys_;
      switch (q.op) {
        case expr::CompareOp::kLt:
          end = UpperBound(q.value, false);
          break;
        case expr::CompareOp::kLe:
          end = UpperBound(q.value, true);
          break;
        case expr::CompareOp::kGt:
          begin = LowerBound(q.value, false);
          break;
        case expr::CompareOp::kGe:
          begin = LowerBound(q.value, true);
          break;
        default:
          break;
      }
      AddRun(begin, end, true_rows);
      return true;
    }
    case Kind::kIn: {
      for (const Value& v : q.values) AddEqual(v, true_rows);
      if (q.negated) {
        Bitset out(rows_, true);
        out.AndNot(*true_rows);
        out.AndNot(nulls_);
        *true_rows = std::move(out);
      }
      return true;
    }
    case Kind::kRange: {
      size_t begin = 0, end = keys_;
      if (q.lo.has_value()) {
        if (!Comparable(*q.lo)) return true;
        begin = LowerBound(*q.lo, q.lo_inclusive);
      }
      if (q.hi.has_value()) {
        if (!Comparable(*q.hi)) return true;
        end = UpperBound(*q.hi, q.hi_inclusive);
      }
      AddRun(begin, end, true_rows);
      return true;
    }
    case Kind::kPrefix: {
      if (kind_ != KeyKind::kString || !q.value.is_string()) return false;
      const std::string& p = q.value.AsString();
      const size_t begin = static_cast<size_t>(
          std::lower_bound(strings_.begin(), strings_.end(), p) -
          strings_.begin());
      size_t end = begin;
      while (end < keys_ && strings_[end].compare(0, p.size(), p) == 0) ++end;
      AddRun(begin, end, true_rows);
      return true;
    }
    case Kind::kIsNull: {
      if (q.negated) {
        Bitset out(rows_, true);
        out.AndNot(nulls_);
        *true_rows = std::move(out);
      } else {
        *true_rows = nulls_;
      }
      return true;
    }
  }
  return false;
}

}  // namespace cove::engine
