#!/bin/sh
# Every command in the table answers --help and `medseg help CMD`, has a man
# page, and the man page documents exactly the options --help lists.
set -u
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

"$MEDSEG" --version | grep -q '^medseg [0-9]' && ok || bad "--version"
"$MEDSEG" --help >/dev/null && ok || bad "--help"
"$MEDSEG" nosuchcmd >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "unknown command must exit 2"
"$MEDSEG" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "no command must exit 2"
[ -f "$SRC/man/medseg.1" ] && ok || bad "man/medseg.1 missing"

cmds=$("$MEDSEG" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{on=0}')
[ -n "$cmds" ] && ok || bad "no commands listed"
for c in $cmds; do
    "$MEDSEG" "$c" --help > /tmp/medseg-help.$$ 2>&1 && ok || bad "$c --help"
    "$MEDSEG" help "$c" | cmp -s - /tmp/medseg-help.$$ && ok || bad "help $c differs from $c --help"
    man="$SRC/man/medseg-$c.1"
    [ -f "$man" ] || { bad "no man page for $c"; continue; }
    grep -q "medseg-$c" "$SRC/man/medseg.1" && ok || bad "medseg.1 does not list $c"
    grep -q "medseg $c" "$SRC/README.md" && ok || bad "README does not document $c"
    # Options in --help, as long names.
    help_opts=$(grep -o -- '--[a-z][a-z0-9-]*' /tmp/medseg-help.$$ | sort -u)
    # Options the man page documents: .B/.BR lines with \-\-name.
    man_opts=$(sed 's/\\-/-/g' "$man" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
    for o in $help_opts; do
        echo "$man_opts" | grep -qx -- "$o" && ok || bad "$c: $o is in --help but not in $man"
    done
    for o in $man_opts; do
        echo "$help_opts" | grep -qx -- "$o" && ok || bad "$c: $o is in $man but not in --help"
    done
done
rm -f /tmp/medseg-help.$$
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
