// Sparse vectors: checks, input forms, byte encoding, scoring.
#include "engine/sparse/sparse.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace cove::engine::sparse {

absl::Status Check(const SparseVector& v, const std::string& where) {
  if (v.indices.size() != v.values.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": sparse vector has ", v.indices.size(), " indices and ",
        v.values.size(), " values (expected as many)"));
  }
  for (size_t i = 0; i < v.indices.size(); ++i) {
    if (v.indices[i] >= kMaxIndex) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": sparse index ", v.indices[i],
                       " out of range (expected below 4294967295)"));
    }
    if (i > 0 && v.indices[i] <= v.indices[i - 1]) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": sparse indices must be strictly increasing (got ",
          v.indices[i - 1], " then ", v.indices[i], ")"));
    }
    if (!std::isfinite(v.values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": sparse value at index ", v.indices[i],
                       " is not a finite number"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SparseVector> FromPairs(
    std::vector<std::pair<uint64_t, double>> pairs, const std::string& where) {
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  SparseVector out;
  out.indices.reserve(pairs.size());
  out.values.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (pairs[i].first >= kMaxIndex) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": sparse index ", pairs[i].first,
                       " out of range (expected below 4294967295)"));
    }
    if (i > 0 && pairs[i].first == pairs[i - 1].first) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": sparse index ", pairs[i].first, " given twice"));
    }
    out.indices.push_back(static_cast<uint32_t>(pairs[i].first));
    out.values.push_back(static_cast<float>(pairs[i].second));
  }
  COVE_RETURN_IF_ERROR(Check(out, where));
  return out;
}

namespace {

absl::StatusOr<uint64_t> IndexOf(const Value& v, const std::string& where) {
  if (v.is_int() && v.AsInt() >= 0) return static_cast<uint64_t>(v.AsInt());
  if (v.is_double() && v.AsDouble() >= 0 &&
      v.AsDouble() == std::floor(v.AsDouble()) && v.AsDouble() < 4.3e9) {
    return static_cast<uint64_t>(v.AsDouble());
  }
  if (v.is_string()) {
    uint64_t n = 0;
    if (absl::SimpleAtoi(internal::Sv(v.AsString()), &n)) return n;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": sparse index must be a non-negative integer (got ",
                   v.ToJson().substr(0, 40), ")"));
}

absl::StatusOr<double> NumberOf(const Value& v, const std::string& where) {
  if (v.is_number()) return v.AsDouble();
  double d = 0;
  if (v.is_string() && absl::SimpleAtod(internal::Sv(v.AsString()), &d)) {
    return d;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": sparse value must be a number (got ",
                   v.ToJson().substr(0, 40), ")"));
}

}  // namespace

absl::StatusOr<SparseVector> FromValue(const Value& v,
                                       const std::string& where) {
  if (v.is_sparse_vector()) {
    COVE_RETURN_IF_ERROR(Check(v.AsSparseVector(), where));
    return v.AsSparseVector();
  }
  std::vector<std::pair<uint64_t, double>> pairs;
  if (v.is_object()) {
    const Value* indices = v.Find("indices");
    const Value* values = v.Find("values");
    if (indices != nullptr && values != nullptr && v.AsObject().size() == 2 &&
        indices->is_array() && values->is_array()) {
      if (indices->AsArray().size() != values->AsArray().size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": sparse vector has ", indices->AsArray().size(),
            " indices and ", values->AsArray().size(),
            " values (expected as many)"));
      }
      for (size_t i = 0; i < indices->AsArray().size(); ++i) {
        COVE_ASSIGN_OR_RETURN(uint64_t index,
                              IndexOf(indices->AsArray()[i], where));
        COVE_ASSIGN_OR_RETURN(double value,
                              NumberOf(values->AsArray()[i], where));
        pairs.emplace_back(index, value);
      }
      return FromPairs(std::move(pairs), where);
    }
    for (const auto& [key, value] : v.AsObject()) {
      COVE_ASSIGN_OR_RETURN(uint64_t index, IndexOf(Value(key), where));
      COVE_ASSIGN_OR_RETURN(double number, NumberOf(value, where));
      pairs.emplace_back(index, number);
    }
    return FromPairs(std::move(pairs), where);
  }
  if (v.is_array()) {
    for (const Value& pair : v.AsArray()) {
      if (!pair.is_array() || pair.AsArray().size() != 2) {
        return absl::InvalidArgumentError(absl::StrCat(
            where,
            ": a sparse vector as a list must hold [index, value] pairs (got ",
            pair.ToJson().substr(0, 40), ")"));
      }
      COVE_ASSIGN_OR_RETURN(uint64_t index, IndexOf(pair.AsArray()[0], where));
      COVE_ASSIGN_OR_RETURN(double value, NumberOf(pair.AsArray()[1], where));
      pairs.emplace_back(index, value);
    }
    return FromPairs(std::move(pairs), where);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      where,
      ": expected SPARSE_FLOAT_VECTOR (a dict of index to value, a list of "
      "[index, value] pairs, or a CSR row; got ",
      Value::KindName(v.kind()), ")"));
}

absl::StatusOr<std::vector<SparseVector>> FromCsr(
    const std::vector<int64_t>& indptr, const std::vector<int64_t>& indices,
    const std::vector<double>& values, const std::string& where) {
  if (indptr.empty() || indptr.front() != 0 ||
      indices.size() != values.size() ||
      static_cast<size_t>(indptr.back()) != indices.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where,
        ": CSR matrix: indptr must start at 0 and end at the number of "
        "entries, with as many indices as values"));
  }
  std::vector<SparseVector> rows;
  for (size_t r = 0; r + 1 < indptr.size(); ++r) {
    if (indptr[r + 1] < indptr[r]) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": CSR matrix: indptr must not decrease"));
    }
    std::vector<std::pair<uint64_t, double>> pairs;
    for (int64_t i = indptr[r]; i < indptr[r + 1]; ++i) {
      if (indices[i] < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": sparse index must be non-negative (got ",
                         indices[i], ")"));
      }
      pairs.emplace_back(static_cast<uint64_t>(indices[i]), values[i]);
    }
    COVE_ASSIGN_OR_RETURN(
        SparseVector row,
        FromPairs(std::move(pairs), absl::StrCat(where, " row ", r)));
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<std::vector<SparseVector>> FromCoo(
    size_t rows, const std::vector<int64_t>& row,
    const std::vector<int64_t>& col, const std::vector<double>& values,
    const std::string& where) {
  if (row.size() != col.size() || row.size() != values.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": COO matrix: row, col and data must be of one length"));
  }
  std::vector<std::vector<std::pair<uint64_t, double>>> pairs(rows);
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] < 0 || static_cast<size_t>(row[i]) >= rows || col[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": COO matrix: entry ", i, " at (", row[i], ", ",
                       col[i], ") is outside ", rows, " rows"));
    }
    pairs[row[i]].emplace_back(static_cast<uint64_t>(col[i]), values[i]);
  }
  std::vector<SparseVector> out;
  for (size_t r = 0; r < rows; ++r) {
    COVE_ASSIGN_OR_RETURN(
        SparseVector v,
        FromPairs(std::move(pairs[r]), absl::StrCat(where, " row ", r)));
    out.push_back(std::move(v));
  }
  return out;
}

std::string ToBytes(const SparseVector& v) {
  std::string out(v.indices.size() * 8, '\0');
  for (size_t i = 0; i < v.indices.size(); ++i) {
    std::memcpy(&out[8 * i], &v.indices[i], 4);
    std::memcpy(&out[8 * i + 4], &v.values[i], 4);
  }
  return out;
}

absl::StatusOr<SparseVector> FromBytes(std::string_view bytes,
                                       const std::string& where) {
  if (bytes.size() % 8 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": a sparse row is (uint32 index, float32 value) pairs (got ",
        bytes.size(), " bytes, not a multiple of 8)"));
  }
  SparseVector v;
  const size_t n = bytes.size() / 8;
  v.indices.resize(n);
  v.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(&v.indices[i], bytes.data() + 8 * i, 4);
    std::memcpy(&v.values[i], bytes.data() + 8 * i + 4, 4);
  }
  COVE_RETURN_IF_ERROR(Check(v, where));
  return v;
}

uint64_t Dim(const SparseVector& v) {
  return v.indices.empty() ? 0 : uint64_t{v.indices.back()} + 1;
}

float Dot(const SparseVector& a, const SparseVector& b) {
  float sum = 0;
  size_t i = 0, j = 0;
  while (i < a.indices.size() && j < b.indices.size()) {
    if (a.indices[i] < b.indices[j]) {
      ++i;
    } else if (a.indices[i] > b.indices[j]) {
      ++j;
    } else {
      sum += a.values[i++] * b.values[j++];
    }
  }
  return sum;
}

SparseVector DropSmallest(const SparseVector& v, double ratio) {
  const size_t n = v.indices.size();
  const size_t drop = static_cast<size_t>(std::floor(ratio * n));
  if (drop == 0) return v;
  std::vector<float> mags(n);
  for (size_t i = 0; i < n; ++i) mags[i] = std::fabs(v.values[i]);
  std::nth_element(mags.begin(), mags.begin() + drop, mags.end());
  const float cut = mags[drop];  // keep entries >= cut ...
  size_t below = 0;              // ... dropping those below it first
  for (size_t i = 0; i < n; ++i) below += std::fabs(v.values[i]) < cut;
  size_t ties_to_drop = drop - below;
  SparseVector out;
  for (size_t i = 0; i < n; ++i) {
    const float m = std::fabs(v.values[i]);
    if (m < cut) continue;
    if (m == cut && ties_to_drop > 0) {
      --ties_to_drop;
      continue;
    }
    out.indices.push_back(v.indices[i]);
    out.values.push_back(v.values[i]);
  }
  return out;
}

}  // namespace cove::engine::sparse
