taube_fuzz_target(mime_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mime_fuzz.cpp DEPS mime)
