// expect: the Selection type has no member function `draw\(xdream::Engine&\) const`
// The check as a user meets it: Genetic composed with a selection that cannot draw a parent.
#include <xdream/genetic/genetic.hpp>

struct NoDraw {
  void prepare(const xdream::Scores&) {}
};

int main() {
  xdream::Genetic<NoDraw> ga(8);
  (void)ga;
}
