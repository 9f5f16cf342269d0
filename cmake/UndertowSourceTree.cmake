# undertow_source_tree: a tiny library that tells examples and tests where the
# source tree (and its meshes/) is; see source_tree/undertow_source_tree.hpp.
set(_undertow_source_tree_cpp "${PROJECT_BINARY_DIR}/generated/undertow_source_tree.cpp")
file(CONFIGURE OUTPUT "${_undertow_source_tree_cpp}" CONTENT [[
#include "undertow_source_tree.hpp"
namespace undertow_build {
const char* const source_dir = "@PROJECT_SOURCE_DIR@";
const char* const meshes_dir = "@PROJECT_SOURCE_DIR@/meshes";
}  // namespace undertow_build
]] @ONLY)
add_library(undertow_source_tree STATIC "${_undertow_source_tree_cpp}")
target_include_directories(undertow_source_tree PUBLIC "${CMAKE_CURRENT_LIST_DIR}/source_tree")
