// TLS server contexts for every listener, loaded from the configured PEM files and
// replaceable at run time (SIGHUP): sessions take the current context when they
// start TLS and keep it; a reload affects only later handshakes. Thread-safe.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <mutex>

#include "base/error.hpp"

namespace taube::net {

class TlsContexts {
 public:
  // Errors: kInvalidArgument naming the file when a certificate or key cannot be
  // loaded or do not match.
  static Result<std::shared_ptr<TlsContexts>> load(std::filesystem::path cert_file,
                                                   std::filesystem::path key_file);

  std::shared_ptr<boost::asio::ssl::context> server() const;

  // Loads the files again; on error the old context stays in use.
  Result<void> reload();

 private:
  TlsContexts(std::filesystem::path cert, std::filesystem::path key)
      : cert_file_(std::move(cert)), key_file_(std::move(key)) {}
  Result<std::shared_ptr<boost::asio::ssl::context>> build() const;

  std::filesystem::path cert_file_;
  std::filesystem::path key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> server_;
};

}  // namespace taube::net
