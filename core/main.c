/*
 * core/main.c - the lafactoria command: serve, check-config, plugins, generate, migrate
 * SPDX-License-Identifier: MIT
 */
#include <curl/curl.h>
#include <jansson.h>
#include <lafactoria/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "mem.h"
#include "server.h"
#include "upstream.h"

static const char usage_main[] =
    "usage: lafactoria <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve          run the gateway (default)\n"
    "  check-config   validate the configuration and print it with secrets masked\n"
    "  plugins        list loaded plugins with ABI and versions, and why any was refused\n"
    "  generate TYPE  run one generation through the pipeline and print the JSON response\n"
    "  migrate        apply pending database migrations and exit\n"
    "\n"
    "options:\n"
    "  --config PATH  configuration file (default: $LA_FACTORIA_CONFIG or config/lafactoria.json)\n"
    "  --version      print the version\n"
    "  --help         this help; `lafactoria <command> --help` for a command\n";

static const char usage_serve[] = "usage: lafactoria serve [--config PATH]\n"
                                  "Run the HTTP gateway until SIGTERM/SIGINT (graceful) ; SIGHUP reloads.\n"
                                  "Environment: PORT, ENVIRONMENT, DATABASE_URL, LA_FACTORIA_API_KEY,\n"
                                  "LA_FACTORIA_ADMIN_KEY, OPENAI_API_KEY/OPENAI_BASE_URL, ANTHROPIC_API_KEY/\n"
                                  "ANTHROPIC_BASE_URL, GEMINI_API_KEY/GEMINI_BASE_URL, RATE_LIMIT_REQUESTS_PER_MINUTE,\n"
                                  "RATE_LIMIT_GENERATIONS_PER_HOUR, LA_FACTORIA_CONFIG.\n";
static const char usage_check[] = "usage: lafactoria check-config [--config PATH]\n"
                                  "Validate the configuration (exit 1 naming the JSON path on error) and print\n"
                                  "the effective configuration with secrets masked.\n";
static const char usage_plugins[] = "usage: lafactoria plugins [--config PATH]\n"
                                    "List the plugins found in the plugin directory with their ABI and versions,\n"
                                    "the configured instances, and why any plugin was refused.\n";
static const char usage_generate[] =
    "usage: lafactoria generate TYPE --topic TEXT [--age-group GROUP] [--requirements TEXT]\n"
    "                           [--provider NAME] [--config PATH]\n"
    "Run one generation through the same pipeline as the HTTP API; JSON on stdout.\n";
static const char usage_migrate[] = "usage: lafactoria migrate [--config PATH]\n"
                                    "Apply pending migrations to DATABASE_URL (advisory-locked) and exit.\n";

int main(int argc, char **argv)
{
    const char *cmd = "serve";
    const char *config_path = NULL;
    int argi = 1;
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        argi = 2;
    }
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("lafactoria %s (plugin ABI %d.%d)\n", LF_VERSION, LF_PLUGIN_ABI_MAJOR, LF_PLUGIN_ABI_MINOR);
            return 0;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            const char *u = usage_main;
            if (argi == 2) {
                if (strcmp(cmd, "serve") == 0)
                    u = usage_serve;
                else if (strcmp(cmd, "check-config") == 0)
                    u = usage_check;
                else if (strcmp(cmd, "plugins") == 0)
                    u = usage_plugins;
                else if (strcmp(cmd, "generate") == 0)
                    u = usage_generate;
                else if (strcmp(cmd, "migrate") == 0)
                    u = usage_migrate;
            }
            fputs(u, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[i + 1];
    }
    const char *lvl = getenv("LF_LOG_LEVEL");
    if (lvl != NULL) {
        if (strcmp(lvl, "debug") == 0)
            lf_log_set_level(LF_LOG_LVL_DEBUG);
        else if (strcmp(lvl, "warn") == 0)
            lf_log_set_level(LF_LOG_LVL_WARN);
        else if (strcmp(lvl, "error") == 0)
            lf_log_set_level(LF_LOG_LVL_ERROR);
    }

    char err[1024];
    struct lf_config *cfg = NULL;
    if (lf_config_load(config_path, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "lafactoria: configuration error: %s\n", err);
        return 1;
    }
    if (strcmp(cmd, "check-config") == 0) {
        json_t *j = lf_config_to_json_masked(cfg);
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
        json_decref(j);
        lf_config_free(cfg);
        fprintf(stderr, "configuration is valid\n");
        return 0;
    }
    if (strcmp(cmd, "serve") == 0) {
        if (lf_upstream_global_init() != LF_OK) {
            fprintf(stderr, "lafactoria: cannot initialise libcurl\n");
            return 1;
        }
        if (lf_app_init(cfg, err, sizeof(err)) != 0) {
            fprintf(stderr, "lafactoria: %s\n", err);
            return 1;
        }
        int rc = lf_server_run();
        lf_app_shutdown();
        lf_upstream_global_cleanup();
        return rc;
    }
    if (strcmp(cmd, "plugins") == 0)
        return lf_cli_plugins(cfg);
    if (strcmp(cmd, "generate") == 0)
        return lf_cli_generate(cfg, argc - argi, argv + argi);
    if (strcmp(cmd, "migrate") == 0)
        return lf_cli_migrate(cfg);
    lf_config_free(cfg);
    fprintf(stderr, "lafactoria: unknown command \"%s\"\n\n%s", cmd, usage_main);
    return 2;
}
