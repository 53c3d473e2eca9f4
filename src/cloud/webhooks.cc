#include "cloud/webhooks.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cove::cloud {
namespace {

constexpr size_t kMaxUrlBytes = 2048;

struct ParsedUrl {
  std::string scheme_host_port;  // "https://host:port"
  std::string path;              // "/hook?x=1" ("/" when empty)
};

// Splits a URL checked by ValidateUrl.
ParsedUrl SplitUrl(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t path_start = url.find_first_of("/?#", scheme_end + 3);
  ParsedUrl out;
  out.scheme_host_port = absl::AsciiStrToLower(url.substr(0, scheme_end)) +
                         url.substr(scheme_end, path_start == std::string::npos
                                                    ? std::string::npos
                                                    : path_start - scheme_end);
  out.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  const size_t fragment = out.path.find('#');
  if (fragment != std::string::npos) out.path.resize(fragment);
  if (out.path.empty() || out.path[0] != '/') out.path = "/" + out.path;
  return out;
}

}  // namespace

WebhookSender::WebhookSender(WebhookOptions options)
    : options_(std::move(options)) {}

WebhookSender::~WebhookSender() { Stop(); }

void WebhookSender::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void WebhookSender::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Time WebhookSender::Now() const {
  return options_.clock ? options_.clock() : absl::Now();
}

void WebhookSender::Enqueue(const std::string& key,
                            const std::string& notification_id,
                            const std::string& event, const std::string& url,
                            const std::string& secret,
                            const std::string& body) {
  Job job;
  job.notification_id = notification_id;
  job.event = event;
  job.url = url;
  job.secret = secret;
  job.body = body;
  job.due = absl::InfinitePast();  // the first attempt goes at once
  absl::MutexLock lock(&mu_);
  queues_[key].push_back(std::move(job));
  poked_ = true;
}

std::optional<WebhookDelivery> WebhookSender::Last(
    const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = last_.find(key);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

void WebhookSender::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  queues_.erase(key);
  last_.erase(key);
  auto it = in_flight_.find(key);
  if (it != in_flight_.end()) it->second = true;  // drop its result
}

void WebhookSender::Poke() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
}

std::string WebhookSender::Signature(const std::string& secret,
                                     const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xf]);
  }
  return out;
}

absl::Status WebhookSender::ValidateUrl(const std::string& field,
                                        const std::string& url) {
  const auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", what, " (got '",
        url.size() > 100 ? url.substr(0, 100) + "..." : url, "')"));
  };
  if (url.size() > kMaxUrlBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": expected at most ",
                                                   kMaxUrlBytes, " bytes (got ",
                                                   url.size(), ")"));
  }
  for (unsigned char ch : url) {
    if (ch <= 0x20 || ch >= 0x7f) {
      return bad(
          "expected a URL without spaces, control or non-ASCII "
          "characters (percent-encode them)");
    }
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return bad("expected an http:// or https:// URL");
  }
  const std::string scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return bad(absl::StrCat("expected an http:// or https:// URL (scheme '",
                            scheme, "' is not supported)"));
  }
  const size_t host_start = scheme_end + 3;
  const size_t path_start = url.find_first_of("/?#", host_start);
  const std::string authority = url.substr(
      host_start, path_start == std::string::npos ? std::string::npos
                                                  : path_start - host_start);
  if (authority.find('@') != std::string::npos) {
    return bad("expected no user info in the URL (use the webhook secret)");
  }
  std::string host = authority;
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos)
      return bad("expected ']' after an IPv6 host");
    host = authority.substr(0, close + 1);
    const std::string rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("expected ':port' after an IPv6 host");
      port = rest.substr(1);
      if (port.empty()) return bad("expected a port after ':'");
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("expected a port after ':'");
    }
  }
  if (host.empty() || host == "[]") return bad("expected a host");
  if (!port.empty()) {
    int n = 0;
    if (!absl::SimpleAtoi(port, &n) || n < 1 || n > 65535 ||
        port.find_first_not_of("0123456789") != std::string::npos) {
      return bad("expected a port 1..65535");
    }
  }
  return absl::OkStatus();
}

void WebhookSender::Post(const Job& job, int* status,
                         std::string* error) const {
  *status = 0;
  error->clear();
  const ParsedUrl url = SplitUrl(job.url);
  httplib::Client client(url.scheme_host_port);
  if (!client.is_valid()) {
    *error = "the URL cannot be used";
    return;
  }
  const int64_t usec = absl::ToInt64Microseconds(options_.timeout);
  client.set_connection_timeout(usec / 1000000, usec % 1000000);
  client.set_read_timeout(usec / 1000000, usec % 1000000);
  client.set_write_timeout(usec / 1000000, usec % 1000000);
  client.set_follow_location(false);
  httplib::Headers headers = {{"User-Agent", "cove-cloud-alerts"},
                              {"X-Cove-Notification", job.notification_id},
                              {"X-Cove-Event", job.event}};
  if (!job.secret.empty()) {
    headers.emplace("X-Cove-Signature", Signature(job.secret, job.body));
  }
  httplib::Result res =
      client.Post(url.path, headers, job.body, "application/json");
  if (!res) {
    *error = absl::StrCat("no answer: ", httplib::to_string(res.error()));
    return;
  }
  *status = res->status;
  if (res->status < 200 || res->status > 299) {
    *error = absl::StrCat("HTTP status ", res->status);
  }
}

void WebhookSender::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    // The first key whose head is due (keys in flight are skipped).
    const absl::Time now = Now();
    std::string key;
    for (auto& [k, q] : queues_) {
      if (q.empty() || in_flight_.count(k) != 0) continue;
      if (q.front().due <= now) {
        key = k;
        break;
      }
    }
    if (key.empty()) {
      poked_ = false;
      // Real clock: look again at least every 100 ms (a retry may fall
      // due); the manual clock pokes when it moves.
      mu_.AwaitWithTimeout(
          absl::Condition(
              +[](WebhookSender* s) { return s->poked_ || s->stopping_; },
              this),
          absl::Milliseconds(100));
      continue;
    }
    Job job = queues_[key].front();
    in_flight_[key] = false;
    WebhookDelivery& d = last_[key];
    if (d.notification_id != job.notification_id) {
      d = WebhookDelivery();
      d.notification_id = job.notification_id;
      d.event = job.event;
    }
    int status = 0;
    std::string error;
    mu_.Unlock();  // the network without the lock
    Post(job, &status, &error);
    mu_.Lock();
    const bool forgotten = in_flight_[key];
    in_flight_.erase(key);
    if (forgotten) continue;
    auto q = queues_.find(key);
    if (q == queues_.end() || q->second.empty()) continue;
    Job& head = q->second.front();
    ++head.attempts;
    WebhookDelivery& last = last_[key];
    last.attempts = head.attempts;
    last.http_status = status;
    last.error = error;
    last.time = Now();
    if (error.empty()) {
      last.delivered = true;
      q->second.pop_front();
    } else if (head.attempts >= options_.max_attempts) {
      last.gave_up = true;
      q->second.pop_front();
    } else {
      absl::Duration backoff = options_.initial_backoff;
      for (int i = 1; i < head.attempts && backoff < options_.max_backoff; ++i)
        backoff *= 2;
      head.due = Now() + std::min(backoff, options_.max_backoff);
    }
    if (q->second.empty()) queues_.erase(q);
  }
}

}  // namespace cove::cloud
