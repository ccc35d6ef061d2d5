#!/bin/sh
# Prepare the demo's data directory: `make demo` and `make clean` call this instead of a bare
# `rm -rf $(DATA)`, which once wiped a real archive given as DATA=… .
#
#   scripts/demo-data.sh reset DIR   empty DIR for a fresh demo (create it, with the marker)
#   scripts/demo-data.sh remove DIR  delete DIR if the demo made it (absent: nothing to do)
#
# Only a directory holding the marker file (written when the demo creates the directory) is
# ever deleted; an empty directory is taken over. Anything else is refused: exit 1, one line
# on stderr, nothing touched.
set -eu
MARKER=.gongkai-demo-data
action=${1:-}
dir=${2:-}
if [ -z "$dir" ] || { [ "$action" != reset ] && [ "$action" != remove ]; }; then
    echo "usage: $0 reset|remove DIR" >&2
    exit 2
fi
if [ -e "$dir" ] || [ -L "$dir" ]; then
    if [ -L "$dir" ] || [ ! -d "$dir" ]; then
        echo "refusing to delete $dir: not a directory the demo created" >&2
        exit 1
    fi
    if [ -f "$dir/$MARKER" ]; then
        rm -rf -- "$dir"
    elif [ -n "$(ls -A -- "$dir")" ]; then
        echo "refusing to delete $dir: it holds data the demo did not create (no $MARKER); choose another DATA=" >&2
        exit 1
    else
        rmdir -- "$dir"
    fi
fi
if [ "$action" = reset ]; then
    mkdir -p -- "$dir"
    echo "made by \`make demo\`: \`make demo\` and \`make clean\` may delete this directory" > "$dir/$MARKER"
fi
