taube_fuzz_target(smtp_wire_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/smtp_wire_fuzz.cpp DEPS smtp_wire)
