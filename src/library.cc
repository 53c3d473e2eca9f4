// Anchor translation unit of libcove.so; the code comes from the internal
// static libraries linked in whole.
namespace cove::internal {
int LibraryAnchor() { return 0; }
}  // namespace cove::internal
