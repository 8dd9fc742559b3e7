#include "image/registry_auth.h"

#include <openssl/evp.h>

#include <cctype>

#include <nlohmann/json.hpp>

#include "storage/base/error.h"

namespace berth::image {
namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A cursor over a header value.
struct Scanner {
  std::string_view s;
  size_t i = 0;
  void SkipSpaceAndCommas() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
  }
  void SkipSpace() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  std::string Token() {
    size_t start = i;
    while (i < s.size() && IsTokenChar(s[i])) ++i;
    return std::string(s.substr(start, i - start));
  }
  std::string Quoted() {  // at the opening quote
    std::string out;
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i];
    }
    if (i < s.size()) ++i;
    return out;
  }
};

}  // namespace

std::vector<Challenge> ParseChallenges(std::string_view header) {
  std::vector<Challenge> out;
  Scanner sc{header};
  while (true) {
    sc.SkipSpaceAndCommas();
    if (sc.i >= header.size()) break;
    std::string word = sc.Token();
    if (word.empty()) {  // a stray character: skip it
      ++sc.i;
      continue;
    }
    size_t after_word = sc.i;
    sc.SkipSpace();
    if (sc.i < header.size() && sc.s[sc.i] == '=' && !out.empty()) {
      ++sc.i;
      sc.SkipSpace();
      std::string value = sc.i < header.size() && sc.s[sc.i] == '"' ? sc.Quoted() : sc.Token();
      out.back().params[Lower(word)] = value;
    } else {
      sc.i = after_word;
      out.push_back({Lower(word), {}});
    }
  }
  return out;
}

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Base64Decode(std::string_view data, std::string_view what) {
  std::string in(data);
  while (!in.empty() && (in.back() == '\n' || in.back() == ' ')) in.pop_back();
  if (in.size() % 4 != 0) throw InvalidArgument(std::string(what) + " is not valid base64");
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) throw InvalidArgument(std::string(what) + " is not valid base64");
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() >= 2 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::pair<std::string, std::string> Credentials::UserPassword() const {
  if (!username.empty() || auth.empty()) return {username, password};
  std::string decoded = Base64Decode(auth, "auth of the registry credentials");
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    throw InvalidArgument("auth of the registry credentials is not base64 of \"username:password\"");
  }
  return {decoded.substr(0, colon), decoded.substr(colon + 1)};
}

std::string Credentials::CacheKey() const {
  if (Empty()) return "anonymous";
  std::string material = username + '\0' + password + '\0' + auth + '\0' + identity_token + '\0' + registry_token;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string BasicAuthorization(std::string_view user, std::string_view password) {
  return "Basic " + Base64Encode(std::string(user) + ":" + std::string(password));
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string PullScope(std::string_view path) { return "repository:" + std::string(path) + ":pull"; }

std::string TokenUrl(const Challenge& c, std::string_view scope) {
  std::string realm = c.params.count("realm") ? c.params.at("realm") : "";
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (auto it = c.params.find("service"); it != c.params.end()) url += "service=" + UrlEncode(it->second) + "&";
  url += "scope=" + UrlEncode(scope);
  return url;
}

std::string RefreshTokenForm(const Challenge& c, std::string_view scope, std::string_view refresh_token) {
  std::string form = "grant_type=refresh_token&client_id=berth&refresh_token=" + UrlEncode(refresh_token);
  if (auto it = c.params.find("service"); it != c.params.end()) form += "&service=" + UrlEncode(it->second);
  form += "&scope=" + UrlEncode(scope);
  return form;
}

Token ParseTokenResponse(std::string_view body, std::string_view realm) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  Token t;
  if (j.is_object()) {
    for (const char* key : {"token", "access_token"}) {
      if (auto it = j.find(key); it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
        t.value = it->get<std::string>();
        break;
      }
    }
    if (auto it = j.find("expires_in"); it != j.end() && it->is_number_integer() && it->get<int64_t>() > 0) {
      t.expires_in = std::chrono::seconds(it->get<int64_t>());
    }
  }
  if (t.value.empty()) throw Unavailable("token endpoint " + std::string(realm) + " answered without a token");
  return t;
}

}  // namespace berth::image
