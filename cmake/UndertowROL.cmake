# Trilinos ROL, optional: the optimiser behind include/undertow/optimize/rol.hpp.
# ROL is header-only templates on Teuchos. Debian's ROLConfig.cmake links every
# Trilinos package (its own Serial Kokkos among them), so only ROL's headers and
# the Teuchos libraries its code calls are used here: target Undertow::rol.
option(UNDERTOW_WITH_ROL "Build the ROL adapter's tests and examples when ROL is installed" ON)
set(UNDERTOW_HAVE_ROL OFF)
if(UNDERTOW_WITH_ROL)
  find_path(UNDERTOW_ROL_INCLUDE_DIR ROL_Vector.hpp PATH_SUFFIXES trilinos)
  find_path(UNDERTOW_TEUCHOS_INCLUDE_DIR Teuchos_RCP.hpp PATH_SUFFIXES trilinos)
  set(_undertow_teuchos_libs "")
  set(_undertow_rol_missing "")
  foreach(lib teuchosparameterlist teuchosnumerics teuchosparser teuchoscore)
    find_library(UNDERTOW_TRILINOS_${lib} NAMES trilinos_${lib} ${lib})
    if(UNDERTOW_TRILINOS_${lib})
      list(APPEND _undertow_teuchos_libs ${UNDERTOW_TRILINOS_${lib}})
    else()
      list(APPEND _undertow_rol_missing ${lib})
    endif()
  endforeach()
  if(UNDERTOW_ROL_INCLUDE_DIR AND UNDERTOW_TEUCHOS_INCLUDE_DIR AND NOT _undertow_rol_missing)
    add_library(undertow_rol INTERFACE)
    add_library(Undertow::rol ALIAS undertow_rol)
    # SYSTEM: ROL's and Teuchos' own warnings are not ours. Debian's ROL headers
    # share a folder with Debian's Kokkos headers, so Undertow's Kokkos headers go
    # first, whatever the order in which a target links its libraries.
    target_include_directories(undertow_rol SYSTEM INTERFACE
      $<TARGET_PROPERTY:Kokkos::kokkoscore,INTERFACE_INCLUDE_DIRECTORIES>
      ${UNDERTOW_ROL_INCLUDE_DIR} ${UNDERTOW_TEUCHOS_INCLUDE_DIR})
    target_link_libraries(undertow_rol INTERFACE undertow ${_undertow_teuchos_libs})
    set(UNDERTOW_HAVE_ROL ON)
    message(STATUS "Undertow: ROL in ${UNDERTOW_ROL_INCLUDE_DIR} (optimize/rol.hpp tests and examples)")
  else()
    message(STATUS "Undertow: ROL not found (libtrilinos-rol-dev libtrilinos-teuchos-dev; missing: "
                   "${_undertow_rol_missing}); the optimisation tests and examples are skipped")
  endif()
endif()
