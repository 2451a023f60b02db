#pragma once
// SHA-256 of a file, for the model hashes in a run's config.json.

#include <filesystem>
#include <string>

namespace xdream_evolve {

/// The lowercase hex SHA-256 (FIPS 180-4) of a file's bytes. Throws std::runtime_error when the
/// file cannot be read.
std::string sha256_file(const std::filesystem::path& file);

/// The same of a string of bytes.
std::string sha256_bytes(const std::string& bytes);

}  // namespace xdream_evolve
