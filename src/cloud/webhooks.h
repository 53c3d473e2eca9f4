// Webhook delivery of alert notifications (issue 19), apart from the
// control plane's mutex and RPC threads.
//
// CloudCore queues a notification (URL, secret, JSON body) under its mutex;
// that only takes this sender's own mutex for a moment. The sender's thread
// POSTs it (cpp-httplib; https with the system's trust store), signs the
// body when a secret is set (header "X-Cove-Signature: sha256=<hex
// HMAC-SHA256>"), and retries failures (no answer, or a status other than
// 2xx) with exponential backoff on the emulator clock (`clock`: the manual
// clock while it is on), up to max_attempts. Notifications of one key (an
// alert rule) go out in order: the next waits until the previous one was
// delivered or given up.
#ifndef COVE_SRC_CLOUD_WEBHOOKS_H_
#define COVE_SRC_CLOUD_WEBHOOKS_H_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cove::cloud {

struct WebhookOptions {
  int max_attempts = 5;
  // The n-th retry waits initial_backoff x 2^(n-1), at most max_backoff.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // Connect, read and write timeout of one attempt (real time).
  absl::Duration timeout = absl::Seconds(5);
  // The clock retries are due on (the emulator clock); absl::Now if unset.
  std::function<absl::Time()> clock;
};

/// What became of the last notification of a key.
struct WebhookDelivery {
  std::string notification_id;
  std::string event;
  int attempts = 0;
  int http_status = 0;  // 0: no answer
  std::string error;
  bool delivered = false;
  bool gave_up = false;
  absl::Time time = absl::InfinitePast();  // of the last attempt
};

class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions options);
  ~WebhookSender();  // Stop()
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void Start();
  /// Ends the thread; notifications still queued are dropped.
  void Stop();

  /// Queues a notification of `key` (never blocks on the network).
  void Enqueue(const std::string& key, const std::string& notification_id,
               const std::string& event, const std::string& url,
               const std::string& secret, const std::string& body);
  /// The last notification of `key` (the one in flight, or the last done).
  std::optional<WebhookDelivery> Last(const std::string& key) const;
  /// Drops what is queued for `key` and its history (the rule is deleted).
  void Forget(const std::string& key);
  /// The clock moved (manual clock): retries that became due go now.
  void Poke();

  /// "sha256=<hex HMAC-SHA256 of body with secret>".
  static std::string Signature(const std::string& secret,
                               const std::string& body);
  /// InvalidArgument naming `field` unless `url` is an http:// or https://
  /// URL with a host (no user info, a port 1..65535 if any, no spaces or
  /// control characters, at most 2048 bytes).
  static absl::Status ValidateUrl(const std::string& field,
                                  const std::string& url);

 private:
  struct Job {
    std::string notification_id, event, url, secret, body;
    int attempts = 0;
    absl::Time due;
  };
  void Loop();
  absl::Time Now() const;
  // One POST (no lock held): the HTTP status (0: none) and an error.
  void Post(const Job& job, int* status, std::string* error) const;

  const WebhookOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::deque<Job>> queues_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, WebhookDelivery> last_ ABSL_GUARDED_BY(mu_);
  // Keys whose head is being POSTed (their queue is left alone).
  std::map<std::string, bool> in_flight_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_WEBHOOKS_H_
