// Password hashing for the users of a Cove server: PBKDF2-HMAC-SHA256 with a
// random 16-byte salt (OpenSSL), compared in constant time. Only the salted
// hash is ever stored.
#ifndef COVE_SRC_AUTH_PASSWORD_H_
#define COVE_SRC_AUTH_PASSWORD_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cove::auth {

/// Default PBKDF2-HMAC-SHA256 iteration count: 600,000, the OWASP 2023
/// recommendation for this PRF. Servers verify a password once per user and
/// then keep a keyed in-memory tag (see AuthStore), so the cost is paid on
/// the first call of a session, on CreateCredential and on password changes.
inline constexpr int kDefaultPbkdf2Iterations = 600000;

/// A stored password: salt, iteration count and the 32-byte derived key.
struct PasswordHash {
  std::string salt;
  int iterations = 0;
  std::string hash;
};

/// Hashes `password` with a fresh random salt. Internal when OpenSSL fails;
/// InvalidArgument for iterations < 1.
absl::StatusOr<PasswordHash> HashPassword(std::string_view password,
                                          int iterations);

/// True when `password` matches; the comparison takes constant time.
bool VerifyPassword(std::string_view password, const PasswordHash& stored);

/// Constant-time equality of two byte strings (length is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// `n` cryptographically random bytes. Internal when OpenSSL fails.
absl::StatusOr<std::string> RandomBytes(size_t n);

/// HMAC-SHA256(key, data).
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace cove::auth

#endif  // COVE_SRC_AUTH_PASSWORD_H_
