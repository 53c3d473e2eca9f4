// MakeIndex() and LoadIndex(): the one place that maps an IndexType to its
// implementation, and serialized bytes back to an index.
//
// Framing (see index_io.h): every index writes a 24-byte header (magic
// "CVIX", version, type tag, payload length, payload checksum) in front of its
// payload; LoadIndex() verifies it and hands the payload to the loader of the
// type named by the tag. Whatever goes wrong while loading is DataLoss.
#include <algorithm>
#include <memory>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/indexes/bin_index.h"
#include "engine/indexes/diskann_index.h"
#include "engine/indexes/flat_index.h"
#include "engine/indexes/hnsw_index.h"
#include "engine/indexes/index_io.h"
#include "engine/indexes/ivf_index.h"
#include "engine/indexes/ivf_pq.h"
#include "engine/indexes/vector_index.h"

namespace cove::engine {
namespace {

// Loaders report DataLoss for corrupt bytes; anything else they return is
// turned into DataLoss too, as the caller only needs to know the bytes are bad.
template <typename T>
absl::StatusOr<std::unique_ptr<VectorIndex>> AsDataLoss(
    absl::StatusOr<std::unique_ptr<T>> loaded) {
  if (!loaded.ok()) {
    if (loaded.status().code() == absl::StatusCode::kDataLoss) {
      return loaded.status();
    }
    return absl::DataLossError(
        absl::StrCat("index bytes: ", loaded.status().message()));
  }
  return std::unique_ptr<VectorIndex>(std::move(*loaded));
}

}  // namespace

int BuildThreadCount(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

absl::StatusOr<std::unique_ptr<VectorIndex>> MakeIndex(
    const IndexParams& params) {
  switch (params.type) {
    case IndexType::kFlat:
      COVE_RETURN_IF_ERROR(FlatIndex::ValidateParams(params));
      return std::unique_ptr<VectorIndex>(std::make_unique<FlatIndex>(params));
    case IndexType::kHnsw:
    case IndexType::kHnswSq:
      COVE_RETURN_IF_ERROR(HnswIndex::ValidateParams(params));
      return std::unique_ptr<VectorIndex>(std::make_unique<HnswIndex>(params));
    case IndexType::kIvfFlat:
    case IndexType::kIvfSq8:
      COVE_RETURN_IF_ERROR(IvfIndex::ValidateParams(params));
      return std::unique_ptr<VectorIndex>(std::make_unique<IvfIndex>(params));
    case IndexType::kIvfPq:
    case IndexType::kScann:
      COVE_RETURN_IF_ERROR(IvfPqIndex::ValidateParams(params));
      return std::unique_ptr<VectorIndex>(std::make_unique<IvfPqIndex>(params));
    case IndexType::kDiskAnn:
      COVE_RETURN_IF_ERROR(DiskAnnIndex::ValidateParams(params));
      return std::unique_ptr<VectorIndex>(
          std::make_unique<DiskAnnIndex>(params));
    case IndexType::kBinIvfFlat:
      COVE_RETURN_IF_ERROR(BinIvfIndex::ValidateParams(params));
      return std::unique_ptr<VectorIndex>(
          std::make_unique<BinIvfIndex>(params));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("type: unknown index type ", static_cast<int>(params.type)));
}

absl::StatusOr<std::unique_ptr<VectorIndex>> LoadIndex(std::string_view bytes) {
  COVE_ASSIGN_OR_RETURN(cove::internal::IndexHeader header,
                        cove::internal::ParseIndexHeader(bytes));
  switch (header.type) {
    case IndexType::kHnsw:
    case IndexType::kHnswSq:
      return AsDataLoss(HnswIndex::Load(header.type, header.payload));
    case IndexType::kIvfFlat:
    case IndexType::kIvfSq8:
      return AsDataLoss(IvfIndex::Load(header.type, header.payload));
    case IndexType::kFlat:
      return AsDataLoss(FlatIndex::Load(header.payload));
    case IndexType::kIvfPq:
    case IndexType::kScann:
      return AsDataLoss(IvfPqIndex::Load(header.type, header.payload));
    case IndexType::kDiskAnn:
      return AsDataLoss(DiskAnnIndex::Load(header.payload));
    case IndexType::kBinIvfFlat:
      return AsDataLoss(BinIvfIndex::Load(header.payload));
  }
  return absl::DataLossError("index bytes: unexpected type tag");
}

}  // namespace cove::engine
