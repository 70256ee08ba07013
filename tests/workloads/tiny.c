/* tiny: does nothing and exits 0 — the short-lived process of the storm scenario.
 *
 * memwatch must report it with an exact peak even though it lives far less than one interval. */
int main(void)
{
    return 0;
}
