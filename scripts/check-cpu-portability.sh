#!/usr/bin/env bash
# Every chapter under strict nbval, as five kinds of x86-64 CPU would run it.
#
# The chapters' stored outputs must come out the same on any machine CI or a reader runs them
# on, but the last bits of a result depend on the CPU: OpenBLAS picks its matrix kernels by CPU
# (a product adds its terms in another order), numpy picks its exp and log by the vector
# instructions there, and numba compiles the fused kernel for the CPU it runs on. The same
# notebook printed 2.8e-17 on one machine and 5.6e-17 on another, and a range coder that
# evaluated its model in another batch shape than its decoder failed to decode. This runs the
# chapters with each of those choices forced, on one machine, so a print that shows rounding
# noise, or a glued value that keeps digits a CPU can change, is found before it lands.
#
# Usage: bash scripts/check-cpu-portability.sh [pytest arguments, e.g. book/06_*.ipynb]
# About a minute per configuration on two cores. It needs an x86-64 CPU with AVX-512 (most
# servers), which can run all five; a lesser CPU cannot be asked for instructions it lacks.
set -uo pipefail
cd "$(dirname "$0")/.."
targets=("${@:-book}")
status=0
run() {
    local name=$1
    shift
    printf '%-12s ' "$name"
    if env "$@" python -m pytest "${targets[@]}" -q -p no:randomly >"/tmp/cpu-portability-$name.txt" 2>&1; then
        echo "pass"
    else
        status=1
        echo "FAIL (details: /tmp/cpu-portability-$name.txt)"
        grep '^FAILED' "/tmp/cpu-portability-$name.txt" | sed 's/ - .*//'
    fi
}
run native
run skylake-x OPENBLAS_CORETYPE=SkylakeX
run sandybridge OPENBLAS_CORETYPE=Sandybridge NUMBA_CPU_NAME=generic
run avx2 NPY_DISABLE_CPU_FEATURES="AVX512_ICL AVX512_SPR X86_V4" OPENBLAS_CORETYPE=Haswell \
    NUMBA_CPU_NAME=haswell
run sse4 NPY_ENABLE_CPU_FEATURES=X86_V2 OPENBLAS_CORETYPE=Nehalem NUMBA_CPU_NAME=generic
exit $status
