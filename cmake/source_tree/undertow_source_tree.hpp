// Where the Undertow source tree of this build is, for the examples and tests
// that read its sample meshes. The values live in a generated one-line source
// file (cmake/UndertowSourceTree.cmake), not in compile definitions: a path in a
// compile flag would make every file that uses it a compiler-cache miss in each
// fresh clone, where only that one small file needs recompiling now.
#pragma once

namespace undertow_build {
/// The source tree's root directory (absolute).
extern const char* const source_dir;
/// Its meshes/ directory (absolute).
extern const char* const meshes_dir;
}  // namespace undertow_build
