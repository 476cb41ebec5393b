#include "mailauth/dkim_sign.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/ascii.hpp"
#include "base/base64.hpp"
#include "mailauth/canon.hpp"
#include "mailauth/crypto.hpp"

namespace taube::mailauth {
namespace {

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;

Result<DkimAlgorithm> algorithm_of(EVP_PKEY* k) {
  const int id = EVP_PKEY_get_base_id(k);
  if (id == EVP_PKEY_ED25519) return DkimAlgorithm::kEd25519Sha256;
  if (id == EVP_PKEY_RSA) {
    if (EVP_PKEY_get_bits(k) < 1024)
      return fail(ErrorCode::kInvalidArgument, "RSA key below 1024 bits (RFC 8301)");
    return DkimAlgorithm::kRsaSha256;
  }
  return fail(ErrorCode::kInvalidArgument, "key is neither RSA nor Ed25519");
}

// Appends `text` to a header being built, folding before it when the line would
// pass 78 columns.
void append_folded(std::string& out, std::size_t& column, std::string_view text) {
  if (column + text.size() > 78 && column > 1) {
    out += "\r\n\t";
    column = 1;
  }
  out += text;
  column += text.size();
}

}  // namespace

Result<SigningKey> load_signing_key(const std::filesystem::path& file, std::string domain,
                                    std::string selector) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::kNotFound, "cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  const std::string pem = text.str();
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* k = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!k) return fail(ErrorCode::kInvalidArgument, file.string() + ": no PEM private key");
  SigningKey key;
  key.pkey = own(k);
  Result<DkimAlgorithm> algorithm = algorithm_of(k);
  if (!algorithm) return fail(ErrorCode::kInvalidArgument, file.string() + ": " + algorithm.error().detail);
  key.algorithm = *algorithm;
  key.domain = ascii::lower(domain);
  key.selector = std::move(selector);
  return key;
}

std::filesystem::path key_file(const std::filesystem::path& directory, std::string_view domain,
                               std::string_view selector) {
  return directory / (ascii::lower(domain) + "." + std::string(selector) + ".key");
}

std::vector<SigningKey> load_signing_keys(const std::filesystem::path& directory,
                                          std::vector<std::string>* problems) {
  std::vector<SigningKey> keys;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    const std::filesystem::path& path = entry.path();
    if (path.extension() != ".key") continue;
    // <domain>.<selector>.key: the selector is the last label before ".key" (a
    // selector with dots cannot be told apart from the domain, so it is not allowed).
    const std::string stem = path.stem().string();
    const std::size_t dot = stem.rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == stem.size()) {
      if (problems) problems->push_back(path.string() + ": name is not <domain>.<selector>.key");
      continue;
    }
    Result<SigningKey> key = load_signing_key(path, stem.substr(0, dot), stem.substr(dot + 1));
    if (key)
      keys.push_back(std::move(*key));
    else if (problems)
      problems->push_back(key.error().detail);
  }
  return keys;
}

Result<SigningKey> generate_signing_key(std::string domain, std::string selector,
                                        DkimAlgorithm algorithm) {
  EVP_PKEY* k = algorithm == DkimAlgorithm::kRsaSha256
                    ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!k) return fail(ErrorCode::kInternal, "key generation failed");
  SigningKey key;
  key.pkey = own(k);
  key.algorithm = algorithm;
  key.domain = ascii::lower(domain);
  key.selector = std::move(selector);
  return key;
}

Result<SigningKey> generate_key_file(const std::filesystem::path& directory, std::string domain,
                                     std::string selector, DkimAlgorithm algorithm) {
  if (domain.empty() || selector.empty() || selector.find_first_of("./") != std::string::npos ||
      domain.find('/') != std::string::npos)
    return fail(ErrorCode::kInvalidArgument, "a domain and a selector without '.' or '/' are needed");
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "cannot create " + directory.string() + ": " + ec.message());
  const std::filesystem::path file = key_file(directory, domain, selector);
  Result<SigningKey> key = generate_signing_key(std::move(domain), std::move(selector), algorithm);
  if (!key) return key;
  const std::string pem = private_key_pem(*key);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return fail(ErrorCode::kAlreadyExists, file.string() + " exists already");
    return fail(ErrorCode::kUnavailable, "cannot create " + file.string());
  }
  const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    std::filesystem::remove(file, ec);
    return fail(ErrorCode::kUnavailable, "cannot write " + file.string());
  }
  return key;
}

std::string private_key_pem(const SigningKey& key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1)
    return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string dns_record_value(const SigningKey& key) {
  std::string public_bytes;
  if (key.algorithm == DkimAlgorithm::kEd25519Sha256) {
    std::size_t len = 32;
    public_bytes.resize(len);
    EVP_PKEY_get_raw_public_key(key.pkey.get(), reinterpret_cast<unsigned char*>(public_bytes.data()),
                                &len);
    public_bytes.resize(len);
  } else {
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(key.pkey.get(), &der);
    if (len > 0) public_bytes.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
  }
  return std::string("v=DKIM1; k=") +
         (key.algorithm == DkimAlgorithm::kEd25519Sha256 ? "ed25519" : "rsa") +
         "; p=" + encode_base64(public_bytes);
}

std::string dns_zone_line(const SigningKey& key) {
  const std::string value = dns_record_value(key);
  std::string line = key.selector + "._domainkey." + key.domain + ". IN TXT (";
  for (std::size_t pos = 0; pos < value.size(); pos += 255)
    line += " \"" + value.substr(pos, 255) + "\"";
  line += " )";
  return line;
}

Result<std::string> dkim_sign(std::string_view raw, const SigningKey& key,
                              std::chrono::system_clock::time_point now) {
  const SplitMessage message = split_message(raw);
  std::vector<std::string> names;
  bool has_from = false;
  for (std::string_view wanted : kSignedHeaders) {
    for (const mime::HeaderField& f : message.header.fields) {
      if (!ascii::iequals(ascii::trim(f.name(raw)), wanted)) continue;
      names.emplace_back(wanted);
      has_from |= wanted == "from";
    }
  }
  if (!has_from) return fail(ErrorCode::kInvalidArgument, "message has no From field");
  names.emplace_back("from");  // oversigned: a From added later breaks the signature

  const std::string bh = encode_base64(body_hash(message.body, Canon::kRelaxed));
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  std::string field = "DKIM-Signature: v=1; a=" + std::string(to_string(key.algorithm)) +
                      "; c=relaxed/relaxed; d=" + key.domain + "; s=" + key.selector + ";";
  std::size_t column = field.size();
  append_folded(field, column, " t=" + std::to_string(t) + ";");
  append_folded(field, column, " h=");
  for (std::size_t i = 0; i < names.size(); ++i)
    append_folded(field, column, names[i] + (i + 1 < names.size() ? ":" : ";"));
  append_folded(field, column, " bh=" + bh + ";");
  field += "\r\n\tb=";

  const std::string data =
      header_hash_input(raw, message.header, names, Canon::kRelaxed, field);
  const std::string signature = sign_header_data(key.pkey.get(), key.algorithm, data);
  if (signature.empty()) return fail(ErrorCode::kInternal, "signing failed");
  const std::string b = encode_base64(signature);
  for (std::size_t pos = 0; pos < b.size(); pos += 72) {
    if (pos > 0) field += "\r\n\t ";
    field += b.substr(pos, 72);
  }
  field += "\r\n";
  return field;
}

}  // namespace taube::mailauth
