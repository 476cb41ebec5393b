if(TARGET store_sqlite)
  add_executable(store_bench ${CMAKE_CURRENT_SOURCE_DIR}/store_bench.cpp)
  target_link_libraries(store_bench PRIVATE store_sqlite benchmark::benchmark)
endif()
