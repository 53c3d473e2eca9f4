// An allocator for the large arrays that graph walks touch at random (HNSW
// blocks and vectors): allocations of 4 MiB and more are aligned to 2 MiB and
// marked MADV_HUGEPAGE, so that with transparent huge pages in "madvise"
// mode (the Debian default) one TLB entry covers 2 MiB instead of 4 KiB.
// Random hops over a few hundred MB otherwise miss the TLB on nearly every
// access. Smaller allocations are aligned to a cache line.
#ifndef COVE_SRC_ENGINE_STORAGE_HUGE_PAGE_ALLOCATOR_H_
#define COVE_SRC_ENGINE_STORAGE_HUGE_PAGE_ALLOCATOR_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace cove::engine {

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T) - kHugePage) {
      throw std::bad_alloc();
    }
    const size_t bytes = n * sizeof(T);
    const size_t align = bytes >= 2 * kHugePage ? kHugePage : 64;
    const size_t rounded = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded);
    if (p == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
    if (align == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);  // a hint
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const HugePageAllocator<U>&) const {
    return false;
  }
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_STORAGE_HUGE_PAGE_ALLOCATOR_H_
