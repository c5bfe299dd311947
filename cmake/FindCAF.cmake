# FindCAF.cmake -- Debian's libcaf-dev (0.17.6) ships neither CMake config
# files nor a .pc file. This module finds headers and libraries and defines
# the imported targets CAF::core, CAF::io and CAF::openssl (the names CAF >= 0.18
# exports itself). A CAF that ships its own config is preferred.
find_package(CAF CONFIG QUIET)
if(CAF_FOUND AND TARGET CAF::core)
  return()
endif()

find_path(CAF_INCLUDE_DIR NAMES caf/all.hpp caf/detail/build_config.hpp)
if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_ver_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX MATCH "[0-9]+" _caf_ver_int "${_caf_ver_line}")
  math(EXPR _maj "${_caf_ver_int} / 10000")
  math(EXPR _min "(${_caf_ver_int} / 100) % 100")
  math(EXPR _pat "${_caf_ver_int} % 100")
  set(CAF_VERSION "${_maj}.${_min}.${_pat}")
endif()

foreach(_comp core io openssl)
  find_library(CAF_${_comp}_LIBRARY NAMES caf_${_comp} caf_${_comp}_static)
  if(CAF_${_comp}_LIBRARY)
    set(CAF_${_comp}_FOUND TRUE)
  endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_core_LIBRARY
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)

if(CAF_FOUND)
  find_package(Threads REQUIRED)
  if(NOT TARGET CAF::core)
    add_library(CAF::core UNKNOWN IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_core_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  if(CAF_io_LIBRARY AND NOT TARGET CAF::io)
    add_library(CAF::io UNKNOWN IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_io_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::core)
  endif()
  if(CAF_openssl_LIBRARY AND NOT TARGET CAF::openssl)
    add_library(CAF::openssl UNKNOWN IMPORTED)
    set_target_properties(CAF::openssl PROPERTIES
      IMPORTED_LOCATION "${CAF_openssl_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::io)
  endif()
endif()
mark_as_advanced(CAF_INCLUDE_DIR CAF_core_LIBRARY CAF_io_LIBRARY CAF_openssl_LIBRARY)
