#include "undertow/mesh/cell_field.hpp"

#include "undertow/core/error.hpp"

namespace undertow {
namespace mesh {

const char* to_string(CellFieldKind kind) {
  switch (kind) {
    case CellFieldKind::Coefficient:
      return "coefficient";
    case CellFieldKind::Bathymetry:
      return "bathymetry";
    case CellFieldKind::Mask:
      return "mask";
  }
  return "?";
}

CellFieldKind cell_field_kind_from_string(const std::string& name) {
  for (CellFieldKind k : {CellFieldKind::Coefficient, CellFieldKind::Bathymetry, CellFieldKind::Mask}) {
    if (name == to_string(k)) return k;
  }
  throw Error("unknown cell field kind '" + name + "'; expected one of coefficient, bathymetry, mask");
}

}  // namespace mesh
}  // namespace undertow
