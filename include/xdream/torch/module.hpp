#pragma once
/// @file
/// Loading a TorchScript file with errors that name the file and say what was expected.

#include <xdream/io/sha256.hpp>

#include <torch/script.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace xdream {

/// A model file that is missing, unreadable, corrupt or does not follow the model contract
/// (docs/torch-models.md). `what()` is one line naming the file and what was expected.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
/// One line of a LibTorch error: the last non-empty line of an error raised inside TorchScript
/// (the message comes after a TorchScript traceback), else the first line (a C++ backtrace may
/// follow it).
inline std::string first_line(const std::string& text) {
  if (text.find("Traceback of TorchScript") != std::string::npos) {
    std::size_t end = text.find_last_not_of(" \n");
    if (end != std::string::npos) {
      const std::size_t begin = text.rfind('\n', end);
      return text.substr(begin == std::string::npos ? 0 : begin + 1,
                         end - (begin == std::string::npos ? 0 : begin + 1) + 1);
    }
  }
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}
/// One line saying why a LibTorch call failed (any exception it throws).
inline std::string torch_failure(const std::exception& e) {
  if (const auto* error = dynamic_cast<const c10::Error*>(&e)) {
    return first_line(error->what_without_backtrace());
  }
  return first_line(e.what());
}
}  // namespace detail

/// Loads a TorchScript module for inference on `device` (eval mode). `role` names it in errors
/// ("generator", "network").
///
/// LibTorch loads a file with damaged weights without a word, so when `FILE.sha256` exists
/// beside the file (written by the export tools, in sha256sum's format), the file's SHA-256 must
/// equal it: a changed or damaged model is a ModelError, not a silently wrong run.
inline ::torch::jit::Module load_torch_module(const std::filesystem::path& file,
                                              const ::torch::Device& device,
                                              const std::string& role) {
  const std::string where = "xdream: " + role + " file '" + file.string() + "'";
  std::error_code error;
  if (!std::filesystem::exists(file, error)) throw ModelError(where + " does not exist");
  if (!std::filesystem::is_regular_file(file, error)) throw ModelError(where + " is not a file");
  if (!std::ifstream(file, std::ios::binary)) throw ModelError(where + " cannot be read");
  std::filesystem::path sidecar = file;
  sidecar += ".sha256";
  if (std::filesystem::exists(sidecar, error)) {
    std::string recorded;
    std::ifstream(sidecar) >> recorded;
    const std::string actual = io::sha256_file(file);
    if (recorded != actual) {
      throw ModelError(where + " has changed or is damaged: its sha256 is " + actual + ", " +
                       sidecar.filename().string() + " records " +
                       (recorded.empty() ? std::string("nothing") : recorded));
    }
  }
  try {
    ::torch::jit::Module module = ::torch::jit::load(file.string(), device);
    module.eval();
    return module;
  } catch (const c10::Error& e) {
    throw ModelError(where + " is not a TorchScript module saved by torch.jit.save (" +
                     detail::first_line(e.what_without_backtrace()) + ")");
  } catch (const std::exception& e) {
    throw ModelError(where + " could not be loaded as TorchScript (" +
                     detail::first_line(e.what()) + ")");
  }
}

}  // namespace xdream
