/* What LD_PRELOAD must hold for the program about to be exec'd: its ELF class and the sanitizer runtimes
 * it links (read from the file with open/pread/close on a small stack buffer), and the list composed from
 * them. Stack only and async-signal-safe: the agent calls it in vfork children, the launcher before fork. */
#ifndef MEMWATCH_AGENT_PRELOAD_H
#define MEMWATCH_AGENT_PRELOAD_H

#include <stdbool.h>
#include <stddef.h>

/* Names the leading LD_PRELOAD entries memwatch put there for one exec (sanitizer runtimes the program
 * links), so the next exec can take them out again for a program that does not link them. */
#define PRELOAD_ENV_ADDED "MEMWATCH_PRELOAD_ADDED"

/* Sanitizer runtime sonames a program needs first, joined by ':'; longer sets are ignored. */
#define PRELOAD_RUNTIMES_MAX 256
/* Longest candidate built by preload_find_in_path; longer ones count as not found. */
#define PRELOAD_PATH_MAX 1024

/* ELF classes as in e_ident[EI_CLASS]; PRELOAD_CLASS_NONE when the file is not an ELF we can read. */
enum preload_class { PRELOAD_CLASS_NONE = 0, PRELOAD_CLASS_32 = 1, PRELOAD_CLASS_64 = 2 };

/* The class of the code this was compiled into. */
#define PRELOAD_OWN_CLASS (sizeof(void *) == 8 ? PRELOAD_CLASS_64 : PRELOAD_CLASS_32)

struct preload_target {
    enum preload_class elf_class;
    bool dynamic;                         /* has an interpreter: ld.so will read LD_PRELOAD */
    char runtimes[PRELOAD_RUNTIMES_MAX];  /* DT_NEEDED sanitizer runtimes in link order, "" when none */
};

/* Reads the ELF file open at fd (through pread: the offset is not moved). A file that is not an ELF leaves
 * *t unknown (class NONE). Returns 0, or -1 when it could not be read. */
int preload_inspect_fd(int fd, struct preload_target *t);

/* Opens path (relative to dirfd, AT_FDCWD for the cwd) and inspects it; a "#!" script is judged by its
 * interpreter, one level deep. Returns 0, or -1 (t unknown) when it cannot be read. */
int preload_inspect_at(int dirfd, const char *path, struct preload_target *t);

/* The first candidate of a PATH search for file (as posix_spawnp and execvp do it) that is an executable
 * file, into buf. False when none is, or when file has a slash (then it is the path itself). */
bool preload_find_in_path(const char *file, const char *path_list, char *buf, size_t cap);

/* True when the file name's base starts like a sanitizer runtime (libasan, libtsan, libubsan, liblsan,
 * libhwasan, libmemprof, and clang's libclang_rt.<same>). */
bool preload_is_sanitizer(const char *name, size_t len);

/* The agent entry a target gets: a path holding $LIB serves both classes; a plain path only programs of
 * own_class. NULL when the agent must be left out for this exec (ld.so would print an error line). */
const char *preload_agent_for(const char *agent, const struct preload_target *t, enum preload_class own_class);

struct preload_request {
    const char *old;      /* current LD_PRELOAD value, NULL when unset */
    const char *added;    /* current PRELOAD_ENV_ADDED value, NULL when unset */
    const char *agent;    /* the agent's entry, NULL to leave it out */
    const char *runtimes; /* sanitizer runtimes the target links, "" or NULL when none */
};

/* The new list: the sanitizer runtimes first (the target's, unless the list already names one), then the
 * agent right after the last sanitizer runtime (first when there is none; an agent already in the list after
 * every sanitizer runtime keeps its place), then the other entries in their order; entries memwatch added
 * for the previous exec and other copies of the agent are dropped. Writes
 * into out (NUL-terminated when cap > 0, truncated if too small) and returns the full length. */
size_t preload_compose(const struct preload_request *r, char *out, size_t cap);

/* True when the list already is what preload_compose writes, entry by entry (separators may differ). */
bool preload_is_composed(const struct preload_request *r);

/* True when preload_compose puts r->runtimes in: PRELOAD_ENV_ADDED must then name them. */
bool preload_injects(const struct preload_request *r);

/* Basename of the agent: any entry with this file name counts as a copy of the agent. */
bool preload_same_file(const char *entry, size_t len, const char *agent);

#endif
