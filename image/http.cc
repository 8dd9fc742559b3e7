#include "image/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <mutex>

#include "storage/base/error.h"

namespace berth::image {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;
  std::exception_ptr sink_error;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->resp->headers.clear();  // a new response (after 100 Continue)
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    t->resp->headers.emplace(std::move(name), std::string(value));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300 && t->req->sink) {
    try {
      t->req->sink(status, std::string_view(data, len));
    } catch (...) {
      t->sink_error = std::current_exception();
      return 0;  // aborts the transfer
    }
    return len;
  }
  size_t room = t->req->max_buffered - std::min(t->req->max_buffered, t->resp->body.size());
  if (len > room) {
    t->resp->body.append(data, room);
    t->resp->body_truncated = true;
    // A 2xx body that does not fit is an error; others are only for messages.
    return status >= 200 && status < 300 ? 0 : len;
  }
  t->resp->body.append(data, len);
  return len;
}

}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

HttpResponse HttpPerform(const HttpRequest& req) {
  GlobalInit();
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) throw Internal("curl_easy_init failed");
  HttpResponse resp;
  Transfer t{curl.get(), &req, &resp, nullptr};
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& h : req.headers) {
    curl_slist* next = curl_slist_append(headers.get(), h.c_str());
    if (!next) throw Internal("curl_slist_append failed");
    (void)headers.release();
    headers.reset(next);
  }
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, req.connect_timeout_seconds);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, req.low_speed_time_seconds);
  if (!req.user_agent.empty()) curl_easy_setopt(c, CURLOPT_USERAGENT, req.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, req.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, req.verify_tls ? 2L : 0L);
  curl_blob ca{const_cast<char*>(req.ca_bundle.data()), req.ca_bundle.size(), CURL_BLOB_NOCOPY};
  if (!req.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);

  CURLcode rc = curl_easy_perform(c);
  if (t.sink_error) std::rethrow_exception(t.sink_error);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  if (rc != CURLE_OK) {
    resp.curl_code = rc;
    resp.curl_error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_WRITE_ERROR && resp.body_truncated) {
      resp.curl_error = "response body larger than " + std::to_string(req.max_buffered) + " bytes";
    }
    return resp;
  }
  char* location = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) resp.redirect_url = location;
  return resp;
}

bool IsTransientCurlError(int code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool IsConnectCurlError(int code) { return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT; }

bool IsTlsCurlError(int code) {
  return code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION ||
         code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CIPHER || code == CURLE_SSL_CACERT_BADFILE;
}

std::string UrlOrigin(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t end = url.find_first_of("/?#", scheme + 3);
  return std::string(url.substr(0, end));
}

}  // namespace berth::image
