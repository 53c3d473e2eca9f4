# Obtains the Milvus v2 protocol definitions at configure time.
#
# Default: `npm pack @zilliz/milvus2-sdk-node@<version>` into the build tree
# (cached there), checked against a pinned sha256; its
# package/dist/proto/proto/ holds milvus-proto tag v<version> verbatim.
# Offline: -DCOVE_MILVUS_PROTO_DIR=<dir> points at a directory that holds
# milvus.proto, common.proto, schema.proto, msg.proto, rg.proto and
# feder.proto (for example the proto/ folder of a milvus-proto checkout).
#
# The package's own copy of google/protobuf/descriptor.proto is never used:
# protoc resolves it from the system protobuf includes.
#
# Sets COVE_MILVUS_PROTO_SOURCE_DIR to a directory with exactly the six files.

set(COVE_MILVUS_SDK_VERSION "2.5.6")
set(COVE_MILVUS_SDK_SHA256
    "d57ca9885d909dc4fed4f2f04104b339eff1b97051e9ffb35731dd63d7698c1d")
set(COVE_MILVUS_PROTO_FILES
    milvus.proto common.proto schema.proto msg.proto rg.proto feder.proto)

set(_cove_proto_out "${CMAKE_BINARY_DIR}/_deps/milvus-proto")
file(MAKE_DIRECTORY "${_cove_proto_out}")

if(COVE_MILVUS_PROTO_DIR)
  set(_cove_proto_src "${COVE_MILVUS_PROTO_DIR}")
  foreach(f IN LISTS COVE_MILVUS_PROTO_FILES)
    if(NOT EXISTS "${_cove_proto_src}/${f}")
      message(FATAL_ERROR
        "COVE_MILVUS_PROTO_DIR=${COVE_MILVUS_PROTO_DIR} has no ${f} "
        "(expected the six Milvus v2 protos: ${COVE_MILVUS_PROTO_FILES})")
    endif()
  endforeach()
  message(STATUS "Milvus protos: using local copy ${COVE_MILVUS_PROTO_DIR}")
else()
  set(_cove_tgz
      "${CMAKE_BINARY_DIR}/_deps/zilliz-milvus2-sdk-node-${COVE_MILVUS_SDK_VERSION}.tgz")
  set(_cove_have_valid FALSE)
  if(EXISTS "${_cove_tgz}")
    file(SHA256 "${_cove_tgz}" _cove_sum)
    if(_cove_sum STREQUAL COVE_MILVUS_SDK_SHA256)
      set(_cove_have_valid TRUE)
    else()
      file(REMOVE "${_cove_tgz}")
    endif()
  endif()
  if(NOT _cove_have_valid)
    find_program(COVE_NPM npm)
    if(NOT COVE_NPM)
      message(FATAL_ERROR
        "Milvus protos: 'npm' is needed to fetch @zilliz/milvus2-sdk-node@"
        "${COVE_MILVUS_SDK_VERSION} (run scripts/install-deps.sh), or pass "
        "-DCOVE_MILVUS_PROTO_DIR=<dir with the milvus-proto v2.5.6 .proto files>")
    endif()
    message(STATUS "Milvus protos: npm pack @zilliz/milvus2-sdk-node@${COVE_MILVUS_SDK_VERSION}")
    execute_process(
      COMMAND "${COVE_NPM}" pack --silent
              "@zilliz/milvus2-sdk-node@${COVE_MILVUS_SDK_VERSION}"
      WORKING_DIRECTORY "${CMAKE_BINARY_DIR}/_deps"
      RESULT_VARIABLE _cove_rc
      OUTPUT_VARIABLE _cove_out
      ERROR_VARIABLE _cove_err)
    if(NOT _cove_rc EQUAL 0 OR NOT EXISTS "${_cove_tgz}")
      message(FATAL_ERROR
        "Milvus protos: 'npm pack @zilliz/milvus2-sdk-node@${COVE_MILVUS_SDK_VERSION}' "
        "failed (exit ${_cove_rc}): ${_cove_err}\n"
        "Without network access, pass -DCOVE_MILVUS_PROTO_DIR=<dir> with a local "
        "milvus-proto v${COVE_MILVUS_SDK_VERSION} proto/ directory.")
    endif()
    file(SHA256 "${_cove_tgz}" _cove_sum)
    if(NOT _cove_sum STREQUAL COVE_MILVUS_SDK_SHA256)
      file(RENAME "${_cove_tgz}" "${_cove_tgz}.rejected")
      message(FATAL_ERROR
        "Milvus protos: sha256 mismatch for @zilliz/milvus2-sdk-node@"
        "${COVE_MILVUS_SDK_VERSION} (expected ${COVE_MILVUS_SDK_SHA256}, got "
        "${_cove_sum}); the download was kept as ${_cove_tgz}.rejected and "
        "not used")
    endif()
  endif()
  set(_cove_extract "${CMAKE_BINARY_DIR}/_deps/milvus-sdk-node")
  if(NOT EXISTS "${_cove_extract}/package/dist/proto/proto/milvus.proto")
    file(REMOVE_RECURSE "${_cove_extract}")
    file(MAKE_DIRECTORY "${_cove_extract}")
    file(ARCHIVE_EXTRACT INPUT "${_cove_tgz}" DESTINATION "${_cove_extract}"
         PATTERNS "package/dist/proto/proto/*.proto")
  endif()
  set(_cove_proto_src "${_cove_extract}/package/dist/proto/proto")
  message(STATUS "Milvus protos: @zilliz/milvus2-sdk-node@${COVE_MILVUS_SDK_VERSION} (sha256 ok)")
endif()

# Copy only the six protos, so that no bundled google/ copy is ever seen.
foreach(f IN LISTS COVE_MILVUS_PROTO_FILES)
  configure_file("${_cove_proto_src}/${f}" "${_cove_proto_out}/${f}" COPYONLY)
endforeach()
set(COVE_MILVUS_PROTO_SOURCE_DIR "${_cove_proto_out}")
