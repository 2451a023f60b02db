#pragma once
/// @file
/// The error of xdream's file and archive readers and writers.

#include <stdexcept>
#include <string>

namespace xdream::io {

/// A file that cannot be read or written, or a malformed, truncated, corrupt or mismatched
/// archive; the message names the source (a file path or "buffer") and what is wrong.
class ArchiveError : public std::runtime_error {
 public:
  ArchiveError(const std::string& source, const std::string& what)
      : std::runtime_error("xdream::io archive " + source + ": " + what) {}
};

}  // namespace xdream::io
