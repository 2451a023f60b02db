// A user's program, shared by the three consumer projects: it sees xdream only through the
// `xdream::xdream` target that each project gets in its own way.
#include <xdream/population.hpp>
#include <xdream/random.hpp>
#include <xdream/version.hpp>

#include <cstdio>

int main() {
  xdream::Population codes = xdream::Population::Zero(8, 4);
  xdream::Engine stream = xdream::make_stream(42, 3, 1, xdream::Purpose::user);
  xdream::Engine same_stream = xdream::make_stream(42, 3, 1, xdream::Purpose::user);
  if (codes.rows() != 8 || codes.cols() != 4 || stream() != same_stream()) {
    std::puts("xdream consumer: unexpected result");
    return 1;
  }
  std::printf("xdream %s consumed: population %td x %td\n", xdream::version_string,
              static_cast<std::ptrdiff_t>(codes.rows()), static_cast<std::ptrdiff_t>(codes.cols()));
  return 0;
}
