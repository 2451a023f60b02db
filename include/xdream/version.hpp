#pragma once
/// @file
/// The library's version, recorded with every run.

#define XDREAM_VERSION_MAJOR 0
#define XDREAM_VERSION_MINOR 1
#define XDREAM_VERSION_PATCH 0
#define XDREAM_VERSION_STRING "0.1.0"

namespace xdream {
inline constexpr const char* version_string = XDREAM_VERSION_STRING;
}  // namespace xdream
