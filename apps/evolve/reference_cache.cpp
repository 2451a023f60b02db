#include "reference_cache.hpp"

#include <xdream/io/npy.hpp>

#include <exception>
#include <system_error>

namespace xdream_evolve {

std::optional<xdream::Population> read_reference_cache(const std::filesystem::path& file,
                                                       std::int64_t channels, std::int64_t count,
                                                       std::string* why) {
  std::error_code error;
  if (!std::filesystem::exists(file, error)) return std::nullopt;
  try {
    xdream::Population all = xdream::io::load_npy(file);
    if (all.rows() == channels && all.cols() == count) return all;
    // Worded in the file's own order, (images, channels), as numpy.load shows it.
    *why = file.string() + " holds " + std::to_string(all.cols()) + " x " +
           std::to_string(all.rows()) + " activations (images x channels), not " +
           std::to_string(count) + " x " + std::to_string(channels);
  } catch (const std::exception& e) {
    *why = e.what();
  }
  return std::nullopt;
}

}  // namespace xdream_evolve
