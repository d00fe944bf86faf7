#!/bin/bash
# completion.sh — the bash completion of nnd, sourced as bash would and asked
# for the completions of a few prefixes. Run by make check with NND and
# COMPLETION set (the built program and completion/nnd).
set -u
NND=${NND:-./nnd}
COMPLETION=${COMPLETION:-completion/nnd}
. "$COMPLETION" || { echo "cannot source $COMPLETION"; echo "0 passed, 1 failed"; exit 1; }
cd "$(dirname "$COMPLETION")/.." || exit 1

passed=0 failed=0
# expect "WORDS..." WANT...: complete the last word of WORDS, check that every
# WANT is among the candidates (a WANT starting with ! must not be)
expect() {
  local line=$1; shift
  read -r -a COMP_WORDS <<< "$line"
  [[ $line == *" " ]] && COMP_WORDS+=("")
  COMP_WORDS[0]=$NND
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _nnd
  local got=" ${COMPREPLY[*]} " w ok=1
  for w in "$@"; do
    if [[ $w == !* ]]; then [[ $got == *" ${w#!} "* ]] && ok=0
    else [[ $got == *" $w "* ]] || ok=0; fi
  done
  if [[ $ok == 1 && ${#COMPREPLY[@]} -gt 0 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: completing '$line' gave:${got}; wanted: $*"
  fi
}

expect "nnd tr" train trace '!eval'
expect "nnd ev" eval
expect "nnd train --l" --log --log-steps '!--weights'
expect "nnd eval --w" --weights
expect "nnd check --" --json --help
expect "nnd plugins --c" --check
expect "nnd check models/fashion_c" models/fashion_cnn.nnd '!models/fashion_mlp.nnd'
expect "nnd --backend op" openmp
expect "nnd --backend naive,op" naive,openmp
expect "nnd help con" conv1d conv2d
expect "nnd help xav" xavier
expect "nnd help sg" sgd
expect "nnd help cos" cosine
expect "nnd help opt" optimizers
expect "nnd --threads 2 su" summary
expect "nnd trace --fo" --format
expect "nnd trace --ch" --check
expect "nnd trace models/seeds/s000_q1_sigmoid_neuron.nnd --format la" latex
expect "nnd trace --format " text markdown latex json

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
