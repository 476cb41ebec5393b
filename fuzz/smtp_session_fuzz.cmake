# The session state machine is the pure smtp_server_core; the fuzz build adds only
# the pure module folders, so its sources are compiled into the target here.
set(SMTP_CORE_DIR ${PROJECT_SOURCE_DIR}/src/smtp/server)
taube_fuzz_target(smtp_session_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/smtp_session_fuzz.cpp
          ${SMTP_CORE_DIR}/core.cpp ${SMTP_CORE_DIR}/hello.cpp ${SMTP_CORE_DIR}/misc.cpp
          ${SMTP_CORE_DIR}/starttls.cpp ${SMTP_CORE_DIR}/auth.cpp ${SMTP_CORE_DIR}/envelope.cpp
          ${SMTP_CORE_DIR}/message.cpp ${SMTP_CORE_DIR}/trace.cpp
  DEPS smtp_wire auth_sasl base)
