# SPDX-License-Identifier: MIT
# Deliberately broken plugins: each refusal of the loader has one (tests/unit/loader.c asserts the messages).
set(_b "${CMAKE_CURRENT_SOURCE_DIR}/broken/broken.c")
set(_out "${LF_TEST_PLUGIN_DIR}/broken")
foreach(v MISSING_ENTRY ABI_MAJOR SHORT_STRUCT UNKNOWN_KIND ABI_EXTRA)
    string(TOLOWER "${v}" n)
    lf_add_plugin(providers ${n} SOURCES "${_b}" OUTPUT_DIR "${_out}" NO_INSTALL TARGET lf_test_broken_${n})
    target_compile_definitions(lf_test_broken_${n} PRIVATE BROKEN_${v} PLUGIN_NAME="${n}")
endforeach()
# two valid plugins with the same name, and a good one
foreach(n dup_a dup_b good)
    lf_add_plugin(providers ${n} SOURCES "${_b}" OUTPUT_DIR "${_out}" NO_INSTALL TARGET lf_test_broken_${n})
endforeach()
target_compile_definitions(lf_test_broken_dup_a PRIVATE PLUGIN_NAME="dup" PLUGIN_VERSION="1.0.0")
target_compile_definitions(lf_test_broken_dup_b PRIVATE PLUGIN_NAME="dup" PLUGIN_VERSION="2.0.0")
target_compile_definitions(lf_test_broken_good PRIVATE PLUGIN_NAME="good" PLUGIN_VERSION="1.2.3")
