// Options of the data-plane client. Plain structs with Validate(); defaults
// and environment overrides are applied in one place (ApplyEnvironment).
#ifndef COVE_INCLUDE_COVE_OPTIONS_H_
#define COVE_INCLUDE_COVE_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace cove {

/// Options of the embedded (in-process) backend.
struct EmbeddedOptions {
  /// When the write-ahead log is fsynced: after every write call
  /// (kPerBatch, the default: an acknowledged write survives power loss),
  /// or never explicitly (kNone: survives a process crash, not power loss).
  enum class SyncPolicy { kPerBatch, kNone };
  SyncPolicy sync = SyncPolicy::kPerBatch;
  /// Open the data directory read-only (several processes may do so while
  /// one writer has it open).
  bool read_only = false;
  /// AES-256-GCM encryption at rest: a 32-byte key given directly, or read
  /// from a file, or from an environment variable (hex or raw 32 bytes).
  std::string encryption_key;
  std::string encryption_key_file;
  std::string encryption_key_env;
  /// Background index-building threads; 0 = hardware concurrency. At most
  /// two segment index builds or compactions run at once; the threads are
  /// shared between them.
  int index_threads = 0;
  /// Rows at which a collection's growing segment is sealed (its index is
  /// then built in the background); at least 1.
  int64_t segment_seal_rows = 65536;
  /// A growing segment that has had no write for this long is sealed (and
  /// indexed in the background), so that every row of a quiet collection is
  /// searched through its index; Flush seals at once. Zero: only at
  /// segment_seal_rows and on Flush. Not negative.
  std::chrono::milliseconds segment_seal_idle{std::chrono::seconds(1)};
  /// Threads one search call may use for a batch of queries; 0 = hardware
  /// concurrency.
  int search_threads = 0;
  /// A sealed segment whose deleted fraction exceeds this (0 to 1) is
  /// rewritten without its deleted rows in the background.
  double compaction_deleted_ratio = 0.2;
  /// Read sessions (the snapshots of iterators) unused for this long end;
  /// positive.
  std::chrono::milliseconds read_session_idle_timeout{std::chrono::minutes(10)};

  /// InvalidArgument naming the field when an option is out of range.
  absl::Status Validate() const;
};

/// Options of the remote (Milvus gRPC) backend.
struct RemoteOptions {
  /// Token ("user:password" or an API key); takes precedence over
  /// user/password.
  std::string token;
  std::string user;
  std::string password;
  /// Database name; empty means "default".
  std::string db_name;
  /// TLS: PEM file of trusted CAs (empty: system roots), and a client
  /// certificate and key for mutual TLS.
  std::string ca_cert_file;
  std::string client_cert_file;
  std::string client_key_file;
  /// Overrides the name checked in the server certificate.
  std::string server_name;
  /// DANGEROUS: encrypts but accepts any server certificate, so anyone on
  /// the network path can impersonate the server. For throwaway test servers
  /// only; a warning naming this option is printed on every connect. Off by
  /// default: certificates are always verified unless this is set.
  bool dangerously_skip_tls_verification = false;
  /// Default deadline of each call.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  /// Retries of idempotent calls on Unavailable: attempts including the first,
  /// and the backoff between them (exponential with jitter).
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(5)};
  /// Keepalive pings.
  std::chrono::milliseconds keepalive_time{std::chrono::seconds(30)};
  /// Logs every RPC (method, status, duration) to stderr.
  bool log_rpcs = false;
  /// Iterators use cove-server's read sessions (a pinned snapshot, exact
  /// search pages) when the server has them. False: they read as against
  /// Milvus, which has none (search pages from the server's own search
  /// iterator, query pages over the current state), so that code tried on
  /// cove-server pages as it will on Milvus.
  bool read_sessions = true;

  absl::Status Validate() const;
};

/// All client options; the URI decides which part is used.
struct ClientOptions {
  EmbeddedOptions embedded;
  RemoteOptions remote;

  absl::Status Validate() const;
};

/// Fills unset options from the environment: COVE_TOKEN, COVE_USER,
/// COVE_PASSWORD, COVE_DB_NAME, COVE_TIMEOUT_MS, COVE_LOG_RPCS=1,
/// COVE_ENCRYPTION_KEY_FILE.
/// Values set explicitly win.
ClientOptions ApplyEnvironment(ClientOptions options);

/// Per-call overrides, the last parameter of every client call.
struct CallOptions {
  /// Overrides RemoteOptions::timeout for this call.
  std::optional<std::chrono::milliseconds> timeout;
  /// Overrides the database of the client for this call.
  std::string db_name;
};

}  // namespace cove

#endif  // COVE_INCLUDE_COVE_OPTIONS_H_
