#!/bin/bash
# usage: run.sh 'perl-substitution'
cp ../dist/rotation/schedule.test.js ./schedule.test.js
cp ../dist/rotation/schedule.js ./schedule.js
perl -0pi -e "$1" schedule.js
if cmp -s schedule.js ../dist/rotation/schedule.js; then echo "MUTATION NOT APPLIED: $1"; exit; fi
r=$(node --test schedule.test.js 2>&1 | grep -E "^# fail")
echo "$r  <= $1"
