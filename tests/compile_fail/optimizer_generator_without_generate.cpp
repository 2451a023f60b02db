// expect: the Generator type has no member function `generate\(const xdream::Population&\)`
// The check as a user meets it: an Optimizer over a generator that cannot map codes to stimuli.
#include <xdream/objectives/sphere.hpp>
#include <xdream/optimizer.hpp>

struct NoGenerate {
  xdream::Index code_size() const { return 8; }
};

int main() {
  xdream::Optimizer<NoGenerate, xdream::Sphere> optimizer(NoGenerate{}, xdream::Sphere(8));
  (void)optimizer;
}
