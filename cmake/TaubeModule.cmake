# taube_module(NAME SOURCES ... DEPS ... [PURE])
#   One static library per folder. PURE modules (no Asio, no store, no I/O) are the
#   only ones built for fuzzing.
# taube_test(NAME SOURCES ... DEPS ...)
#   One GoogleTest binary, registered with ctest under the module's name.
function(taube_module name)
  cmake_parse_arguments(M "PURE" "" "SOURCES;DEPS" ${ARGN})
  if(TAUBE_FUZZ AND NOT M_PURE)
    return()
  endif()
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${M_DEPS})
endfunction()

function(taube_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  if(TAUBE_FUZZ)
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
      TAUBE_TESTDATA_DIR="${TAUBE_TESTDATA_DIR}"
      TAUBE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;${T_LABELS}" TIMEOUT 600)
endfunction()
