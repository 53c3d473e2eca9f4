# cove_proto_library(<target> IMPORT_DIRS <dirs> PROTOS <files> [GRPC <files>])
#
# Compiles .proto files (paths relative to the first import dir) into a static,
# position-independent library with protoc and grpc_cpp_plugin. The generated
# headers are reachable only through this target (never from include/).
function(cove_proto_library target)
  cmake_parse_arguments(ARG "" "OUT_SUBDIR" "IMPORT_DIRS;PROTOS;GRPC" ${ARGN})
  list(GET ARG_IMPORT_DIRS 0 _root)
  set(_out "${CMAKE_BINARY_DIR}/generated/${ARG_OUT_SUBDIR}")
  file(MAKE_DIRECTORY "${_out}")
  set(_include_flags)
  foreach(dir IN LISTS ARG_IMPORT_DIRS)
    list(APPEND _include_flags "-I${dir}")
  endforeach()
  list(APPEND _include_flags "-I${Protobuf_INCLUDE_DIR}")
  set(_srcs)
  foreach(proto IN LISTS ARG_PROTOS)
    string(REGEX REPLACE "\\.proto$" "" _base "${proto}")
    set(_gen "${_out}/${_base}.pb.cc" "${_out}/${_base}.pb.h")
    set(_flags "--cpp_out=${_out}")
    if(proto IN_LIST ARG_GRPC)
      list(APPEND _gen "${_out}/${_base}.grpc.pb.cc" "${_out}/${_base}.grpc.pb.h")
      list(APPEND _flags "--grpc_out=${_out}"
           "--plugin=protoc-gen-grpc=${COVE_GRPC_CPP_PLUGIN}")
    endif()
    add_custom_command(
      OUTPUT ${_gen}
      COMMAND protobuf::protoc ${_include_flags} ${_flags} "${_root}/${proto}"
      DEPENDS "${_root}/${proto}" protobuf::protoc
      COMMENT "protoc ${proto}"
      VERBATIM)
    foreach(g IN LISTS _gen)
      if(g MATCHES "\\.cc$")
        list(APPEND _srcs "${g}")
      endif()
    endforeach()
  endforeach()
  add_library(${target} STATIC ${_srcs})
  # Generated sources define the same file-local names: never one unity
  # source (CMAKE_UNITY_BUILD, see scripts/test.sh).
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON
                                             UNITY_BUILD OFF)
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${_out}>")
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  # Generated code is not ours to lint or warn about.
  target_compile_options(${target} PRIVATE -w)
  # Sanitizer and fuzzer builds treat it like the protobuf and gRPC
  # libraries it calls (Debian's, not instrumented either): no
  # instrumentation, no debug info, no optimization. It is the slowest code
  # of the project to compile (milvus.pb.cc alone took minutes with ASan),
  # and the tests exercise our code, not protoc's.
  if(COVE_SANITIZE OR COVE_TSAN OR COVE_BUILD_FUZZERS)
    # (-fno-sanitize=all also drops clang's fuzzer-no-link coverage.)
    target_compile_options(${target} PRIVATE -fno-sanitize=all -O0 -g0)
  endif()
endfunction()
