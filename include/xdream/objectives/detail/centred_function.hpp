#pragma once
/// @file
/// What the classic test functions with their optimum at a centre share: the centre, its
/// checks, the dimension and the optimum's value.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace xdream::detail {

/// The base of Sphere and Rastrigin: a function of x - c whose maximum, 0, lies at the centre c.
/// `where` names the function in the messages of its checks ("xdream::Sphere").
class CentredFunction {
 public:
  Index dimension() const noexcept { return centre_.size(); }
  const Code& optimum() const noexcept { return centre_; }
  static constexpr double optimum_value() noexcept { return 0.0; }

 protected:
  /// The centre (centre, ..., centre) of length `dimension`; dimension range [1, inf).
  CentredFunction(const char* where, Index dimension, float centre)
      : centre_(Code::Constant(checked(where, dimension), centre)) {
    check_centre(where);
  }
  /// The given centre; its length range [1, inf).
  CentredFunction(const char* where, Code centre) : centre_(std::move(centre)) {
    checked(where, centre_.size());
    check_centre(where);
  }

  const Code& centre() const noexcept { return centre_; }

 private:
  void check_centre(const char* where) const {
    if (!centre_.allFinite()) {
      throw std::invalid_argument(std::string(where) + ": the centre (optimum) holds NaN or inf");
    }
  }
  static Index checked(const char* where, Index dimension) {
    require_at_least(where, "dimension", dimension, Index{1});
    return dimension;
  }

  Code centre_;
};

}  // namespace xdream::detail
