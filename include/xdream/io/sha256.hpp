#pragma once
/// @file
/// SHA-256 of bytes and files, through OpenSSL's libcrypto (Debian: libssl-dev; link
/// OpenSSL::Crypto, or the xdream::io target): the hashes a run records for its model files and
/// a rig's manifests for their images.

#include <xdream/io/error.hpp>

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xdream::io {

namespace detail {
inline std::string hex(const unsigned char* digest, unsigned size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * static_cast<std::size_t>(size), '0');
  for (unsigned i = 0; i < size; ++i) {
    out[2 * i] = digits[digest[i] >> 4];
    out[2 * i + 1] = digits[digest[i] & 15];
  }
  return out;
}

struct DigestContext {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context{EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free};
  explicit DigestContext(const std::string& source) {
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
      throw ArchiveError(source, "OpenSSL cannot start a SHA-256 digest");
    }
  }
  void update(const void* data, std::size_t size, const std::string& source) {
    if (EVP_DigestUpdate(context.get(), data, size) != 1) {
      throw ArchiveError(source, "OpenSSL's SHA-256 digest failed");
    }
  }
  std::string finish(const std::string& source) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    if (EVP_DigestFinal_ex(context.get(), digest, &size) != 1) {
      throw ArchiveError(source, "OpenSSL's SHA-256 digest failed");
    }
    return hex(digest, size);
  }
};
}  // namespace detail

/// The SHA-256 of `bytes`, as 64 lowercase hex digits.
inline std::string sha256(std::span<const std::byte> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    throw ArchiveError("buffer", "OpenSSL's SHA-256 digest failed");
  }
  return detail::hex(digest, size);
}

/// The SHA-256 of a string's bytes.
inline std::string sha256(std::string_view text) {
  return sha256(std::as_bytes(std::span(text.data(), text.size())));
}

/// The SHA-256 of a file's contents, read in 1 MiB pieces. Throws ArchiveError naming the file
/// when it cannot be read.
inline std::string sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ArchiveError(path.string(), "cannot open for reading");
  detail::DigestContext digest(path.string());
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) digest.update(buffer.data(), static_cast<std::size_t>(in.gcount()), path);
  }
  if (in.bad()) throw ArchiveError(path.string(), "read failed");
  return digest.finish(path.string());
}

}  // namespace xdream::io
