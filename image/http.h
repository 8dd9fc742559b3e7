#pragma once
// One HTTP exchange with libcurl, no redirects followed (the registry client
// follows them itself to decide which headers go where). A 2xx body can be
// streamed to a sink; other bodies are buffered (bounded) for error messages.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::image {

struct HttpRequest {
  std::string method = "GET";        // GET, HEAD or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // POST body
  bool verify_tls = true;
  std::string ca_bundle;             // PEM; empty: curl's default bundle
  long connect_timeout_seconds = 30;
  long low_speed_time_seconds = 60;  // abort when slower than 1 KiB/s for this long
  size_t max_buffered = 8 << 20;     // cap on a buffered (non-streamed) body
  std::string user_agent;
  // Receives a 2xx body in chunks, with the status; may throw to abort.
  std::function<void(long status, std::string_view chunk)> sink;
};

struct HttpResponse {
  int curl_code = 0;          // CURLcode; 0: a response arrived
  std::string curl_error;     // curl's message with details, when curl_code != 0
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lowercase
  std::string body;           // buffered body (not for a streamed 2xx)
  bool body_truncated = false;
  std::string redirect_url;   // absolute Location of a 3xx

  std::string Header(const std::string& lowercase_name) const;
};

// Performs `req`. Exceptions thrown by the sink are rethrown here.
HttpResponse HttpPerform(const HttpRequest& req);

// Whether a curl failure is worth retrying (timeouts, resets, partial transfers).
bool IsTransientCurlError(int curl_code);
// Whether the TCP connection could not be made at all (refused, unresolvable).
bool IsConnectCurlError(int curl_code);
// Whether the failure was in the TLS handshake or certificate check.
bool IsTlsCurlError(int curl_code);

// "scheme://host[:port]" of an absolute URL.
std::string UrlOrigin(std::string_view url);

}  // namespace berth::image
