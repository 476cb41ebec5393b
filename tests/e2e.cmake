# End-to-end suites: Python unittest modules in tests/e2e that drive the real binary.
# They run under Debian's /usr/bin/python3, where the python3-* client packages live.
if(TARGET taube)
  file(GLOB e2e_tests ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_*.py)
  foreach(t ${e2e_tests})
    get_filename_component(name ${t} NAME_WE)
    add_test(NAME e2e_${name}
      COMMAND /usr/bin/python3 -m unittest -v ${name}
      WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
    set_tests_properties(e2e_${name} PROPERTIES
      LABELS e2e TIMEOUT 900
      ENVIRONMENT "TAUBE_BIN=$<TARGET_FILE:taube>;PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")
  endforeach()
  # Issue 7: the IMAP and SMTP suites again, on PostgreSQL (a throwaway server per suite).
  foreach(name test_imap test_smtp test_smtp_crash)
    add_test(NAME e2e_pg_${name}
      COMMAND /usr/bin/python3 -m unittest -v ${name}
      WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
    set_tests_properties(e2e_pg_${name} PROPERTIES
      LABELS "e2e;postgresql" TIMEOUT 900
      ENVIRONMENT "TAUBE_BIN=$<TARGET_FILE:taube>;TAUBE_TEST_STORE=postgresql;PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")
  endforeach()
endif()
