// Fuzz target: the readers of saved vector indexes (engine/index_io.h
// header, and the FLAT, HNSW, HNSW_SQ, IVF_FLAT and IVF_SQ8 payload parsers
// behind LoadIndex), which load sealed segments' indexes from snapshots.
//
// Input, first byte:
//   even: the rest is the saved index as is (header and checksum checks);
//   odd:  the rest gets its header's length and checksum fixed up first,
//         so the payload parsers see arbitrary payloads.
// A loaded index must answer searches (plain, filtered by an allow-list,
// range) without crashing or returning rows it does not have, and save
// again to bytes that load again.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/bitset.h"
#include "engine/indexes/index_io.h"
#include "engine/indexes/vector_index.h"
#include "fuzz/fuzz_util.h"

namespace {

using cove::engine::IndexSearchParams;
using cove::engine::Neighbor;
using cove::engine::VectorIndex;

void CheckResults(const std::vector<Neighbor>& hits, const VectorIndex& index,
                  size_t k) {
  if (hits.size() > k) {
    cove::fuzz::Fail("search", absl::InternalError("more than k results"));
  }
  for (const Neighbor& n : hits) {
    if (n.row >= index.size()) {
      cove::fuzz::Fail("search", absl::InternalError("row out of range"));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1u << 18)) return -1;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0 && bytes.size() >= cove::internal::kIndexHeaderSize) {
    cove::internal::FinishIndexHeader(0, &bytes);
  }
  auto index = cove::engine::LoadIndex(bytes);
  if (!index.ok()) {
    if (index.status().message().empty())
      cove::fuzz::Fail("load", index.status());
    return 0;
  }
  const VectorIndex& ix = **index;
  const size_t dim = ix.params().dim;
  if (dim == 0 || dim > 65536) {
    cove::fuzz::Fail("load", absl::InternalError("accepted a bad dimension"));
  }
  std::vector<float> query(dim, 0.25f);
  if (dim > 1) query[1] = -1.0f;
  IndexSearchParams p;
  p.k = 5;
  CheckResults(ix.Search(query.data(), p), ix, p.k);
  cove::engine::Bitset allowed(ix.size());
  for (size_t i = 0; i < ix.size(); i += 2) allowed.Set(i);
  p.allowed = &allowed;
  p.ef = 3;
  p.nprobe = 1000;
  CheckResults(ix.Search(query.data(), p), ix, p.k);
  p.allowed = nullptr;
  p.radius = 10.0f;
  p.range_filter = 0.0f;
  CheckResults(ix.Search(query.data(), p), ix, p.k);
  (void)ix.MemoryBytes();
  std::string saved;
  if (absl::Status s = ix.Save(&saved); !s.ok()) cove::fuzz::Fail("save", s);
  auto again = cove::engine::LoadIndex(saved);
  if (!again.ok()) cove::fuzz::Fail("load what was saved", again.status());
  if ((*again)->size() != ix.size()) {
    cove::fuzz::Fail("load what was saved",
                     absl::InternalError("size changed"));
  }
  return 0;
}
