#include "undertow/grid/grid_spec.hpp"

#include <cmath>
#include <sstream>

#include "undertow/core/error.hpp"

namespace undertow {

GridSpec GridSpec::line(std::int64_t nx, bool periodic_x, double length) {
  GridSpec g;
  g.dim = 1;
  g.cells = {nx, 1, 1};
  g.upper = {length, 1.0, 1.0};
  g.periodic = {periodic_x, false, false};
  return g;
}

GridSpec GridSpec::rect(std::int64_t nx, std::int64_t ny, std::array<bool, 2> periodic, std::array<double, 2> length) {
  GridSpec g;
  g.dim = 2;
  g.cells = {nx, ny, 1};
  g.upper = {length[0], length[1], 1.0};
  g.periodic = {periodic[0], periodic[1], false};
  return g;
}

GridSpec GridSpec::box(std::int64_t nx, std::int64_t ny, std::int64_t nz, std::array<bool, 3> periodic,
                       std::array<double, 3> length) {
  GridSpec g;
  g.dim = 3;
  g.cells = {nx, ny, nz};
  g.upper = length;
  g.periodic = periodic;
  return g;
}

void GridSpec::validate() const {
  static const char* names = "xyz";
  if (dim < 1 || dim > 3) {
    throw Error("GridSpec: dim must be 1, 2 or 3, got " + std::to_string(dim));
  }
  for (int d = 0; d < 3; ++d) {
    std::ostringstream os;
    if (d < dim) {
      if (cells[d] <= 0) {
        os << "GridSpec: cell count in " << names[d] << " must be positive, got " << cells[d];
        throw Error(os.str());
      }
      if (!(std::isfinite(lower[d]) && std::isfinite(upper[d]) && upper[d] > lower[d])) {
        os << "GridSpec: extent in " << names[d] << " must satisfy lower < upper (finite), got [" << lower[d]
           << ", " << upper[d] << "]";
        throw Error(os.str());
      }
    } else if (cells[d] != 1 || periodic[d]) {
      os << "GridSpec: a " << dim << "D grid must have 1 cell and no periodicity in " << names[d] << ", got "
         << cells[d] << " cell(s)" << (periodic[d] ? ", periodic" : "");
      throw Error(os.str());
    }
  }
}

std::string GridSpec::describe() const {
  static const char* names = "xyz";
  std::ostringstream os;
  os << dim << "D grid ";
  for (int d = 0; d < dim; ++d) os << (d ? " x " : "") << cells[d];
  os << " cells, box";
  for (int d = 0; d < dim; ++d) {
    os << " " << names[d] << "[" << lower[d] << ", " << upper[d] << "]" << (periodic[d] ? " periodic" : "");
  }
  return os.str();
}

}  // namespace undertow
