#pragma once
/// @file
/// Eigendecomposition of a dense symmetric matrix for CMAES: blocked Householder
/// tridiagonalization (stopping early when the rest of the matrix is diagonal to rounding, as
/// CMA-ES's C = alpha I + low rank is early in a large run), divide and conquer on the
/// tridiagonal matrix, blocked back-transformation (compact WY, 64 reflectors per product).
///
/// Why not Eigen's `SelfAdjointEigenSolver`: at n = 4096 it takes ~100 CPU seconds on the
/// development machine, more than half of it in the implicit QR iteration, which applies every
/// Givens rotation to two full columns of the n x n eigenvector matrix (memory-bound), and a third
/// in the unblocked tridiagonalization (three passes over the trailing matrix per column). This
/// solver does the same reduction blocked (LAPACK's dsytrd/dlatrd: one pass per column plus a
/// matrix-matrix update per panel) and replaces the QR iteration by Cuppen's divide and conquer
/// with deflation and Gu & Eisenstat's eigenvectors (LAPACK's dstedc/dlaed*), whose work is
/// matrix-matrix products; it is ~3x faster at n = 2048 with the same accuracy (residual and
/// orthogonality ~1e-15 n relative).
///
/// References: J. J. M. Cuppen, "A divide and conquer method for the symmetric tridiagonal
/// eigenproblem", Numer. Math. 36 (1981); M. Gu & S. C. Eisenstat, "A divide-and-conquer
/// algorithm for the symmetric tridiagonal eigenproblem", SIAM J. Matrix Anal. Appl. 16 (1995);
/// LAPACK 3 dsytrd, dlatrd, dlaed2, dlaed3.

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/Householder>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace xdream::detail {

/// Eigenvalues and eigenvectors of D + rho z z^T (Cuppen's merge step), expressed in the basis
/// held by the columns of `basis`.
///
/// On entry `d` is ascending, |z| = 1, rho >= 0, and column j of `basis` is the vector that
/// coordinate j stands for. `half[j]` says which rows of that column may be nonzero: 1 = only
/// rows [0, split), 3 = only rows [split, n), 2 = any; the final product skips the known zeros.
/// On return `d` holds the eigenvalues, ascending, and `basis` the matching eigenvectors.
inline void rank_one_eigen_update(Eigen::VectorXd& d, Eigen::VectorXd& z, double rho,
                                  Eigen::MatrixXd& basis, std::vector<int>& half,
                                  Eigen::Index split) {
  using Eigen::Index;
  const Index n = d.size();
  const double tol = 8.0 * std::numeric_limits<double>::epsilon() *
                     std::max(d.cwiseAbs().maxCoeff(), z.cwiseAbs().maxCoeff());

  // Deflation (as dlaed2). A coordinate whose z is negligible is an eigenpair already; of two
  // coordinates with nearly equal d, a rotation zeroes one z, which then is one too.
  std::vector<Index> kept, deflated;
  kept.reserve(static_cast<std::size_t>(n));
  Index pending = -1;
  for (Index j = 0; j < n; ++j) {
    if (rho * std::abs(z[j]) <= tol) {
      deflated.push_back(j);
      continue;
    }
    if (pending >= 0) {
      const Index p = pending;
      const double norm = std::hypot(z[p], z[j]);
      const double c = z[j] / norm, s = -z[p] / norm;
      if (std::abs((d[j] - d[p]) * c * s) <= tol) {
        z[j] = norm;
        z[p] = 0.0;
        for (Index r = 0; r < n; ++r) {
          const double x = basis(r, p), y = basis(r, j);
          basis(r, p) = c * x + s * y;
          basis(r, j) = c * y - s * x;
        }
        if (half[static_cast<std::size_t>(p)] != half[static_cast<std::size_t>(j)]) {
          half[static_cast<std::size_t>(p)] = half[static_cast<std::size_t>(j)] = 2;
        }
        const double dp = d[p] * c * c + d[j] * s * s;
        d[j] = d[p] * s * s + d[j] * c * c;
        d[p] = dp;
        deflated.push_back(p);
        pending = j;
        continue;
      }
      kept.push_back(p);
    }
    pending = j;
  }
  if (pending >= 0) kept.push_back(pending);

  const Index k = static_cast<Index>(kept.size());
  Eigen::VectorXd eigenvalues(n);
  Eigen::MatrixXd vectors(n, n);
  if (k > 0) {
    Eigen::VectorXd dk(k), zk(k);
    for (Index i = 0; i < k; ++i) {
      dk[i] = d[kept[static_cast<std::size_t>(i)]];
      zk[i] = z[kept[static_cast<std::size_t>(i)]];
    }
    const Eigen::ArrayXd rho_z2 = rho * zk.array().square();

    // Secular equation f(lambda) = 1 + rho sum_j z_j^2 / (d_j - lambda) = 0: root i lies in
    // (d_i, d_i+1) (the last in (d_k-1, d_k-1 + rho |z|^2)). It is found as an offset tau from
    // the nearer pole, to the last bits, so that every difference d_j - lambda_i is known to full
    // relative accuracy (what the eigenvectors below need).
    std::vector<Index> origin(static_cast<std::size_t>(k));
    Eigen::VectorXd offset(k);
    Eigen::ArrayXd delta(k), inverse(k);
    constexpr double eps = std::numeric_limits<double>::epsilon();
    for (Index i = 0; i < k; ++i) {
      Index delta_origin = -1;
      const auto secular = [&](Index o, double tau) {
        if (delta_origin != o) {
          delta = dk.array() - dk[o];
          delta_origin = o;
        }
        return 1.0 + (rho_z2 / (delta - tau)).sum();
      };
      Index o = i;
      double lo = 0.0, hi = 0.0;
      if (i < k - 1) {
        const double gap = dk[i + 1] - dk[i];
        if (secular(i, gap / 2.0) >= 0.0) {
          hi = gap / 2.0;
        } else {
          o = i + 1;
          lo = -gap / 2.0;
        }
      } else {
        hi = rho_z2.sum();
        for (int widen = 0; widen < 64 && secular(i, hi) < 0.0; ++widen) hi *= 2.0;  // rounding
      }
      // Newton's method kept inside the bracket (f increases between poles): a step that leaves
      // the bracket is replaced by bisection. Stops when a step changes tau by a few ulps.
      if (delta_origin != o) {
        delta = dk.array() - dk[o];
        delta_origin = o;
      }
      double tau = lo + (hi - lo) / 2.0;
      for (int step = 0; step < 200; ++step) {
        inverse = 1.0 / (delta - tau);
        const double f = 1.0 + (rho_z2 * inverse).sum();
        if (f == 0.0) break;
        (f < 0.0 ? lo : hi) = tau;
        double next = tau - f / (rho_z2 * inverse.square()).sum();
        if (!(next > lo && next < hi)) next = lo + (hi - lo) / 2.0;
        const bool converged = std::abs(next - tau) <= 4.0 * eps * std::abs(next);
        tau = next;
        if (converged || next <= lo || next >= hi) break;
      }
      origin[static_cast<std::size_t>(i)] = o;
      offset[i] = tau;
      eigenvalues[i] = dk[o] + tau;
    }
    // lambda_i - d_j, accurately.
    const auto gap = [&](Index i, Index j) {
      return (dk[origin[static_cast<std::size_t>(i)]] - dk[j]) + offset[i];
    };
    // Gu & Eisenstat: the z for which the computed roots are exact (Loewner's formula, factors
    // paired so that each lies in (0, 1]); eigenvectors built from it are orthogonal to working
    // precision however close the roots are.
    Eigen::VectorXd z_exact(k);
    for (Index j = 0; j < k; ++j) {
      double product = gap(k - 1, j) / rho;
      for (Index i = 0; i < j; ++i) product *= gap(i, j) / (dk[i] - dk[j]);
      for (Index i = j + 1; i < k; ++i) product *= gap(i - 1, j) / (dk[i] - dk[j]);
      z_exact[j] = std::copysign(std::sqrt(std::max(product, 0.0)), zk[j]);
    }
    Eigen::MatrixXd u(k, k);
    for (Index i = 0; i < k; ++i) {
      for (Index j = 0; j < k; ++j) u(j, i) = z_exact[j] / -gap(i, j);
      u.col(i).normalize();
    }

    // vectors = basis[:, kept] u, top and bottom rows separately, each from the columns that
    // have a nonzero part there.
    const auto product = [&](int skipped_half, Index row0, Index rows) {
      if (rows == 0) return;
      std::vector<Index> used;
      for (Index i = 0; i < k; ++i) {
        if (half[static_cast<std::size_t>(kept[static_cast<std::size_t>(i)])] != skipped_half) {
          used.push_back(i);
        }
      }
      const Index count = static_cast<Index>(used.size());
      Eigen::MatrixXd b(rows, count), v(count, k);
      for (Index a = 0; a < count; ++a) {
        const Index i = used[static_cast<std::size_t>(a)];
        b.col(a) = basis.block(row0, kept[static_cast<std::size_t>(i)], rows, 1);
        v.row(a) = u.row(i);
      }
      vectors.block(row0, 0, rows, k).noalias() = b * v;
    };
    product(3, 0, split);
    product(1, split, n - split);
  }
  for (Index a = 0; a < static_cast<Index>(deflated.size()); ++a) {
    eigenvalues[k + a] = d[deflated[static_cast<std::size_t>(a)]];
    vectors.col(k + a) = basis.col(deflated[static_cast<std::size_t>(a)]);
  }
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index a, Index b) { return eigenvalues[a] < eigenvalues[b]; });
  for (Index i = 0; i < n; ++i) {
    d[i] = eigenvalues[order[static_cast<std::size_t>(i)]];
    basis.col(i) = vectors.col(order[static_cast<std::size_t>(i)]);
  }
}

/// Eigenvalues (into `d`, ascending) and eigenvectors (`vectors`, n x n) of the symmetric
/// tridiagonal matrix with diagonal `d` and sub-diagonal `e`, by divide and conquer: split at the
/// middle by a rank-one tear, solve both halves, merge with `rank_one_eigen_update`. Blocks of
/// up to 32 rows go to Eigen's QR iteration.
inline void tridiagonal_eigen(Eigen::VectorXd& d, const Eigen::VectorXd& e,
                              Eigen::MatrixXd& vectors) {
  using Eigen::Index;
  const Index n = d.size();
  if (n <= 32) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> small;
    small.computeFromTridiagonal(d, e, Eigen::ComputeEigenvectors);
    d = small.eigenvalues();
    vectors = small.eigenvectors();
    return;
  }
  // T = diag(T1, T2) + |beta| v v^T with v = e_m-1 + sign(beta) e_m, where T1 and T2 have
  // |beta| taken off their touching diagonal entries.
  const Index m = n / 2;
  const double beta = e[m - 1], rho = std::abs(beta);
  Eigen::VectorXd d1 = d.head(m), d2 = d.tail(n - m);
  d1[m - 1] -= rho;
  d2[0] -= rho;
  Eigen::MatrixXd q1, q2;
  tridiagonal_eigen(d1, e.head(m - 1), q1);
  tridiagonal_eigen(d2, e.tail(n - m - 1), q2);
  // In the halves' eigenbasis v becomes (last row of Q1, sign(beta) first row of Q2), of norm
  // sqrt(2).
  Eigen::VectorXd z(n), merged(n);
  z.head(m) = q1.row(m - 1).transpose();
  z.tail(n - m) = (beta < 0.0 ? -1.0 : 1.0) * q2.row(0).transpose();
  z /= std::sqrt(2.0);
  merged.head(m) = d1;
  merged.tail(n - m) = d2;
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index a, Index b) { return merged[a] < merged[b]; });
  Eigen::VectorXd sorted_d(n), sorted_z(n);
  std::vector<int> half(static_cast<std::size_t>(n));
  vectors.setZero(n, n);
  for (Index i = 0; i < n; ++i) {
    const Index o = order[static_cast<std::size_t>(i)];
    sorted_d[i] = merged[o];
    sorted_z[i] = z[o];
    if (o < m) {
      vectors.block(0, i, m, 1) = q1.col(o);
      half[static_cast<std::size_t>(i)] = 1;
    } else {
      vectors.block(m, i, n - m, 1) = q2.col(o - m);
      half[static_cast<std::size_t>(i)] = 3;
    }
  }
  q1 = Eigen::MatrixXd();  // copied into `vectors`: free them before the merge's own work space
  q2 = Eigen::MatrixXd();
  rank_one_eigen_update(sorted_d, sorted_z, 2.0 * rho, vectors, half, m);
  d = sorted_d;
}

/// Householder reduction of the symmetric matrix `a` (lower triangle read) to tridiagonal form,
/// blocked as LAPACK's dsytrd/dlatrd: within a panel of 32 columns each column costs one
/// symmetric matrix-vector product with the not yet updated trailing matrix; the panel's
/// reflectors then update that matrix with one rank-64 matrix-matrix product. On return `a`
/// holds T's diagonal and sub-diagonal and, below that, the essential parts of the reflectors,
/// whose coefficients are in `h`: Eigen's Tridiagonalization layout.
///
/// Returns the number L of reflectors computed. The reduction stops early, after a panel, when
/// the trailing block's off-diagonal part is negligible: Frobenius norm at most
/// 8 sqrt(n) eps |A|_F (a backward error of the order the reduction itself commits, and far
/// below the 10 n eps |A|_F the tests allow). That part is then taken as zero: the sub-diagonal
/// from L on is set to 0, the reflectors from L on are the identity (h = 0). This is what makes
/// CMA-ES's covariance cheap early in a large run: C = alpha I + a rank-k update, k = (lambda +
/// 1) generations << n, whose Householder reduction from e_1 exhausts its Krylov space after
/// about k + 1 columns; the rest of the trailing matrix is alpha I plus rounding noise, which a
/// full reduction would only turn into reflectors chosen by that noise.
inline Eigen::Index tridiagonalize(Eigen::MatrixXd& a, Eigen::VectorXd& h) {
  using Eigen::Index;
  constexpr Index panel = 32;
  const Index n = a.rows();
  h.setZero(std::max<Index>(n - 1, 0));
  double norm_squared = 0.0;  // |A|_F^2 from the lower triangle
  for (Index j = 0; j < n; ++j) {
    norm_squared += a(j, j) * a(j, j) + 2.0 * a.col(j).tail(n - j - 1).squaredNorm();
  }
  const double negligible = 8.0 * std::sqrt(static_cast<double>(n)) *
                            std::numeric_limits<double>::epsilon() * std::sqrt(norm_squared);
  // The panel's reflectors V and the matching W side by side, [V W], and swapped, [W V], so that
  // the trailing update V W^T + W V^T is one product [V W] [W V]^T.
  Eigen::MatrixXd vw(n, 2 * panel), wv(n, 2 * panel);
  Eigen::VectorXd w;
  for (Index j = 0; j + 1 < n; j += panel) {
    const Index b = std::min(panel, n - 1 - j), m = n - j;
    auto vp = vw.block(0, 0, m, b);
    auto wp = vw.block(0, b, m, b);
    vp.setZero();
    wp.setZero();
    for (Index i = 0; i < b; ++i) {
      const Index c = j + i, r = n - c - 1, local = c - j;
      if (i > 0) {  // bring column c up to date with the panel's earlier reflectors
        a.col(c).tail(n - c).noalias() -=
            vp.block(local, 0, n - c, i) * wp.row(local).head(i).transpose();
        a.col(c).tail(n - c).noalias() -=
            wp.block(local, 0, n - c, i) * vp.row(local).head(i).transpose();
      }
      double tau = 0.0, beta = 0.0;
      a.col(c).tail(r).makeHouseholderInPlace(tau, beta);
      h[c] = tau;
      a(c + 1, c) = 1.0;  // v = (1, essential part), in place while it is used
      const auto v = a.col(c).tail(r);
      // w = tau (A v - V W^T v - W V^T v) - (tau / 2) (w^T v) v, A the trailing matrix as it was
      // at the panel's start.
      w.noalias() = a.bottomRightCorner(r, r).selfadjointView<Eigen::Lower>() * v;
      if (i > 0) {
        const auto vr = vp.block(local + 1, 0, r, i), wr = wp.block(local + 1, 0, r, i);
        w.noalias() -= vr * (wr.transpose() * v);
        w.noalias() -= wr * (vr.transpose() * v);
      }
      w *= tau;
      w -= (0.5 * tau * w.dot(v)) * v;
      vp.col(i).tail(r) = v;
      wp.col(i).tail(r) = w;
      a(c + 1, c) = beta;
    }
    const Index done = j + b, trailing = n - done;
    if (trailing == 0) continue;
    wv.block(0, 0, m, b) = wp;
    wv.block(0, b, m, b) = vp;
    a.bottomRightCorner(trailing, trailing).triangularView<Eigen::Lower>() -=
        vw.block(b, 0, trailing, 2 * b) * wv.block(b, 0, trailing, 2 * b).transpose();
    // Early stop: tried only when the panel's last column was already negligible, so that a
    // matrix without such a block pays nothing for the test.
    if (trailing > 1 && std::abs(a(done, done - 1)) <= negligible) {
      double off_diagonal = 0.0;
      for (Index col = done; col + 1 < n; ++col) {
        off_diagonal += 2.0 * a.col(col).tail(n - col - 1).squaredNorm();
      }
      if (std::sqrt(off_diagonal) <= negligible) {
        for (Index col = done; col + 1 < n; ++col) a(col + 1, col) = 0.0;
        return done;
      }
    }
  }
  return std::max<Index>(n - 1, 0);
}

/// q <- H_0 H_1 ... H_{L-1} q, with H_c = I - h_c v_c v_c^T the first L reflectors that
/// `tridiagonalize` left in `a` (v_c: 1 at row c + 1, its essential part below).
/// Blocked as LAPACK's dormtr: 64 reflectors at a time in compact WY form I - V T V^T, applied
/// with two matrix-matrix products (V explicit, with its zeros, so both are plain products).
inline void apply_reflectors(const Eigen::MatrixXd& a, const Eigen::VectorXd& h,
                             Eigen::Index length, Eigen::MatrixXd& q) {
  using Eigen::Index;
  constexpr Index block = 64;
  const Index n = a.rows();
  Eigen::MatrixXd v, t, gram, product;
  Eigen::VectorXd column;
  for (Index end = length; end > 0; end -= block) {
    const Index k = std::max<Index>(end - block, 0), bs = end - k, rows = n - k - 1;
    // V: rows k + 1 ... n - 1, column i is reflector k + i (zero above its unit entry).
    v.setZero(rows, bs);
    for (Index i = 0; i < bs; ++i) {
      v(i, i) = 1.0;
      v.col(i).tail(rows - i - 1) = a.col(k + i).tail(rows - i - 1);
    }
    // T upper triangular with H_k ... H_{k+bs-1} = I - V T V^T (LAPACK dlarft, forward).
    gram.noalias() = v.transpose() * v;
    t.setZero(bs, bs);
    for (Index i = 0; i < bs; ++i) {
      const double tau = h[k + i];
      t(i, i) = tau;
      if (i > 0) {
        column.noalias() =
            t.topLeftCorner(i, i).triangularView<Eigen::Upper>() * gram.col(i).head(i);
        t.col(i).head(i) = -tau * column;
      }
    }
    auto target = q.bottomRows(rows);
    product.noalias() = v.transpose() * target;
    product = t.triangularView<Eigen::Upper>() * product;
    target.noalias() -= v * product;
  }
}

/// Eigenvalues (ascending) and orthonormal eigenvectors (one per column) of the symmetric matrix
/// `c`, of which only the lower triangle is read. `c` must be finite.
inline void symmetric_eigen(const Eigen::MatrixXd& c, Eigen::VectorXd& eigenvalues,
                            Eigen::MatrixXd& eigenvectors) {
  using Eigen::Index;
  const Index n = c.rows();
  if (n == 1) {
    eigenvalues = c.diagonal();
    eigenvectors.setOnes(1, 1);
    return;
  }
  Eigen::MatrixXd a = c;
  Eigen::VectorXd h;
  const Index length = tridiagonalize(a, h);
  // T = diag(T_0, D): T_0 the leading (L + 1) x (L + 1) block, D diagonal when the reduction
  // stopped early. Only T_0 goes to divide and conquer; D's eigenvectors are unit vectors.
  const Index reduced = length + 1;
  Eigen::VectorXd values = a.diagonal();
  Eigen::VectorXd head = values.head(reduced);
  Eigen::MatrixXd q0;
  tridiagonal_eigen(head, a.diagonal(-1).head(reduced - 1), q0);
  values.head(reduced) = head;
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index i, Index j) { return values[i] < values[j]; });
  eigenvalues.resize(n);
  eigenvectors.setZero(n, n);
  for (Index col = 0; col < n; ++col) {
    const Index o = order[static_cast<std::size_t>(col)];
    eigenvalues[col] = values[o];
    if (o < reduced) {
      eigenvectors.col(col).head(reduced) = q0.col(o);
    } else {
      eigenvectors(o, col) = 1.0;
    }
  }
  q0 = Eigen::MatrixXd();
  apply_reflectors(a, h, length, eigenvectors);
}

}  // namespace xdream::detail
