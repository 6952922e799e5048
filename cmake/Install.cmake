# make install PREFIX=... and make package (.deb): the command, the library
# with its soname, its plugins beside it (found there at run time),
# public headers, man pages, a pkg-config file and a CMake package config.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The installed command finds libmedseg in its prefix, wherever that is.
set_target_properties(medseg_cli PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
install(TARGETS medseg_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS medseg EXPORT medsegTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS medseg_codecs medseg_sr LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(plugin medseg_torch medseg_faiss)
  if(TARGET ${plugin})
    install(TARGETS ${plugin} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  endif()
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/medseg DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
file(GLOB MEDSEG_MAN_PAGES ${PROJECT_SOURCE_DIR}/man/*.1)
install(FILES ${MEDSEG_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

configure_file(${PROJECT_SOURCE_DIR}/cmake/medseg.pc.in ${PROJECT_BINARY_DIR}/medseg.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/medseg.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT medsegTargets NAMESPACE medseg:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/medseg)
configure_file(${PROJECT_SOURCE_DIR}/cmake/medsegConfig.cmake.in ${PROJECT_BINARY_DIR}/medsegConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/medsegConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/medsegConfig.cmake ${PROJECT_BINARY_DIR}/medsegConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/medseg)

# The .deb: its dependencies are the Debian runtime packages the binaries
# link, as dpkg-shlibdeps finds them.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME medseg)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "medseg developers <medseg@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "3-D medical image segmentation and analysis toolkit")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/lib)
include(CPack)
