taube_fuzz_target(imap_wire_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/imap_wire_fuzz.cpp DEPS imap_wire)
