# Checks shared by the consumers that build xdream inside their own tree (add_subdirectory,
# FetchContent): nested, xdream must build nothing of its own and leave the parent's settings
# alone.

# Call before bringing xdream in.
macro(xdream_consumer_record_globals)
  set(xdream_consumer_flags_before "${CMAKE_CXX_FLAGS}")
endmacro()

# Call after; source_dir is where xdream's sources are.
function(xdream_consumer_check_nested source_dir)
  foreach(option IN ITEMS XDREAM_BUILD_TESTS XDREAM_BUILD_EXAMPLES XDREAM_BUILD_BENCHMARKS
                          XDREAM_INSTALL)
    if(${option})
      message(FATAL_ERROR "xdream nested in another project has ${option}=${${option}}; "
                          "it must default to OFF (PROJECT_IS_TOP_LEVEL).")
    endif()
  endforeach()
  # Whatever the targets will be called, tests/, examples/ and bench/ are directories xdream adds.
  get_property(subdirectories DIRECTORY ${source_dir} PROPERTY SUBDIRECTORIES)
  if(subdirectories)
    message(FATAL_ERROR "xdream nested in another project added directories: ${subdirectories}")
  endif()
  if(NOT "${CMAKE_CXX_FLAGS}" STREQUAL "${xdream_consumer_flags_before}")
    message(FATAL_ERROR "xdream changed the parent's CMAKE_CXX_FLAGS from "
                        "'${xdream_consumer_flags_before}' to '${CMAKE_CXX_FLAGS}'.")
  endif()
  if(NOT TARGET xdream::xdream)
    message(FATAL_ERROR "xdream nested in another project defines no xdream::xdream target.")
  endif()
endfunction()
