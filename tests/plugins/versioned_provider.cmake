# SPDX-License-Identifier: MIT
# The same test provider built twice with different version strings, for the hot-swap integration test.
# They land in build/tests/plugins/versioned_v{1,2}/providers/versioned.so.
foreach(_v 1 2)
    lf_add_plugin(providers versioned SOURCES "${CMAKE_CURRENT_LIST_DIR}/versioned/versioned.c"
        OUTPUT_DIR "${LF_TEST_PLUGIN_DIR}/versioned_v${_v}/providers" NO_INSTALL TARGET lf_test_provider_versioned_v${_v})
    target_compile_definitions(lf_test_provider_versioned_v${_v} PRIVATE VERSIONED_VERSION="${_v}.0.0")
endforeach()
