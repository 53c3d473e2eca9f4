// Self-signed certificate generation with the OpenSSL 3 API.
#include "cloud/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"

namespace cove::cloud {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(FILE* f) const { std::fclose(f); }
};

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool AddExt(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

absl::Status EnsureSelfSignedCertificate(const std::string& cert_file,
                                         const std::string& key_file) {
  if (Exists(cert_file) && Exists(key_file)) return absl::OkStatus();
  const auto ssl_error = [](const char* what) {
    return absl::InternalError(absl::StrCat("tls: OpenSSL failed to ", what));
  };
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  if (key == nullptr) return ssl_error("generate a P-256 key");
  std::unique_ptr<X509, Free> cert(X509_new());
  if (cert == nullptr) return ssl_error("allocate a certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()),
                         static_cast<int64_t>(time(nullptr)) ^ 0x5c0e);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("cove-cloud emulator"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!AddExt(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExt(cert.get(), NID_key_usage,
              "critical,digitalSignature,keyCertSign") ||
      !AddExt(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExt(cert.get(), NID_subject_key_identifier, "hash") ||
      !AddExt(cert.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost")) {
    return ssl_error("add certificate extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return ssl_error("sign the certificate");
  }
  // The key first, created private.
  {
    const std::string tmp = key_file + ".tmp";
    FILE* raw = std::fopen(tmp.c_str(), "wb");
    if (raw == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("tls_key_file '", tmp, "': cannot write"));
    }
    ::chmod(tmp.c_str(), 0600);
    std::unique_ptr<FILE, Free> f(raw);
    if (PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr,
                             nullptr) != 1) {
      return ssl_error("write the private key");
    }
    f.reset();
    if (std::rename(tmp.c_str(), key_file.c_str()) != 0) {
      return absl::UnavailableError(
          absl::StrCat("tls_key_file '", key_file, "': cannot rename"));
    }
  }
  const std::string tmp = cert_file + ".tmp";
  FILE* raw = std::fopen(tmp.c_str(), "wb");
  if (raw == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("tls_cert_file '", tmp, "': cannot write"));
  }
  std::unique_ptr<FILE, Free> f(raw);
  if (PEM_write_X509(f.get(), cert.get()) != 1) {
    return ssl_error("write the certificate");
  }
  f.reset();
  if (std::rename(tmp.c_str(), cert_file.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("tls_cert_file '", cert_file, "': cannot rename"));
  }
  return absl::OkStatus();
}

}  // namespace cove::cloud
