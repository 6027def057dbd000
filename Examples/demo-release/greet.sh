#!/bin/sh
# greet: prints a greeting; the release being signed in the demo.
echo "hello, ${1:-world}"
