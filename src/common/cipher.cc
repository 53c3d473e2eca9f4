// AES-256-GCM with OpenSSL's EVP interface.
#include "common/cipher.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cove::internal {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

absl::StatusOr<Cipher> Cipher::FromKey(std::string_view key) {
  std::array<uint8_t, kKeySize> bytes{};
  if (key.size() == 2 * kKeySize && IsHex(key)) {
    std::string raw =
        absl::HexStringToBytes(absl::string_view(key.data(), key.size()));
    std::copy(raw.begin(), raw.end(), bytes.begin());
  } else if (key.size() == kKeySize) {
    std::copy(key.begin(), key.end(), bytes.begin());
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "encryption key: expected 32 raw bytes or 64 hex digits (got ",
        key.size(), " bytes)"));
  }
  return Cipher(bytes);
}

absl::StatusOr<Cipher> Cipher::FromKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("encryption key file '", path, "': cannot open it"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string content = buffer.str();
  std::string_view trimmed = Trim(content);
  if (trimmed.size() == 2 * kKeySize && IsHex(trimmed)) return FromKey(trimmed);
  if (content.size() == kKeySize) return FromKey(content);
  return absl::InvalidArgumentError(
      absl::StrCat("encryption key file '", path,
                   "': expected 32 raw bytes or 64 hex digits (got ",
                   content.size(), " bytes)"));
}

absl::StatusOr<Cipher> Cipher::FromEnv(const std::string& variable) {
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr || *value == '\0') {
    return absl::InvalidArgumentError(absl::StrCat(
        "encryption key: environment variable ", variable, " is not set"));
  }
  return FromKey(Trim(value));
}

absl::StatusOr<std::string> Cipher::Seal(std::string_view plaintext,
                                         std::string_view aad) const {
  std::string out(kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(nonce, kNonceSize) != 1) {
    return absl::InternalError("encrypt: the random generator failed");
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize,
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), nonce) !=
          1) {
    return absl::InternalError("encrypt: cannot initialise AES-256-GCM");
  }
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1) {
    return absl::InternalError("encrypt: AAD update failed");
  }
  auto* body = reinterpret_cast<unsigned char*>(out.data() + kNonceSize);
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(
          ctx.get(), body, &len,
          reinterpret_cast<const unsigned char*>(plaintext.data()),
          static_cast<int>(plaintext.size())) != 1) {
    return absl::InternalError("encrypt: update failed");
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), body + plaintext.size(), &final_len) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          body + plaintext.size()) != 1) {
    return absl::InternalError("encrypt: finalisation failed");
  }
  return out;
}

absl::StatusOr<std::string> Cipher::Open(std::string_view sealed,
                                         std::string_view aad) const {
  if (sealed.size() < kOverhead) {
    return absl::DataLossError(
        absl::StrCat("decrypt: message too short (expected at least ",
                     kOverhead, " bytes, got ", sealed.size(), ")"));
  }
  const size_t n = sealed.size() - kOverhead;
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const auto* body = nonce + kNonceSize;
  std::string out(n, '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize,
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), nonce) !=
          1) {
    return absl::InternalError("decrypt: cannot initialise AES-256-GCM");
  }
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1) {
    return absl::InternalError("decrypt: AAD update failed");
  }
  if (n > 0 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                        &len, body, static_cast<int>(n)) != 1) {
    return absl::InternalError("decrypt: update failed");
  }
  std::array<unsigned char, kTagSize> tag;
  std::copy(body + n, body + n + kTagSize, tag.begin());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                          tag.data()) != 1) {
    return absl::InternalError("decrypt: cannot set the tag");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(),
                          reinterpret_cast<unsigned char*>(out.data()) + n,
                          &final_len) != 1) {
    return absl::DataLossError(
        "decrypt: authentication failed (wrong key or corrupted data)");
  }
  return out;
}

std::string Cipher::KeyId() const {
  static constexpr char kLabel[] = "cove-key-id";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(kLabel), sizeof(kLabel) - 1, mac,
       &mac_len);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), 8));
}

}  // namespace cove::internal
