# Crash tests: a child process is killed with SIGKILL while it writes.
if(TARGET store_sqlite)
  add_executable(store_crash_test ${CMAKE_CURRENT_SOURCE_DIR}/crash/store_crash_test.cpp)
  target_link_libraries(store_crash_test PRIVATE store_sqlite SQLite::SQLite3 GTest::gtest)
  add_test(NAME store_crash_test COMMAND store_crash_test)
  set_tests_properties(store_crash_test PROPERTIES LABELS crash TIMEOUT 900)
endif()
