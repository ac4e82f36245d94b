# Registered from the top-level CMakeLists (this folder's own CMakeLists.txt
# is the downstream project the test builds). The installed package works
# for a downstream project; not under sanitizers, since the downstream
# build would need their runtime too.
if(NOT LIGHTSPEAD_SANITIZE)
    add_test(NAME install_and_build_downstream
        COMMAND ${CMAKE_CURRENT_LIST_DIR}/run ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
endif()
