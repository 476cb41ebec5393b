taube_fuzz_target(dav_xml_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dav_xml_fuzz.cpp DEPS dav_wire)
