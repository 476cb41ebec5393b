# The session state machine is the pure smtp_server_core (the fuzz build adds the
# smtp/server folder, where only that library is pure).
taube_fuzz_target(smtp_session_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/smtp_session_fuzz.cpp
  DEPS smtp_server_core)
