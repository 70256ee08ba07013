/* Benchmark floor: a shared library with no code, preloaded like the agent, to measure what any preload costs. */
typedef int bench_empty_preload_unused;
