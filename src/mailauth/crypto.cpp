#include "mailauth/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace taube::mailauth {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

}  // namespace

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

struct BodyHasher::State {
  MdCtx ctx{EVP_MD_CTX_new()};
};

BodyHasher::BodyHasher(std::optional<std::uint64_t> limit)
    : state_(std::make_unique<State>()), limit_(limit) {
  EVP_DigestInit_ex(state_->ctx.get(), EVP_sha256(), nullptr);
}

BodyHasher::~BodyHasher() = default;

void BodyHasher::update(std::string_view data) {
  if (limit_) {
    if (hashed_ >= *limit_) return;
    if (data.size() > *limit_ - hashed_) data = data.substr(0, *limit_ - hashed_);
  }
  EVP_DigestUpdate(state_->ctx.get(), data.data(), data.size());
  hashed_ += data.size();
}

std::string BodyHasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(state_->ctx.get(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string body_hash(std::string_view body, Canon canon, std::optional<std::uint64_t> limit) {
  BodyHasher hasher(limit);
  canon_body(body, canon, [&](std::string_view piece) { hasher.update(piece); });
  return hasher.finish();
}

std::string sign_header_data(EVP_PKEY* key, DkimAlgorithm algorithm, std::string_view data) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return {};
  std::string to_sign;
  const EVP_MD* md = nullptr;
  if (algorithm == DkimAlgorithm::kRsaSha256) {
    md = EVP_sha256();
    to_sign.assign(data);
  } else {
    to_sign = sha256(data);  // RFC 8463 3: PureEdDSA over the SHA-256 digest
  }
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1) return {};
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(to_sign.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, to_sign.size()) != 1) return {};
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     to_sign.size()) != 1)
    return {};
  sig.resize(len);
  return sig;
}

std::shared_ptr<EVP_PKEY> public_key(const DkimKey& key, DkimAlgorithm algorithm,
                                     std::string* error) {
  auto fail_with = [&](const char* text) {
    if (error) *error = text;
    return std::shared_ptr<EVP_PKEY>();
  };
  const auto* p = reinterpret_cast<const unsigned char*>(key.public_key.data());
  const long size = static_cast<long>(key.public_key.size());
  if (algorithm == DkimAlgorithm::kEd25519Sha256) {
    if (key.key_type != "ed25519") return fail_with("key type is not ed25519");
    if (key.public_key.size() != 32) return fail_with("ed25519 key is not 32 octets");
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, 32);
    return k ? own(k) : fail_with("bad ed25519 key");
  }
  if (key.key_type != "rsa") return fail_with("key type is not rsa");
  const unsigned char* cursor = p;
  EVP_PKEY* k = d2i_PUBKEY(nullptr, &cursor, size);
  if (!k) {
    cursor = p;
    k = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, size);
  }
  if (!k) return fail_with("bad rsa key");
  std::shared_ptr<EVP_PKEY> owned = own(k);
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) return fail_with("key is not rsa");
  if (EVP_PKEY_get_bits(k) < 1024) return fail_with("rsa key below 1024 bits");
  return owned;
}

bool verify_header_data(EVP_PKEY* key, DkimAlgorithm algorithm, std::string_view data,
                        std::string_view signature) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  std::string to_verify;
  const EVP_MD* md = nullptr;
  if (algorithm == DkimAlgorithm::kRsaSha256) {
    md = EVP_sha256();
    to_verify.assign(data);
  } else {
    to_verify = sha256(data);
  }
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(to_verify.data()),
                          to_verify.size()) == 1;
}

}  // namespace taube::mailauth
