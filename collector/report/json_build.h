/* Building a JSON document with cJSON, checked once: the pieces every JSON output of memwatch shares (the
 * report, the comparison). Every string goes through json_text, so output is valid UTF-8 whatever the job's
 * bytes were. */
#ifndef MEMWATCH_REPORT_JSON_BUILD_H
#define MEMWATCH_REPORT_JSON_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../jobtable.h"

/* Remembers any failed cJSON allocation, so the tree is checked once instead of at every field. */
struct json_builder {
    const struct jobtable *jt;
    bool failed;
};

/* item, remembering a NULL (a failed allocation). */
cJSON *json_check(struct json_builder *b, cJSON *item);
/* Adds item to obj under key (deleting it when that fails). */
void json_add(struct json_builder *b, cJSON *obj, const char *key, cJSON *item);
void json_number(struct json_builder *b, cJSON *obj, const char *key, double n);
void json_bool(struct json_builder *b, cJSON *obj, const char *key, bool v);
/* A string as valid UTF-8 (utf8_clean: U+FFFD for what is not), or null when s is NULL. */
cJSON *json_text(struct json_builder *b, const char *s);
void json_string(struct json_builder *b, cJSON *obj, const char *key, const char *s);
/* n, or null when not known (a NaN or an infinity is never known). */
void json_number_or_null(struct json_builder *b, cJSON *obj, const char *key, bool known, double n);
/* A monotonic instant of b->jt as RFC 3339 text, or null when not known. */
void json_instant(struct json_builder *b, cJSON *obj, const char *key, bool known, int64_t mono_ns);

#endif
