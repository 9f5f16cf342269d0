#include "undertow/multipoint/point_spec.hpp"

#include <algorithm>

namespace undertow {

std::string describe_point(const std::vector<PointSpec>& points, int point) {
  std::string s = "point " + std::to_string(point);
  if (point >= 0 && point < static_cast<int>(points.size()) && !points[static_cast<std::size_t>(point)].name.empty()) {
    s += " '" + points[static_cast<std::size_t>(point)].name + "'";
  }
  return s;
}

std::vector<int> response_offsets(const std::vector<PointSpec>& points) {
  std::vector<int> offsets(points.size() + 1, 0);
  for (std::size_t p = 0; p < points.size(); ++p) offsets[p + 1] = offsets[p] + points[p].responses;
  return offsets;
}

bool depends_on_variable(const PointSpec& point, int k) {
  return point.depends_on.empty() ||
         std::find(point.depends_on.begin(), point.depends_on.end(), k) != point.depends_on.end();
}

}  // namespace undertow
