/*
 * core/src/cli.h - the non-server commands of the lafactoria executable
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_CLI_H
#define LF_CORE_CLI_H

struct lf_config;

/** `lafactoria plugins`: config is stolen. Returns the exit code. */
int lf_cli_plugins(struct lf_config *cfg);
/** `lafactoria generate TYPE --topic ...`: argv[0] is TYPE. */
int lf_cli_generate(struct lf_config *cfg, int argc, char **argv);
/** `lafactoria migrate`. */
int lf_cli_migrate(struct lf_config *cfg);

#endif
