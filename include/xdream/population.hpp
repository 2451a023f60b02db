#pragma once
/// @file
/// The data layout shared by every part of the loop: codes, stimuli, scores.
///
/// A population is a `D x N` column-major float matrix, one code per column. Its memory is that of
/// a row-major `[N, D]` tensor, so a tensor library can wrap it without a copy. Scores are a
/// double vector, one per column; larger is better, NaN means "no response".

#include <Eigen/Core>

#include <cstddef>

namespace xdream {

/// One latent code per column (`code_size x population_size`).
using Population = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
/// One latent code.
using Code = Eigen::Matrix<float, Eigen::Dynamic, 1>;
/// One score per individual; larger is better; NaN = the stimulus could not be scored.
using Scores = Eigen::Matrix<double, Eigen::Dynamic, 1>;

using Index = Eigen::Index;

}  // namespace xdream
