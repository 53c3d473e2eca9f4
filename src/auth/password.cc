// PBKDF2-HMAC-SHA256 password hashing with OpenSSL.
#include "auth/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cove::auth {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

bool Derive(std::string_view password, const std::string& salt, int iterations,
            std::string* out) {
  out->assign(kHashBytes, '\0');
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                           reinterpret_cast<const unsigned char*>(salt.data()),
                           static_cast<int>(salt.size()), iterations,
                           EVP_sha256(), static_cast<int>(kHashBytes),
                           reinterpret_cast<unsigned char*>(out->data())) == 1;
}

}  // namespace

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    return absl::InternalError("random bytes: OpenSSL RAND_bytes failed");
  }
  return out;
}

absl::StatusOr<PasswordHash> HashPassword(std::string_view password,
                                          int iterations) {
  if (iterations < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pbkdf2 iterations: expected at least 1 (got ", iterations, ")"));
  }
  PasswordHash out;
  COVE_ASSIGN_OR_RETURN(out.salt, RandomBytes(kSaltBytes));
  out.iterations = iterations;
  if (!Derive(password, out.salt, iterations, &out.hash)) {
    return absl::InternalError("password hash: OpenSSL PBKDF2 failed");
  }
  return out;
}

bool VerifyPassword(std::string_view password, const PasswordHash& stored) {
  std::string derived;
  if (!Derive(password, stored.salt, stored.iterations, &derived)) {
    return false;
  }
  return ConstantTimeEquals(derived, stored.hash);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace cove::auth
