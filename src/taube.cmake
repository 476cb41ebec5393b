# The `taube` executable; CLI11 is used here only (see DEPENDENCIES.md: compile time).
add_executable(taube ${CMAKE_CURRENT_SOURCE_DIR}/main.cpp)
target_link_libraries(taube PRIVATE server admin config log CLI11::CLI11 Boost::headers)
target_compile_definitions(taube PRIVATE TAUBE_VERSION="${PROJECT_VERSION}")
set_target_properties(taube PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
