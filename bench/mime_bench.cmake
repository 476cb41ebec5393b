# MIME parsing throughput and BODYSTRUCTURE rendering (Google Benchmark).
add_executable(mime_bench ${CMAKE_CURRENT_SOURCE_DIR}/mime_bench.cpp)
target_link_libraries(mime_bench PRIVATE mime benchmark::benchmark)
