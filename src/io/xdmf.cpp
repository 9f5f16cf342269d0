// XDMF text for field files. CoRectMesh topologies count nodes (cells + 1) and,
// like the Origin and DxDyDz values, list dimensions slowest first (z y x), the
// order of the HDF5 datasets. A 1D grid is written as a 2D mesh one cell high.
#include <cstdio>
#include <sstream>

#include "hdf5_util.hpp"

namespace undertow {
namespace io {
namespace detail {

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t n = 0; n < parts.size(); ++n) out += (n ? " " : "") + parts[n];
  return out;
}

const char* attribute_type(int components) {
  switch (components) {
    case 1:
      return "Scalar";
    case 2:
    case 3:
      return "Vector";
    case 6:
      return "Tensor6";
    case 9:
      return "Tensor";
    default:
      return "Matrix";
  }
}

}  // namespace

std::string xdmf_uniform_grid(const GridSpec& grid, const std::vector<FieldEntry>& fields, const std::string& h5_href,
                              double time, const std::string& grid_name, const std::string& indent) {
  const int mesh_dim = grid.dim == 3 ? 3 : 2;
  std::vector<std::string> nodes, origin, spacing;
  for (int d = mesh_dim - 1; d >= 0; --d) {
    nodes.push_back(std::to_string(grid.cells[d] + 1));
    origin.push_back(num(grid.lower[d]));
    spacing.push_back(num(grid.spacing(d)));
  }
  const std::string md = std::to_string(mesh_dim);
  std::ostringstream os;
  os << indent << "<Grid Name=\"" << xml_escape(grid_name) << "\" GridType=\"Uniform\">\n";
  os << indent << "  <Time Value=\"" << num(time) << "\"/>\n";
  os << indent << "  <Topology TopologyType=\"" << md << "DCoRectMesh\" Dimensions=\"" << join(nodes) << "\"/>\n";
  os << indent << "  <Geometry GeometryType=\"" << (mesh_dim == 3 ? "ORIGIN_DXDYDZ" : "ORIGIN_DXDY") << "\">\n";
  os << indent << "    <DataItem Name=\"Origin\" Dimensions=\"" << md
     << "\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">" << join(origin) << "</DataItem>\n";
  os << indent << "    <DataItem Name=\"Spacing\" Dimensions=\"" << md
     << "\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">" << join(spacing) << "</DataItem>\n";
  os << indent << "  </Geometry>\n";
  for (const FieldEntry& f : fields) {
    std::vector<std::string> dims;
    for (hsize_t n : dataset_shape(grid, f.components)) dims.push_back(std::to_string(n));
    os << indent << "  <Attribute Name=\"" << xml_escape(f.name) << "\" AttributeType=\""
       << attribute_type(f.components) << "\" Center=\"Cell\">\n";
    os << indent << "    <DataItem Dimensions=\"" << join(dims)
       << "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">" << xml_escape(h5_href) << ":/fields/"
       << xml_escape(f.name) << "</DataItem>\n";
    os << indent << "  </Attribute>\n";
  }
  os << indent << "</Grid>\n";
  return os.str();
}

std::string xdmf_document(const std::string& domain_body) {
  return "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"2.0\">\n  <Domain>\n" +
         domain_body + "  </Domain>\n</Xdmf>\n";
}

}  // namespace detail
}  // namespace io
}  // namespace undertow
