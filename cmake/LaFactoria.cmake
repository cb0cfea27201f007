# SPDX-License-Identifier: MIT
# Shared build settings: warnings, sanitizers, plugin helpers.

set(LF_WARNINGS
    -Wall -Wextra -Wformat=2 -Wformat-security -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition -Wcast-qual -Wpointer-arith -Wundef -Wwrite-strings -Wvla
    -Wimplicit-fallthrough -Werror=implicit-function-declaration -Werror=incompatible-pointer-types)
if(LF_WERROR)
    list(APPEND LF_WARNINGS -Werror)
endif()
add_compile_options(${LF_WARNINGS})
add_compile_definitions(_GNU_SOURCE)

if(LF_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()

# lf_add_plugin(<kind> <name> SOURCES ... [LIBS ...] [OUTPUT_DIR dir] [NO_INSTALL])
# kind is "providers" or "scorers". Builds <name>.so with hidden visibility, -z defs (a plugin can never
# reach into the core) and a version script exporting only lf_plugin_entry.
function(lf_add_plugin kind name)
    cmake_parse_arguments(P "NO_INSTALL" "OUTPUT_DIR;TARGET" "SOURCES;LIBS" ${ARGN})
    foreach(src ${P_SOURCES})
        if(NOT IS_ABSOLUTE "${src}")
            set(src "${CMAKE_CURRENT_SOURCE_DIR}/${src}")
        endif()
        if(NOT EXISTS "${src}")
            message(WARNING "plugin ${name}: source ${src} is missing; the plugin is not built")
            return()
        endif()
    endforeach()
    if(P_TARGET)
        set(tgt ${P_TARGET})
    else()
        set(tgt lf_${kind}_${name})
    endif()
    add_library(${tgt} MODULE ${P_SOURCES})
    set_target_properties(${tgt} PROPERTIES PREFIX "" OUTPUT_NAME "${name}"
        C_VISIBILITY_PRESET hidden)
    if(P_OUTPUT_DIR)
        set_target_properties(${tgt} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIR}")
    else()
        set_target_properties(${tgt} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${LF_PLUGIN_BUILD_DIR}/${kind}")
    endif()
    target_include_directories(${tgt} PRIVATE "${CMAKE_SOURCE_DIR}/plugins/include")
    target_link_options(${tgt} PRIVATE -Wl,-z,defs -Wl,-z,now
        "-Wl,--version-script=${CMAKE_SOURCE_DIR}/plugins/lafactoria-plugin.map")
    if(P_LIBS)
        target_link_libraries(${tgt} PRIVATE ${P_LIBS})
    endif()
    target_link_libraries(${tgt} PRIVATE m)
    if(NOT P_NO_INSTALL)
        install(TARGETS ${tgt} LIBRARY DESTINATION ${LF_PLUGIN_INSTALL_DIR}/${kind})
    endif()
endfunction()

function(lf_add_provider name)
    lf_add_plugin(providers ${name} ${ARGN})
endfunction()

function(lf_add_scorer name)
    lf_add_plugin(scorers ${name} ${ARGN})
endfunction()
