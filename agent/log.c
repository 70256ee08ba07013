/* Debug log of the agent: one line per event, appended with write(2) to MEMWATCH_AGENT_LOG, never stdio. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct agent_log_line {
    char buf[AGENT_LOG_LINE_MAX];
    size_t len;
};

static void agent_log_put(struct agent_log_line *l, const char *s)
{
    size_t n = strlen(s);
    size_t room = sizeof(l->buf) - 1 - l->len; /* one byte kept for the newline */
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void agent_log_num(struct agent_log_line *l, long value)
{
    char digits[24];
    size_t i = sizeof(digits);
    unsigned long u = value < 0 ? 0UL - (unsigned long)value : (unsigned long)value;
    digits[--i] = '\0';
    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0 && i > 1);
    if (value < 0)
        digits[--i] = '-';
    agent_log_put(l, digits + i);
}

void agent_log(const struct agent_settings *s, const char *event, long value)
{
    if (s == NULL || s->log == NULL)
        return;
    int saved = errno;
    struct agent_log_line l = {.len = 0};
    agent_log_put(&l, "memwatch-agent[");
    agent_log_num(&l, (long)getpid());
    agent_log_put(&l, "] ");
    agent_log_put(&l, event);
    agent_log_put(&l, " ");
    agent_log_num(&l, value);
    l.buf[l.len++] = '\n';
    int fd = open(s->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, l.buf, l.len);
        (void)w;
        close(fd);
    }
    errno = saved;
}
