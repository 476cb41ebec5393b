// Creates the self-signed certificate and key that `taube init` puts in <data>/tls
// for development, so that STARTTLS and implicit TLS work before a real certificate
// is configured. Production installs point tls.cert_file/key_file at real ones.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace taube::net {

// Writes a P-256 key (mode 0600) and a certificate valid for `days`, with `hostname`,
// "localhost", 127.0.0.1 and ::1 as subject alternative names. Existing files are kept:
// returns false then, true when it created them. Internal on an OpenSSL or I/O failure.
Result<bool> ensure_self_signed(const std::filesystem::path& cert_file,
                                const std::filesystem::path& key_file, const std::string& hostname,
                                int days = 825);

}  // namespace taube::net
