# Install rules and the exported CMake package:
#   find_package(ndjit CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE ndjit::ndjit)   # then #include <ndjit/ndjit.h>
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NDJIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ndjit)

set(ndjit_installed_cuda)
if(NDJIT_CUDA)
  set(ndjit_installed_cuda ndjit_runtime_cuda ndjit_codegen_cuda)
endif()
install(TARGETS ndjit_frontend ndjit_runtime ndjit_compile_cache ndjit_compile ndjit_codegen_cpu
  ndjit_codegen ndjit_passes ndjit_ir
  ndjit_warnings ${ndjit_installed_cuda}
  EXPORT ndjitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ndjit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ndjitTargets NAMESPACE ndjit:: DESTINATION ${NDJIT_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ndjitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ndjitConfig.cmake INSTALL_DESTINATION ${NDJIT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ndjitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ndjitConfig.cmake ${PROJECT_BINARY_DIR}/ndjitConfigVersion.cmake
  DESTINATION ${NDJIT_CMAKE_DIR})
