# Helpers for the SMTP end-to-end suites (tests/e2e/test_smtp*.py): built beside
# `taube`, found by the tests next to TAUBE_BIN.
if(TARGET store_sqlite AND TARGET store_postgres AND TARGET taube)
  add_executable(smtp_store_dump ${CMAKE_CURRENT_SOURCE_DIR}/smtp_store_dump.cpp)
  target_link_libraries(smtp_store_dump PRIVATE store_sqlite store_postgres Boost::headers)
  set_target_properties(smtp_store_dump PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  add_dependencies(taube smtp_store_dump)
endif()
