// Authenticated encryption at rest: AES-256-GCM through OpenSSL.
//
// A sealed message is: 12-byte random nonce | ciphertext | 16-byte tag.
// Random 96-bit nonces keep the collision probability negligible for the
// number of messages one key protects here (far below 2^32).
#ifndef COVE_SRC_COMMON_CIPHER_H_
#define COVE_SRC_COMMON_CIPHER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cove::internal {

class Cipher {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  static constexpr size_t kOverhead = kNonceSize + kTagSize;

  /// A cipher for a 32-byte key given raw or as 64 hex digits.
  /// InvalidArgument otherwise (the message never contains the key).
  static absl::StatusOr<Cipher> FromKey(std::string_view key);
  /// Reads the key from a file (raw 32 bytes, or 64 hex digits with optional
  /// surrounding whitespace).
  static absl::StatusOr<Cipher> FromKeyFile(const std::string& path);
  /// Reads the key from an environment variable (64 hex digits or 32 bytes).
  static absl::StatusOr<Cipher> FromEnv(const std::string& variable);

  /// Encrypts `plaintext`, authenticating `aad` too.
  absl::StatusOr<std::string> Seal(std::string_view plaintext,
                                   std::string_view aad = {}) const;
  /// Decrypts a sealed message. DataLoss when the tag does not verify (a
  /// wrong key or corrupted bytes): never returns unauthenticated data.
  absl::StatusOr<std::string> Open(std::string_view sealed,
                                   std::string_view aad = {}) const;

  /// A short, non-secret fingerprint of the key (to detect a wrong key
  /// before reading data): the first 8 bytes of HMAC-SHA256(key,
  /// "cove-key-id"), hex.
  std::string KeyId() const;

 private:
  explicit Cipher(const std::array<uint8_t, kKeySize>& key) : key_(key) {}
  std::array<uint8_t, kKeySize> key_;
};

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_CIPHER_H_
