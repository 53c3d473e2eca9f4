// Row-major float32 vectors held once and shared: a segment's vector column
// and the indexes built on it read the same FloatRows, in the heap or in a
// memory-mapped file.
//
// A FloatRows is either a heap buffer (written while a growing segment or a
// compaction output is filled, immutable once published) or a read-only
// mapping of an unlinked file (Spill()): the kernel pages the rows in on
// access and may evict them at will, so they cost page cache, not heap.
#ifndef COVE_SRC_ENGINE_STORAGE_FLOAT_ROWS_H_
#define COVE_SRC_ENGINE_STORAGE_FLOAT_ROWS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/storage/huge_page_allocator.h"

namespace cove::engine {

/// HugePageAllocator without the value-initialization of vector::resize:
/// FloatRows zeroes the rows that must start as zeros itself.
template <typename T>
struct RowsAllocator : HugePageAllocator<T> {
  template <typename U>
  struct rebind {
    using other = RowsAllocator<U>;
  };
  RowsAllocator() = default;
  template <typename U>
  RowsAllocator(const RowsAllocator<U>&) {}  // NOLINT
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// `capacity` rows of `dim` floats, row-major.
///
/// Thread safety: const methods may run concurrently; writes through
/// mutable_data() must not overlap reads of the same rows (segments only
/// append past what readers see).
class FloatRows {
 public:
  /// Zero-filled heap rows.
  FloatRows(size_t capacity, size_t dim);
  /// Heap rows whose values are left as the allocator gives them: for a
  /// growing segment's larger storage, whose rows are all written (copied
  /// or inserted) before any reader sees them. Saves writing zeros over
  /// memory that is about to be overwritten.
  static std::shared_ptr<FloatRows> Uninitialized(size_t capacity, size_t dim);
  ~FloatRows();

  FloatRows(const FloatRows&) = delete;
  FloatRows& operator=(const FloatRows&) = delete;

  /// A heap copy of n rows.
  static std::shared_ptr<FloatRows> Copy(const float* data, size_t n,
                                         size_t dim);

  /// Writes n rows to a new file in directory `dir` that has no name (an
  /// O_TMPFILE, or a file unlinked right after it is created, so that
  /// nothing is left behind by a crash) and maps it read-only with
  /// MADV_RANDOM. The errno of a failed create/write/map, as the most
  /// specific status (NotFound, PermissionDenied, ResourceExhausted for a
  /// full disk, Internal otherwise), naming the directory.
  static absl::StatusOr<std::shared_ptr<FloatRows>> Spill(
      const float* data, size_t n, size_t dim, const std::string& dir);

  const float* data() const { return data_; }
  const float* row(size_t i) const { return data_ + i * dim_; }
  /// The heap buffer, for filling rows; null when mapped.
  float* mutable_data() { return mapped_bytes_ == 0 ? heap_.data() : nullptr; }
  size_t capacity() const { return capacity_; }
  size_t dim() const { return dim_; }
  bool mapped() const { return mapped_bytes_ > 0; }
  /// Heap bytes held (0 when mapped).
  size_t heap_bytes() const { return heap_.capacity() * sizeof(float); }
  /// Bytes of the mapped file (0 in the heap).
  size_t mapped_bytes() const { return mapped_bytes_; }

 private:
  FloatRows() = default;

  size_t capacity_ = 0;
  size_t dim_ = 0;
  std::vector<float, RowsAllocator<float>> heap_;
  const float* data_ = nullptr;
  size_t mapped_bytes_ = 0;
};

/// Float32 vectors an index reads without owning a copy: a sealed
/// segment's column. `owner` keeps `data` (and `scale`) alive and unchanged
/// for as long as the index holds it.
struct ExternalVectors {
  std::shared_ptr<const void> owner;
  const float* data = nullptr;
  size_t n = 0;
  size_t dim = 0;
  /// Optional per-row factor: the index's vector of row i is
  /// data[i] * scale[i] (COSINE over raw vectors passes 1/|x|, so the index
  /// sees unit vectors). Null: the rows as they are.
  const float* scale = nullptr;
  /// The rows live in a mapped file (memory accounting only).
  bool mapped = false;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_STORAGE_FLOAT_ROWS_H_
