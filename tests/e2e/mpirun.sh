# shellcheck shell=bash
# tests/e2e/mpirun.sh: sourced by the tests that run mpirun (not a test itself). Sets MPIRUN, the
# command line they start ranks with: mpirun --oversubscribe (more ranks than the CI's 2 cores),
# --allow-run-as-root as root, any words given first (e.g. timeout 300). Under the sanitizer run
# (ASAN_OPTIONS set), the ranks get fast_unwind_on_malloc=0: LeakSanitizer's suppressions of
# OpenMPI's one-off allocations (scripts/lsan.supp) must see stacks through OpenMPI's plugins,
# which have no frame pointers, and that slow unwinding on every malloc is paid by MPI runs only.
mpirun_cmd() {
    MPIRUN=("$@" mpirun --oversubscribe)
    [ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)
    if [ -n "${ASAN_OPTIONS:-}" ]; then
        MPIRUN=(env "ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0" "${MPIRUN[@]}")
    fi
    return 0
}
