/* Configure-time probe: prints the dynamic linker this program was linked to run under (its PT_INTERP), so
 * the build can ask that ld.so what its $LIB expands to. */
#define _GNU_SOURCE 1 /* dl_iterate_phdr */
#include <link.h>
#include <stdio.h>

static int probe_main_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_INTERP) {
            *(const char **)data = (const char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
            break;
        }
    }
    return 1; /* the first object is the program itself */
}

int main(void)
{
    const char *interp = NULL;
    dl_iterate_phdr(probe_main_object, &interp);
    if (interp == NULL)
        return 1;
    printf("%s\n", interp);
    return 0;
}
