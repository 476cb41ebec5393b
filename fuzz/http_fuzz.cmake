taube_fuzz_target(http_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/http_fuzz.cpp DEPS http)
