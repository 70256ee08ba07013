/* Building a JSON document with cJSON, checked once: the pieces every JSON output of memwatch shares. */
#include "json_build.h"

#include <math.h>
#include <stdlib.h>

#include "../utf8.h"
#include "format.h"

cJSON *json_check(struct json_builder *b, cJSON *item)
{
    if (item == NULL)
        b->failed = true;
    return item;
}

void json_add(struct json_builder *b, cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL || obj == NULL || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        b->failed = true;
    }
}

void json_number(struct json_builder *b, cJSON *obj, const char *key, double n)
{
    json_add(b, obj, key, cJSON_CreateNumber(n));
}

void json_bool(struct json_builder *b, cJSON *obj, const char *key, bool v)
{
    json_add(b, obj, key, cJSON_CreateBool(v));
}

/* A string as valid UTF-8 (utf8_clean: U+FFFD for what is not), or null when there is none. Every string
 * of the report goes through here: argv, exe and host names are the job's bytes, not text. */
cJSON *json_text(struct json_builder *b, const char *s)
{
    if (s == NULL)
        return json_check(b, cJSON_CreateNull());
    char *copy;
    const char *clean = utf8_clean(s, &copy);
    cJSON *item = clean != NULL ? cJSON_CreateString(clean) : NULL;
    free(copy);
    return json_check(b, item);
}

void json_string(struct json_builder *b, cJSON *obj, const char *key, const char *s)
{
    json_add(b, obj, key, json_text(b, s));
}

void json_number_or_null(struct json_builder *b, cJSON *obj, const char *key, bool known, double n)
{
    json_add(b, obj, key, known && isfinite(n) ? cJSON_CreateNumber(n) : cJSON_CreateNull());
}

void json_instant(struct json_builder *b, cJSON *obj, const char *key, bool known, int64_t mono_ns)
{
    char when[CLOCK_RFC3339_MAX];
    if (!known) {
        json_add(b, obj, key, cJSON_CreateNull());
        return;
    }
    report_format_instant(b->jt, mono_ns, when, sizeof when);
    json_string(b, obj, key, when);
}

