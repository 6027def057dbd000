/* greet: the small program Hallmark's example release builds. */
#include <stdio.h>
#include <string.h>

#ifndef VERSION
#define VERSION "dev"
#endif
#ifndef COMMIT
#define COMMIT "unknown"
#endif
#ifndef TARGET
#define TARGET "host"
#endif

int main(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        printf("greet %s (commit %s, target %s)\n", VERSION, COMMIT, TARGET);
        return 0;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: greet [NAME]\n       greet --version\n");
        return 0;
    }
    printf("Hello, %s!\n", argc > 1 ? argv[1] : "world");
    return 0;
}
