// detail::symmetric_eigen and its parts (include/xdream/algorithms/detail/symmetric_eigen.hpp):
// residual, orthogonality and eigenvalues against Eigen's SelfAdjointEigenSolver, on matrices
// chosen to stress divide and conquer (repeated and clustered eigenvalues, heavy deflation,
// graded entries, sizes around the 32-row base case and the 32-column panel), and the early stop
// of the tridiagonalization.
#include <xdream/algorithms/detail/symmetric_eigen.hpp>

#include <doctest/doctest.h>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <cstdlib>
#include <string>

namespace {
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// Backward-stable eigensolvers have residual and loss of orthogonality of order n eps |C|; the
// bound allows 10 n eps.
double bound(Index n) { return 10.0 * static_cast<double>(n) * 2.220446049250313e-16; }

void check_decomposition(const std::string& name, const MatrixXd& c) {
  CAPTURE(name);
  const Index n = c.rows();
  CAPTURE(n);
  VectorXd values;
  MatrixXd vectors;
  xdream::detail::symmetric_eigen(c, values, vectors);
  const double scale = std::max(c.norm(), 1e-300);
  CHECK((c * vectors - vectors * values.asDiagonal()).norm() / scale <= bound(n));
  CHECK((vectors.transpose() * vectors - MatrixXd::Identity(n, n)).norm() <= bound(n));
  for (Index i = 1; i < n; ++i) CHECK(values[i - 1] <= values[i]);
  const Eigen::SelfAdjointEigenSolver<MatrixXd> reference(c, Eigen::EigenvaluesOnly);
  CHECK((values - reference.eigenvalues()).cwiseAbs().maxCoeff() / scale <= bound(n));
}

void check_tridiagonal(const std::string& name, const VectorXd& d, const VectorXd& e) {
  CAPTURE(name);
  const Index n = d.size();
  CAPTURE(n);
  MatrixXd t = MatrixXd::Zero(n, n);
  t.diagonal() = d;
  t.diagonal(-1) = e;
  t.diagonal(1) = e;
  VectorXd values = d;
  MatrixXd vectors;
  xdream::detail::tridiagonal_eigen(values, e, vectors);
  const double scale = std::max(t.norm(), 1e-300);
  CHECK((t * vectors - vectors * values.asDiagonal()).norm() / scale <= bound(n));
  CHECK((vectors.transpose() * vectors - MatrixXd::Identity(n, n)).norm() <= bound(n));
  Eigen::SelfAdjointEigenSolver<MatrixXd> reference;
  reference.computeFromTridiagonal(d, e, Eigen::EigenvaluesOnly);
  CHECK((values - reference.eigenvalues()).cwiseAbs().maxCoeff() / scale <= bound(n));
}
}  // namespace

TEST_CASE("detail::tridiagonal_eigen (divide and conquer) matches Eigen's QR iteration") {
  std::srand(1);
  for (const Index n : {1, 2, 31, 32, 33, 64, 65, 200}) {
    check_tridiagonal("random", VectorXd::Random(n), VectorXd::Random(n - 1));
    check_tridiagonal("identity (everything deflates)", VectorXd::Ones(n), VectorXd::Zero(n - 1));
    check_tridiagonal("Toeplitz (2, 1)", VectorXd::Constant(n, 2.0), VectorXd::Ones(n - 1));
    VectorXd wilkinson(n);
    for (Index i = 0; i < n; ++i) wilkinson[i] = static_cast<double>(std::abs(i - n / 2));
    check_tridiagonal("Wilkinson (close eigenvalue pairs)", wilkinson, VectorXd::Ones(n - 1));
    VectorXd glue = VectorXd::Ones(n - 1);
    for (Index i = 19; i < n - 1; i += 20) glue[i] = 1e-12;
    check_tridiagonal("glued blocks (clusters)", VectorXd::Ones(n), glue);
    VectorXd split = 1e-9 * VectorXd::Random(n - 1);
    split.tail((n - 1) / 2).setZero();
    check_tridiagonal("near-identity, half decoupled",
                      VectorXd::Ones(n) + 1e-9 * VectorXd::Random(n), split);
    const VectorXd graded = 1e6 * VectorXd::Random(n).cwiseAbs().array().pow(8).matrix();
    check_tridiagonal("graded", graded, 1e-3 * VectorXd::Random(n - 1));
  }
}

TEST_CASE("detail::symmetric_eigen matches Eigen's SelfAdjointEigenSolver") {
  std::srand(2);
  for (const Index n : {1, 2, 5, 33, 70, 150}) {
    const MatrixXd a = MatrixXd::Random(n, n);
    check_decomposition("random symmetric", a + a.transpose());
    check_decomposition("identity", MatrixXd::Identity(n, n));
    check_decomposition("zero", MatrixXd::Zero(n, n));
    const MatrixXd low_rank = MatrixXd::Random(n, std::max<Index>(1, n / 10));
    // CMA-ES's C early in a large run: alpha I plus a few rank-one terms.
    check_decomposition("alpha I + low rank",
                        0.9 * MatrixXd::Identity(n, n) + 1e-3 * low_rank * low_rank.transpose());
    const VectorXd spread = (std::log(10.0) * VectorXd::LinSpaced(n, 0.0, 6.0)).array().exp();
    const Eigen::HouseholderQR<MatrixXd> qr(MatrixXd::Random(n, n));
    const MatrixXd q = qr.householderQ();
    check_decomposition("condition 1e6, rotated", q * spread.asDiagonal() * q.transpose());
    MatrixXd repeated = VectorXd::Ones(n).asDiagonal();
    repeated.topLeftCorner(n / 2, n / 2) *= 4.0;
    check_decomposition("two repeated eigenvalues, rotated", q * repeated * q.transpose());
  }
}

TEST_CASE("detail::symmetric_eigen reads only the lower triangle") {
  std::srand(3);
  const MatrixXd a = MatrixXd::Random(40, 40);
  const MatrixXd c = a * a.transpose();
  MatrixXd lower_only = c;
  lower_only.triangularView<Eigen::StrictlyUpper>().setConstant(1e300);
  VectorXd values, values_lower;
  MatrixXd vectors, vectors_lower;
  xdream::detail::symmetric_eigen(c, values, vectors);
  xdream::detail::symmetric_eigen(lower_only, values_lower, vectors_lower);
  CHECK(values == values_lower);
  CHECK(vectors == vectors_lower);
}

TEST_CASE("detail::tridiagonalize stops early only when the rest is negligible") {
  // alpha I + a rank-k update (CMA-ES's C early in a large run): the reduction from e_1 exhausts
  // its Krylov space after k + 1 columns, and the rest of the trailing matrix is alpha I plus
  // rounding noise; it stops after the panel (32 columns) in which that happens.
  std::srand(4);
  const Index n = 300;
  const MatrixXd u = MatrixXd::Random(n, 20);
  const MatrixXd low_rank = 0.9 * MatrixXd::Identity(n, n) + 1e-3 * u * u.transpose();
  MatrixXd a = low_rank;
  VectorXd h;
  CHECK(xdream::detail::tridiagonalize(a, h) == 32);
  CHECK((h.tail(n - 1 - 32).array() == 0.0).all());
  CHECK((a.diagonal(-1).tail(n - 1 - 32).array() == 0.0).all());
  check_decomposition("alpha I + rank 20, n = 300", low_rank);

  // The same with a coupling of 1e-10 everywhere: small, but far above rounding (the test's
  // threshold is 8 sqrt(n) eps |C|_F, ~5e-13 here). It must be reduced in full.
  const MatrixXd noise = MatrixXd::Random(n, n);
  const MatrixXd coupled = low_rank + 1e-10 * (noise + noise.transpose());
  a = coupled;
  CHECK(xdream::detail::tridiagonalize(a, h) == n - 1);
  check_decomposition("alpha I + rank 20 + 1e-10 coupling, n = 300", coupled);
  const MatrixXd random = noise + noise.transpose();
  a = random;
  CHECK(xdream::detail::tridiagonalize(a, h) == n - 1);
}
