// MakeIndex() and LoadIndex(): the one place that maps an IndexType to its
// implementation, and serialized bytes back to an index.
//
// Framing (see index_io.h): HNSW, HNSW_SQ, IVF_FLAT and IVF_SQ8 write a
// 24-byte header (magic "CVIX", version, type tag, payload length, payload
// checksum) in front of their payload; LoadIndex() verifies it and hands the
// payload to the type's loader. FLAT bytes are handed to FlatIndex::Load()
// whole (whatever their framing), so the exact index owns its format.
// Whatever goes wrong while loading is reported as DataLoss.
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/flat_index.h"
#include "engine/hnsw_index.h"
#include "engine/index_io.h"
#include "engine/ivf_index.h"
#include "engine/vector_index.h"

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

bool HasIndexMagic(std::string_view bytes) {
  return bytes.size() >= sizeof(cove::internal::kIndexMagic) &&
         bytes.substr(0, sizeof(cove::internal::kIndexMagic)) ==
             std::string_view(cove::internal::kIndexMagic,
                              sizeof(cove::internal::kIndexMagic));
}

}  // namespace

absl::StatusOr<std::unique_ptr<VectorIndex>> MakeIndex(
    const IndexParams& params) {
  switch (params.type) {
    case IndexType::kFlat:
      if (params.dim == 0) {
        return absl::InvalidArgumentError("dim: must be > 0 (got 0)");
      }
      if (params.metric != Metric::kL2 && params.metric != Metric::kIP &&
          params.metric != Metric::kCosine) {
        return absl::InvalidArgumentError("metric: unknown metric");
      }
      return std::unique_ptr<VectorIndex>(
          std::make_unique<FlatIndex>(params));
    case IndexType::kHnsw:
    case IndexType::kHnswSq:
      if (absl::Status s = HnswIndex::ValidateParams(params); !s.ok()) {
        return s;
      }
      return std::unique_ptr<VectorIndex>(
          std::make_unique<HnswIndex>(params));
    case IndexType::kIvfFlat:
    case IndexType::kIvfSq8:
      if (absl::Status s = IvfIndex::ValidateParams(params); !s.ok()) {
        return s;
      }
      return std::unique_ptr<VectorIndex>(std::make_unique<IvfIndex>(params));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "type: unknown index type ", static_cast<int>(params.type)));
}

absl::StatusOr<std::unique_ptr<VectorIndex>> LoadIndex(
    std::string_view bytes) {
  if (HasIndexMagic(bytes) && bytes.size() > 5 &&
      static_cast<uint8_t>(bytes[5]) ==
          static_cast<uint8_t>(IndexType::kFlat)) {
    return AsDataLoss(FlatIndex::Load(bytes));
  }
  if (!HasIndexMagic(bytes)) {
    // Not ours: the exact index may use a framing of its own.
    absl::StatusOr<std::unique_ptr<FlatIndex>> flat = FlatIndex::Load(bytes);
    if (flat.ok()) return std::unique_ptr<VectorIndex>(std::move(*flat));
    return absl::DataLossError(
        absl::StrCat("index bytes: unknown format (no \"CVIX\" magic, and not "
                     "a FLAT index: ",
                     flat.status().message(), ")"));
  }
  absl::StatusOr<cove::internal::IndexHeader> header =
      cove::internal::ParseIndexHeader(bytes);
  if (!header.ok()) return header.status();
  switch (header->type) {
    case IndexType::kHnsw:
    case IndexType::kHnswSq:
      return AsDataLoss(HnswIndex::Load(header->type, header->payload));
    case IndexType::kIvfFlat:
    case IndexType::kIvfSq8:
      return AsDataLoss(IvfIndex::Load(header->type, header->payload));
    case IndexType::kFlat:
      break;
  }
  return absl::DataLossError("index bytes: unexpected type tag");
}

}  // namespace cove::engine
