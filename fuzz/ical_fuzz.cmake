taube_fuzz_target(ical_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/ical_fuzz.cpp DEPS ical)
