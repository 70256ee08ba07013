/* What LD_PRELOAD must hold for the program about to be exec'd. Stack only, async-signal-safe calls only. */
#include "preload.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One read of the file's start, of a chunk of program headers or of dynamic entries. */
#define PRELOAD_CHUNK 512
/* The kernel reads at most this much of a "#!" line (BINPRM_BUF_SIZE). */
#define PRELOAD_INTERP_MAX 256
#define PRELOAD_LOADS_MAX 16
#define PRELOAD_NEEDED_MAX 32
#define PRELOAD_PHNUM_MAX 512
#define PRELOAD_DYN_MAX 2048
/* A sanitizer runtime's soname fits easily; longer DT_NEEDED names are not runtimes we inject. */
#define PRELOAD_NAME_MAX 96

/* --- reading the ELF file --- */

struct preload_load {
    unsigned long long vaddr, offset, filesz;
};

/* The parts of the file the decision needs, whatever its class. */
struct preload_elf {
    int fd;
    bool is64;
    unsigned long long phoff;
    unsigned phnum, phentsize;
    bool has_interp, has_dynamic;
    unsigned long long dyn_off, dyn_size;
    struct preload_load loads[PRELOAD_LOADS_MAX];
    unsigned n_loads;
};

static bool preload_read(int fd, void *buf, size_t n, unsigned long long off)
{
    ssize_t r;
    do
        r = pread(fd, buf, n, (off_t)off);
    while (r < 0 && errno == EINTR);
    return r == (ssize_t)n;
}

static bool preload_header(struct preload_elf *e, const unsigned char *buf, size_t n)
{
    if (n < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
        return false;
    union {
        unsigned short u16;
        unsigned char b[2];
    } probe = {.u16 = 1};
    unsigned char host_data = probe.b[0] == 1 ? ELFDATA2LSB : ELFDATA2MSB;
    if (buf[EI_DATA] != host_data)
        return false;
    if (buf[EI_CLASS] == ELFCLASS64 && n >= sizeof(Elf64_Ehdr)) {
        Elf64_Ehdr h;
        memcpy(&h, buf, sizeof h);
        e->is64 = true;
        e->phoff = h.e_phoff;
        e->phnum = h.e_phnum;
        e->phentsize = h.e_phentsize;
        return h.e_phentsize == sizeof(Elf64_Phdr);
    }
    if (buf[EI_CLASS] == ELFCLASS32 && n >= sizeof(Elf32_Ehdr)) {
        Elf32_Ehdr h;
        memcpy(&h, buf, sizeof h);
        e->is64 = false;
        e->phoff = h.e_phoff;
        e->phnum = h.e_phnum;
        e->phentsize = h.e_phentsize;
        return h.e_phentsize == sizeof(Elf32_Phdr);
    }
    return false;
}

static void preload_note_phdr(struct preload_elf *e, unsigned type, unsigned long long off,
                              unsigned long long vaddr, unsigned long long filesz)
{
    if (type == PT_INTERP) {
        e->has_interp = true;
    } else if (type == PT_DYNAMIC) {
        e->has_dynamic = true;
        e->dyn_off = off;
        e->dyn_size = filesz;
    } else if (type == PT_LOAD && e->n_loads < PRELOAD_LOADS_MAX) {
        e->loads[e->n_loads++] = (struct preload_load){vaddr, off, filesz};
    }
}

static bool preload_phdrs(struct preload_elf *e, unsigned char *buf)
{
    if (e->phnum == 0 || e->phnum > PRELOAD_PHNUM_MAX)
        return false;
    unsigned per = PRELOAD_CHUNK / e->phentsize;
    for (unsigned i = 0; i < e->phnum; i += per) {
        unsigned k = e->phnum - i < per ? e->phnum - i : per;
        if (!preload_read(e->fd, buf, (size_t)k * e->phentsize, e->phoff + (unsigned long long)i * e->phentsize))
            return false;
        for (unsigned j = 0; j < k; j++) {
            const unsigned char *p = buf + (size_t)j * e->phentsize;
            if (e->is64) {
                Elf64_Phdr ph;
                memcpy(&ph, p, sizeof ph);
                preload_note_phdr(e, ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_filesz);
            } else {
                Elf32_Phdr ph;
                memcpy(&ph, p, sizeof ph);
                preload_note_phdr(e, ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_filesz);
            }
        }
    }
    return true;
}

/* The file offset of a virtual address, through the PT_LOAD segments; 0 when none maps it. */
static unsigned long long preload_file_offset(const struct preload_elf *e, unsigned long long vaddr)
{
    for (unsigned i = 0; i < e->n_loads; i++) {
        const struct preload_load *l = &e->loads[i];
        if (vaddr >= l->vaddr && vaddr - l->vaddr < l->filesz)
            return vaddr - l->vaddr + l->offset;
    }
    return 0;
}

struct preload_dynamic {
    unsigned long long strtab; /* virtual address */
    unsigned long long needed[PRELOAD_NEEDED_MAX];
    unsigned n_needed;
};

static bool preload_note_dyn(struct preload_dynamic *d, long long tag, unsigned long long val)
{
    if (tag == DT_NULL)
        return false;
    if (tag == DT_STRTAB)
        d->strtab = val;
    else if (tag == DT_NEEDED && d->n_needed < PRELOAD_NEEDED_MAX)
        d->needed[d->n_needed++] = val;
    return true;
}

static void preload_dynamic(const struct preload_elf *e, unsigned char *buf, struct preload_dynamic *d)
{
    size_t ent = e->is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
    unsigned long long total = e->dyn_size / ent;
    if (total > PRELOAD_DYN_MAX)
        total = PRELOAD_DYN_MAX;
    unsigned per = (unsigned)(PRELOAD_CHUNK / ent);
    for (unsigned long long i = 0; i < total; i += per) {
        unsigned k = total - i < per ? (unsigned)(total - i) : per;
        if (!preload_read(e->fd, buf, k * ent, e->dyn_off + i * ent))
            return;
        for (unsigned j = 0; j < k; j++) {
            bool more;
            if (e->is64) {
                Elf64_Dyn dyn;
                memcpy(&dyn, buf + j * ent, sizeof dyn);
                more = preload_note_dyn(d, dyn.d_tag, dyn.d_un.d_val);
            } else {
                Elf32_Dyn dyn;
                memcpy(&dyn, buf + j * ent, sizeof dyn);
                more = preload_note_dyn(d, dyn.d_tag, dyn.d_un.d_val);
            }
            if (!more)
                return;
        }
    }
}

/* Appends a runtime soname to the ':'-joined list; names ld.so would split, or too many, are skipped. */
static void preload_add_runtime(struct preload_target *t, const char *name, size_t len)
{
    size_t have = strlen(t->runtimes);
    size_t sep = have > 0 ? 1 : 0;
    if (memchr(name, ':', len) != NULL || memchr(name, ' ', len) != NULL ||
        have + sep + len + 1 > sizeof(t->runtimes))
        return;
    if (sep)
        t->runtimes[have] = ':';
    memcpy(t->runtimes + have + sep, name, len);
    t->runtimes[have + sep + len] = '\0';
}

static void preload_runtimes(const struct preload_elf *e, const struct preload_dynamic *d, struct preload_target *t)
{
    unsigned long long stroff = preload_file_offset(e, d->strtab);
    if (stroff == 0)
        return;
    char name[PRELOAD_NAME_MAX];
    for (unsigned i = 0; i < d->n_needed; i++) {
        ssize_t n;
        do
            n = pread(e->fd, name, sizeof name, (off_t)(stroff + d->needed[i]));
        while (n < 0 && errno == EINTR);
        const char *end = n > 0 ? memchr(name, '\0', (size_t)n) : NULL;
        if (end != NULL && preload_is_sanitizer(name, (size_t)(end - name)))
            preload_add_runtime(t, name, (size_t)(end - name));
    }
}

static void preload_target_clear(struct preload_target *t)
{
    t->elf_class = PRELOAD_CLASS_NONE;
    t->dynamic = false;
    t->runtimes[0] = '\0';
}

/* Fills *t from an ELF whose first n bytes are in buf. */
static void preload_elf(int fd, unsigned char *buf, size_t n, struct preload_target *t)
{
    struct preload_elf e;
    memset(&e, 0, sizeof e);
    e.fd = fd;
    if (!preload_header(&e, buf, n))
        return;
    t->elf_class = e.is64 ? PRELOAD_CLASS_64 : PRELOAD_CLASS_32;
    if (!preload_phdrs(&e, buf))
        return;
    t->dynamic = e.has_interp;
    if (!e.has_interp || !e.has_dynamic)
        return;
    struct preload_dynamic d;
    memset(&d, 0, sizeof d);
    preload_dynamic(&e, buf, &d);
    preload_runtimes(&e, &d, t);
}

int preload_inspect_fd(int fd, struct preload_target *t)
{
    preload_target_clear(t);
    unsigned char buf[PRELOAD_CHUNK];
    ssize_t n;
    do
        n = pread(fd, buf, sizeof(Elf64_Ehdr), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    preload_elf(fd, buf, (size_t)n, t);
    return 0;
}

/* The interpreter named on a "#!" line, into interp; false when buf holds no such line. */
static bool preload_shebang(const unsigned char *buf, size_t n, char *interp, size_t cap)
{
    if (n < 3 || buf[0] != '#' || buf[1] != '!')
        return false;
    size_t i = 2;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    size_t start = i;
    while (i < n && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\0')
        i++;
    if (i == start || i - start >= cap || (i == n && n == PRELOAD_INTERP_MAX))
        return false;
    memcpy(interp, buf + start, i - start);
    interp[i - start] = '\0';
    return true;
}

/* Inspects one file; when it is a script and interp is given, returns 1 with its interpreter there. */
static int preload_inspect_one(int dirfd, const char *path, struct preload_target *t, char *interp, size_t cap)
{
    preload_target_clear(t);
    /* O_NONBLOCK|O_NOCTTY: whatever the name is (a FIFO, a terminal), opening it neither blocks nor
     * changes the process; exec would refuse such a file anyway. */
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    unsigned char buf[PRELOAD_CHUNK];
    ssize_t n;
    do
        n = pread(fd, buf, PRELOAD_INTERP_MAX, 0);
    while (n < 0 && errno == EINTR);
    int rc = n < 0 ? -1 : 0;
    if (n > 0 && interp != NULL && preload_shebang(buf, (size_t)n, interp, cap))
        rc = 1;
    else if (n > 0)
        preload_elf(fd, buf, (size_t)n, t);
    close(fd);
    return rc;
}

int preload_inspect_at(int dirfd, const char *path, struct preload_target *t)
{
    char interp[PRELOAD_INTERP_MAX];
    int rc = preload_inspect_one(dirfd, path, t, interp, sizeof interp);
    if (rc == 1)
        rc = preload_inspect_one(AT_FDCWD, interp, t, NULL, 0);
    return rc < 0 ? -1 : 0;
}

bool preload_find_in_path(const char *file, const char *path_list, char *buf, size_t cap)
{
    if (file == NULL || file[0] == '\0' || strchr(file, '/') != NULL)
        return false;
    size_t file_len = strlen(file);
    const char *p = path_list != NULL ? path_list : "/bin:/usr/bin";
    if (cap > PRELOAD_PATH_MAX)
        cap = PRELOAD_PATH_MAX;
    for (;;) {
        size_t dir_len = strcspn(p, ":");
        if (dir_len + 1 + file_len + 1 <= cap) {
            size_t at = dir_len;
            memcpy(buf, p, dir_len);
            if (dir_len > 0)
                buf[at++] = '/';
            memcpy(buf + at, file, file_len + 1);
            struct stat st;
            if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
                return true;
        }
        if (p[dir_len] == '\0')
            return false;
        p += dir_len + 1;
    }
}

/* --- the list --- */

bool preload_is_sanitizer(const char *name, size_t len)
{
    static const char *const runtimes[] = {"asan", "tsan", "ubsan", "lsan", "hwasan", "memprof"};
    size_t start = len;
    while (start > 0 && name[start - 1] != '/')
        start--;
    const char *base = name + start;
    size_t n = len - start;
    const char *rest = NULL;
    if (n > 3 && memcmp(base, "lib", 3) == 0)
        rest = base + 3;
    if (n > 12 && memcmp(base, "libclang_rt.", 12) == 0)
        rest = base + 12;
    if (rest == NULL)
        return false;
    for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0]; i++) {
        size_t k = strlen(runtimes[i]);
        const char *after = rest + k;
        if ((size_t)(after - base) < n && memcmp(rest, runtimes[i], k) == 0 &&
            (*after == '.' || *after == '-' || *after == '_'))
            return true;
    }
    return false;
}

const char *preload_agent_for(const char *agent, const struct preload_target *t, enum preload_class own_class)
{
    if (agent == NULL || agent[0] == '\0')
        return NULL;
    if (t == NULL || t->elf_class == PRELOAD_CLASS_NONE || !t->dynamic)
        return agent; /* ld.so does not read LD_PRELOAD for it, or we cannot tell: as before */
    if (strstr(agent, "$LIB") != NULL || strstr(agent, "${LIB}") != NULL)
        return agent;
    return t->elf_class == own_class ? agent : NULL;
}

static bool preload_separator(char c)
{
    return c == ':' || c == ' ';
}

/* The next entry at *cursor (separators skipped), or NULL at the end. */
static const char *preload_next(const char **cursor, size_t *len)
{
    const char *p = *cursor;
    if (p == NULL)
        return NULL;
    while (preload_separator(*p))
        p++;
    if (*p == '\0') {
        *cursor = p;
        return NULL;
    }
    const char *start = p;
    while (*p != '\0' && !preload_separator(*p))
        p++;
    *len = (size_t)(p - start);
    *cursor = p;
    return start;
}

bool preload_same_file(const char *entry, size_t len, const char *agent)
{
    size_t agent_len = strlen(agent);
    size_t a = agent_len, e = len;
    while (a > 0 && agent[a - 1] != '/')
        a--;
    while (e > 0 && entry[e - 1] != '/')
        e--;
    if (len == agent_len && memcmp(entry, agent, len) == 0)
        return true;
    return agent_len - a > 0 && len - e == agent_len - a && memcmp(entry + e, agent + a, len - e) == 0;
}

/* Where the user's part of the list starts: after the entries memwatch added, when it starts with them. */
static const char *preload_user_part(const struct preload_request *r)
{
    const char *old = r->old;
    if (old == NULL || r->added == NULL || r->added[0] == '\0')
        return old;
    const char *o = old, *a = r->added;
    size_t olen, alen;
    const char *at;
    while ((at = preload_next(&a, &alen)) != NULL) {
        const char *ot = preload_next(&o, &olen);
        if (ot == NULL || olen != alen || memcmp(ot, at, alen) != 0)
            return old;
    }
    return o;
}

static bool preload_is_agent(const struct preload_request *r, const char *tok, size_t len)
{
    /* Every copy goes, the one to keep included: it is put back at its place. */
    const char *agent = r->agent;
    return (agent != NULL && preload_same_file(tok, len, agent)) ||
           (len >= 20 && memcmp(tok + len - 20, "libmemwatch_agent.so", 20) == 0 &&
            (len == 20 || tok[len - 21] == '/'));
}

/* Indexes (among the entries of the user's part) of the last sanitizer runtime and of the first copy of
 * the agent; -1 when there is none. */
struct preload_places {
    long last_sanitizer;
    long first_agent;
};

static struct preload_places preload_find_places(const struct preload_request *r, const char *user)
{
    struct preload_places at = {-1, -1};
    long i = 0;
    size_t len;
    const char *tok;
    for (; (tok = preload_next(&user, &len)) != NULL; i++) {
        if (preload_is_agent(r, tok, len)) {
            if (at.first_agent < 0)
                at.first_agent = i;
        } else if (preload_is_sanitizer(tok, len)) {
            at.last_sanitizer = i;
        }
    }
    return at;
}

bool preload_injects(const struct preload_request *r)
{
    return r->runtimes != NULL && r->runtimes[0] != '\0' &&
           preload_find_places(r, preload_user_part(r)).last_sanitizer < 0;
}

/* Either writes the entries (out) or compares them with an existing list (cmp). */
struct preload_sink {
    char *out;
    size_t cap;
    size_t len;
    const char *cmp;
    bool comparing;
    bool same;
};

static void preload_emit(struct preload_sink *s, const char *tok, size_t n)
{
    if (s->comparing) {
        size_t on;
        const char *o = preload_next(&s->cmp, &on);
        if (o == NULL || on != n || memcmp(o, tok, n) != 0)
            s->same = false;
        return;
    }
    size_t sep = s->len > 0 ? 1 : 0;
    for (size_t i = 0; i < sep + n; i++) {
        if (s->len + i + 1 < s->cap)
            s->out[s->len + i] = i < sep ? ':' : tok[i - sep];
    }
    s->len += sep + n;
}

static void preload_emit_list(struct preload_sink *s, const char *list)
{
    size_t len;
    const char *tok;
    while ((tok = preload_next(&list, &len)) != NULL)
        preload_emit(s, tok, len);
}

/* An agent already in the list keeps its place (a program may have put its own preload before it on
 * purpose), unless that place is before a sanitizer runtime. */
static void preload_walk(const struct preload_request *r, struct preload_sink *s)
{
    const char *user = preload_user_part(r);
    struct preload_places at = preload_find_places(r, user);
    long keep = r->agent != NULL && at.first_agent > at.last_sanitizer ? at.first_agent : -1;
    if (at.last_sanitizer < 0 && r->runtimes != NULL)
        preload_emit_list(s, r->runtimes);
    if (at.last_sanitizer < 0 && keep < 0 && r->agent != NULL)
        preload_emit(s, r->agent, strlen(r->agent));
    size_t len;
    const char *tok;
    for (long i = 0; (tok = preload_next(&user, &len)) != NULL; i++) {
        if (preload_is_agent(r, tok, len)) {
            if (i == keep) /* ours, not another copy: that one may be of a single class */
                preload_emit(s, r->agent, strlen(r->agent));
            continue;
        }
        preload_emit(s, tok, len);
        if (i == at.last_sanitizer && keep < 0 && r->agent != NULL)
            preload_emit(s, r->agent, strlen(r->agent));
    }
}

size_t preload_compose(const struct preload_request *r, char *out, size_t cap)
{
    struct preload_sink s = {out, cap, 0, NULL, false, true};
    preload_walk(r, &s);
    if (cap > 0)
        out[s.len < cap ? s.len : cap - 1] = '\0';
    return s.len;
}

bool preload_is_composed(const struct preload_request *r)
{
    struct preload_sink s = {NULL, 0, 0, r->old, true, true};
    preload_walk(r, &s);
    size_t len;
    return s.same && preload_next(&s.cmp, &len) == NULL;
}
