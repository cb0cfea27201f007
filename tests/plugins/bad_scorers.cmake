# SPDX-License-Identifier: MIT
# Misbehaving scorers for the quality pipeline tests: one returns NaN, one 1.5, one an error.
# They land in build/tests/plugins/bad_scorers/{nan,over1,error}.so.
foreach(_mode nan over1 error)
    lf_add_plugin(scorers ${_mode} SOURCES "${CMAKE_CURRENT_LIST_DIR}/bad_scorers/bad_scorer.c"
        OUTPUT_DIR "${LF_TEST_PLUGIN_DIR}/bad_scorers" NO_INSTALL TARGET lf_test_scorer_${_mode})
    string(TOUPPER "${_mode}" _MODE)
    target_compile_definitions(lf_test_scorer_${_mode} PRIVATE BAD_${_MODE}=1 BAD_NAME="${_mode}")
endforeach()
