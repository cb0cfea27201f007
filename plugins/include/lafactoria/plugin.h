/*
 * plugins/include/lafactoria/plugin.h - the La Factoria plugin ABI (major 1)
 * SPDX-License-Identifier: MIT
 *
 * The only header a provider or scorer plugin includes. It is self-contained (stddef.h and stdint.h
 * only) and exposes no h2o, curl, libpq or jansson types: JSON crosses the boundary as UTF-8 strings
 * with lengths, and logging, allocation, clock, configuration and metrics are host services.
 *
 * Life of a plugin:
 *   1. The core dlopen()s the .so (RTLD_NOW | RTLD_LOCAL) from its plugin directory and calls the one
 *      exported function, lf_plugin_entry(), which returns a pointer to a static descriptor.
 *   2. The core checks struct_size, abi_major, the abi values, kind and name, and copies
 *      min(struct_size, sizeof) bytes of the descriptor into its own memory (fields the plugin does not
 *      know about read as zero / NULL).
 *   3. For every configured instance the core validates the instance's JSON configuration against the
 *      descriptor's config_map, then calls init() with the host API table; init() returns an opaque
 *      state pointer that is passed back on every call.
 *   4. On reload or shutdown, destroy(state) is called once the last request using that generation has
 *      finished; only then is the .so dlclose()d.
 *
 * Threads: callbacks may be called from several worker threads at once with the same state. A plugin
 * must treat its state as read-only after init() or protect it itself. Callbacks must not block (no
 * network, no sleeping): providers are pure transformers, the core does the HTTP.
 *
 * Memory: every buffer a plugin hands to the core (fields typed `char *` in the out-structures below)
 * must be allocated with host->alloc(); the core releases it with host->free(). Input pointers are
 * borrowed and valid only for the duration of the call.
 *
 * Evolution: fields are only ever appended to a struct (abi_minor bump). Every struct crossing the
 * boundary starts with struct_size; use LF_PLUGIN_HAS() / LF_HOST_HAS() before touching a field newer
 * than the minor you were built for.
 */
#ifndef LF_PLUGINS_INCLUDE_LAFACTORIA_PLUGIN_H
#define LF_PLUGINS_INCLUDE_LAFACTORIA_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Incompatible change: the loader refuses any plugin with another major. */
#define LF_PLUGIN_ABI_MAJOR 1
/** Append-only growth of the structs below. */
#define LF_PLUGIN_ABI_MINOR 0

/** Free-form build string compared byte for byte by the loader (like PostgreSQL's abi_extra). */
#define LF_PLUGIN_ABI_EXTRA "lafactoria-c11"

/** True when the (possibly older or newer) struct pointed to by p is large enough to hold field f. */
#define LF_PLUGIN_HAS(p, type, f) ((p)->struct_size >= offsetof(type, f) + sizeof(((type *)0)->f))
/** True when the host API table provides the function pointer f (and it is not NULL). */
#define LF_HOST_HAS(h, f) (LF_PLUGIN_HAS(h, struct lf_host_api, f) && (h)->f != NULL)

/** Status codes shared by the core and the plugins. Values are never reused. */
enum lf_err {
    LF_OK = 0,
    LF_ENOMEM = 1,     /**< allocation failed */
    LF_EINVAL = 2,     /**< invalid argument or input */
    LF_ENOTSUP = 3,    /**< the operation is not implemented by this plugin */
    LF_EPARSE = 4,     /**< input could not be parsed */
    LF_ECONFIG = 5,    /**< configuration invalid */
    LF_EUPSTREAM = 6,  /**< an upstream answered with a failure (see lf_failure) */
    LF_ETIMEDOUT = 7,  /**< deadline passed */
    LF_EINTERNAL = 8,  /**< a bug */
    LF_EIO = 9,        /**< I/O error */
    LF_ENOTFOUND = 10, /**< no such thing */
};

/** Plugin kinds (descriptor.kind). */
enum lf_plugin_kind {
    LF_PLUGIN_KIND_PROVIDER = 1,
    LF_PLUGIN_KIND_SCORER = 2,
};

/**
 * The single failure class of a provider attempt (lf_gen_result.failure). The router uses it to decide
 * what the circuit breaker records and whether another provider may help.
 */
enum lf_failure {
    LF_FAILURE_NONE = 0,             /**< success */
    LF_FAILURE_CONNECT_ERROR = 1,    /**< could not connect / connection dropped before an answer */
    LF_FAILURE_TIMEOUT = 2,          /**< per-attempt timeout or overall deadline */
    LF_FAILURE_RATE_LIMITED = 3,     /**< 429 or the provider's own rate-limit error */
    LF_FAILURE_UPSTREAM_5XX = 4,     /**< the provider failed (5xx, overloaded) */
    LF_FAILURE_AUTH_ERROR = 5,       /**< 401/403: key missing, wrong or without access */
    LF_FAILURE_INVALID_RESPONSE = 6, /**< an answer we cannot parse, or an unexpected 4xx */
    LF_FAILURE_SCHEMA_INVALID = 7,   /**< parsed, but the content does not validate against the schema */
};

/** Log levels for host->log. */
enum lf_log_level {
    LF_LOG_DEBUG = 0,
    LF_LOG_INFO = 1,
    LF_LOG_WARN = 2,
    LF_LOG_ERROR = 3,
};

/** Configuration value types (lf_config_field.type). */
enum lf_config_type {
    LF_CONFIG_STRING = 1,
    LF_CONFIG_INTEGER = 2,
    LF_CONFIG_NUMBER = 3,
    LF_CONFIG_BOOLEAN = 4,
    LF_CONFIG_OBJECT = 5,
    LF_CONFIG_ARRAY = 6,
};

/**
 * One row of a plugin's declarative configuration map, terminated by a row whose name is NULL. The core
 * rejects unknown keys in an instance's "config" object (a configuration error naming the JSON path) and
 * checks types before init(). A missing `required` field disables the instance with a warning (e.g. a
 * provider without its API key) instead of failing the whole configuration.
 */
struct lf_config_field {
    const char *name;          /**< key in the instance's "config" object */
    uint32_t type;             /**< enum lf_config_type */
    int32_t required;          /**< non-zero: the instance is disabled when the key is absent */
    const char *default_value; /**< documentation only: the default the plugin applies, or NULL */
    const char *description;   /**< one line, shown by `lafactoria plugins --describe` */
    int32_t secret;            /**< non-zero: the value is masked in every output */
};

/**
 * Services the core offers to plugins. Passed to init(); valid until destroy() returns.
 * Size-prefixed and append-only: check LF_HOST_HAS(host, fn) for entries newer than minor 0.
 */
struct lf_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    /** Log a line attributed to `plugin` (printf format). Never pass secrets or prompt bodies above DEBUG. */
    void (*log)(int level, const char *plugin, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /** Allocation accounted per plugin. alloc may return NULL; plugins must handle it. */
    void *(*alloc)(size_t size);
    void *(*realloc)(void *ptr, size_t size);
    void (*free)(void *ptr);
    /** Monotonic clock in nanoseconds. */
    uint64_t (*now_ns)(void);
    /** Wall clock, milliseconds since the Unix epoch. */
    uint64_t (*wall_ms)(void);
    /**
     * Read a value of the instance configuration by key (dotted paths reach into objects: "limits.rpm").
     * config_string returns a borrowed NUL-terminated string (valid until destroy) or NULL when absent or
     * not a string. config_number / config_bool return 1 and set *out when present with that type, else 0.
     * config_json returns the value serialised as compact JSON (borrowed, valid until destroy) or NULL.
     */
    const char *(*config_string)(const void *cfg, const char *key);
    int (*config_number)(const void *cfg, const char *key, double *out);
    int (*config_bool)(const void *cfg, const char *key, int *out);
    const char *(*config_json)(const void *cfg, const char *key);
    /** Add `value` to the plugin's counter `name` (exported as lafactoria_plugin_metric_total{plugin,name}). */
    void (*metric_add)(const char *plugin, const char *name, double value);
};

/** Arguments of init(). */
struct lf_plugin_init_args {
    uint32_t struct_size;
    const struct lf_host_api *host;
    const char *instance_name; /**< the configured instance name (e.g. "openai" or "openai-eu") */
    const void *config;        /**< opaque handle for host->config_* */
    const char *config_json;   /**< the instance's "config" object as JSON (secrets included: never log it) */
    size_t config_json_len;
};

/**
 * A generation request as the core hands it to a provider. Every string is UTF-8 and borrowed.
 * Either `messages_json` is set (OpenAI-compatible chat: an array of {role, content}) or
 * `system_prompt` + `prompt` are (content generation). `output_schema_json` is the content type's JSON
 * Schema for providers that support structured output.
 */
struct lf_gen_request {
    uint32_t struct_size;
    const char *request_id;
    const char *content_type;      /**< content type id, or NULL for chat */
    const char *age_group;         /**< one of the six age groups, or NULL for chat */
    const char *topic;             /**< the user's topic (already validated), or NULL */
    const char *additional_requirements; /**< or NULL */
    const char *learning_objectives_json; /**< JSON array or NULL */
    const char *system_prompt;
    size_t system_prompt_len;
    const char *prompt;            /**< the rendered user prompt; NULL in parse_response (prompt_len stays set):
                                        the core does not hold a second copy while the call is in flight */
    size_t prompt_len;
    const char *messages_json;     /**< chat messages (OpenAI shape) or NULL */
    size_t messages_json_len;
    const char *output_schema_json; /**< or NULL */
    size_t output_schema_json_len;
    const char *model;             /**< model id to use, or NULL for the instance's default */
    uint32_t max_tokens;           /**< 0 = provider default */
    double temperature;            /**< < 0 = unset */
    double top_p;                  /**< < 0 = unset */
    const char *stop_json;         /**< JSON array of stop strings, or NULL */
    int32_t stream;                /**< non-zero: build a streaming request (parse_stream_event is used) */
    uint32_t attempt;              /**< 1 for the first attempt of this request on this provider */
};

/** An HTTP request a provider wants the core to perform (filled by build_request / build_probe). */
struct lf_http_request {
    uint32_t struct_size;
    const char *method;   /**< static string: "POST" or "GET" */
    char *url;            /**< host->alloc'd, absolute URL */
    char *headers;        /**< host->alloc'd, "Name: value" lines separated by "\n", or NULL */
    char *body;           /**< host->alloc'd, or NULL */
    size_t body_len;
    uint32_t timeout_ms;  /**< per-attempt timeout; 0 = the core's default */
};

/** The HTTP answer the core received (borrowed during parse_response). */
struct lf_http_response {
    uint32_t struct_size;
    int32_t status;        /**< HTTP status, 0 when no answer arrived */
    const char *headers;   /**< raw response header block ("Name: value\r\n" ...), lower or mixed case */
    size_t headers_len;
    const char *body;
    size_t body_len;
    uint64_t latency_us;
};

/** Token usage of one attempt. */
struct lf_usage {
    uint64_t prompt_tokens;
    uint64_t completion_tokens;
    int32_t estimated;     /**< non-zero: the upstream gave no usage and these are estimates */
};

/** What a provider made of an answer (parse_response / generate). */
struct lf_gen_result {
    uint32_t struct_size;
    uint32_t failure;       /**< enum lf_failure; LF_FAILURE_NONE on success */
    char *text;             /**< host->alloc'd generated text (the model's message), NULL on failure */
    size_t text_len;
    char *model;            /**< host->alloc'd model id that answered, or NULL */
    char *finish_reason;    /**< host->alloc'd OpenAI-style: stop, length, content_filter, tool_calls */
    char *error_message;    /**< host->alloc'd, client-safe (never a key), or NULL */
    struct lf_usage usage;
    uint32_t retry_after_ms; /**< from Retry-After or the provider's own hint, 0 = none */
    double cost_usd;         /**< < 0 = let the core price the usage from the price table */
    /** generate() only: the core delivers this result after delay_ms (simulated latency, chaos). */
    uint32_t delay_ms;
    /** generate() only, streaming: the core waits this long between streamed chunks (slow stream). */
    uint32_t chunk_delay_ms;
};

/** One streaming event as parsed by parse_stream_event. */
struct lf_stream_delta {
    uint32_t struct_size;
    char *text;             /**< host->alloc'd delta text, or NULL */
    size_t text_len;
    char *finish_reason;    /**< host->alloc'd when the stream says why it ended */
    struct lf_usage usage;  /**< set when has_usage */
    int32_t has_usage;
    int32_t done;           /**< non-zero: the last event of the stream */
    uint32_t failure;       /**< enum lf_failure when the stream reports an error */
    char *error_message;    /**< host->alloc'd */
};

/** A model a provider offers, with its price (USD per million tokens). */
struct lf_model_info {
    const char *id;
    double input_usd_per_mtok;
    double output_usd_per_mtok;
};

/** Input of a scorer (all borrowed). */
struct lf_score_input {
    uint32_t struct_size;
    const char *content_type;
    const char *age_group;
    const char *content_json;        /**< the generated_content object */
    size_t content_json_len;
    const char *plain_text;          /**< the content's prose, paragraphs separated by "\n\n" */
    size_t plain_text_len;
    const char *learning_objectives_json; /**< JSON array or NULL */
    const char *schema_json;         /**< the content type's JSON Schema, or NULL */
    int32_t schema_valid;            /**< 1 valid, 0 invalid, -1 unknown */
    const char *schema_errors_json;  /**< JSON array of error strings when schema_valid == 0, else NULL */
    const char *topic;               /**< or NULL */
};

#define LF_SCORE_MAX_DIMENSIONS 16

/** One named score. name must be a static string of the plugin (the core copies it at once). */
struct lf_score_dimension {
    const char *name;
    double value;            /**< in [0,1]; anything else (or NaN) excludes this scorer's result */
};

/** Output of a scorer. */
struct lf_score_output {
    uint32_t struct_size;
    struct lf_score_dimension dimensions[LF_SCORE_MAX_DIMENSIONS];
    uint32_t n_dimensions;
    /**
     * host->alloc'd JSON object or NULL. Its top-level keys are merged into quality_metrics when absent
     * there (e.g. {"readability": {...}} or {"cognitive_load": {...}}), and it is kept whole in the scorer's
     * entry of quality_metrics.scorers[].details.
     */
    char *details_json;
};

/** Build constants compared byte for byte by the loader. */
struct lf_abi_values {
    uint16_t pointer_size;
    uint16_t long_size;
    uint16_t size_t_size;
    uint16_t double_size;
    char extra[24];
};

#define LF_ABI_VALUES_INIT {sizeof(void *), sizeof(long), sizeof(size_t), sizeof(double), LF_PLUGIN_ABI_EXTRA}

/**
 * The descriptor returned by lf_plugin_entry(). Fill it with LF_PLUGIN_DESCRIPTOR(), which sets the
 * header fields. Providers implement either build_request + parse_response (HTTP) or generate (no
 * network); scorers implement score.
 */
struct lf_plugin_descriptor {
    uint32_t struct_size;        /**< sizeof(struct lf_plugin_descriptor) as the plugin was built */
    uint16_t abi_major;          /**< LF_PLUGIN_ABI_MAJOR */
    uint16_t abi_minor;          /**< LF_PLUGIN_ABI_MINOR */
    uint32_t kind;               /**< enum lf_plugin_kind */
    uint32_t _reserved;
    const char *name;            /**< unique plugin name: [a-z0-9_-], at most 63 bytes */
    const char *version;         /**< the plugin's own version, semver */
    const char *description;     /**< one line */
    struct lf_abi_values abi;    /**< LF_ABI_VALUES_INIT */
    const struct lf_config_field *config_map; /**< NULL-name terminated, or NULL for no keys */

    /** Create an instance. *state is passed back to every call. Return LF_OK or an error. */
    int (*init)(const struct lf_plugin_init_args *args, void **state);
    /** Release an instance (NULL-safe). */
    void (*destroy)(void *state);
    /** Optional: quick self-check run after load and before publishing on reload. LF_OK = healthy. */
    int (*self_test)(void *state);

    /* ---- provider kind ---- */

    /** Build the HTTP request for one attempt. Return LF_OK, or an error (the attempt fails as invalid). */
    int (*build_request)(void *state, const struct lf_gen_request *req, struct lf_http_request *out);
    /**
     * Classify and parse the answer. Always fill out->failure (LF_FAILURE_NONE on success) and, when
     * the upstream reported usage, out->usage; return LF_OK unless the plugin itself failed.
     * status 0 means the core got no HTTP answer (the core classifies connect errors and timeouts
     * itself and does not call parse_response for them). req->prompt is NULL here (req->prompt_len is kept).
     */
    int (*parse_response)(void *state, const struct lf_gen_request *req, const struct lf_http_response *resp,
                          struct lf_gen_result *out);
    /**
     * Optional: parse one Server-Sent Event of a streaming answer (`event` may be NULL). The core splits
     * the stream into events and passes the joined data lines.
     */
    int (*parse_stream_event)(void *state, const char *event, size_t event_len, const char *data, size_t data_len,
                              struct lf_stream_delta *out);
    /** Optional: a cheap request whose 2xx answer means the provider is up (active health probe). */
    int (*build_probe)(void *state, struct lf_http_request *out);
    /**
     * Optional: the models this instance offers and their prices. Returns the number of entries and sets
     * *models to an array owned by the plugin state (valid until destroy). The first is the default.
     */
    size_t (*models)(void *state, const struct lf_model_info **models);
    /** Optional: a provider without HTTP (offline) produces the result directly. */
    int (*generate)(void *state, const struct lf_gen_request *req, struct lf_gen_result *out);

    /* ---- scorer kind ---- */

    /** Score structured content. Return LF_OK with dimensions in [0,1], or an error. */
    int (*score)(void *state, const struct lf_score_input *in, struct lf_score_output *out);
};

/** Signature of the one exported symbol. */
typedef const struct lf_plugin_descriptor *(*lf_plugin_entry_fn)(void);

#if defined(__GNUC__)
#define LF_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define LF_PLUGIN_EXPORT
#endif

/**
 * Define the descriptor and the exported entry point in one go:
 *     LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = "readability", .version = "1.0.0",
 *                          .init = rd_init, .destroy = rd_destroy, .score = rd_score)
 */
#define LF_PLUGIN_DESCRIPTOR(...)                                                                          \
    static const struct lf_plugin_descriptor lf__plugin_descriptor = {                                    \
        .struct_size = sizeof(struct lf_plugin_descriptor),                                               \
        .abi_major = LF_PLUGIN_ABI_MAJOR,                                                                 \
        .abi_minor = LF_PLUGIN_ABI_MINOR,                                                                 \
        .abi = LF_ABI_VALUES_INIT,                                                                        \
        __VA_ARGS__};                                                                                     \
    LF_PLUGIN_EXPORT const struct lf_plugin_descriptor *lf_plugin_entry(void);                             \
    LF_PLUGIN_EXPORT const struct lf_plugin_descriptor *lf_plugin_entry(void)                              \
    {                                                                                                     \
        return &lf__plugin_descriptor;                                                                    \
    }

#ifdef __cplusplus
}
#endif

#endif /* LF_PLUGINS_INCLUDE_LAFACTORIA_PLUGIN_H */
