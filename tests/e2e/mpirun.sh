# shellcheck shell=bash
# tests/e2e/mpirun.sh: sourced by the tests that run mpirun (not a test itself). mpirun_cmd
# [--leaks] [WORDS...] sets MPIRUN, the command line they start ranks with: WORDS first (e.g.
# timeout 300), then mpirun --oversubscribe (more ranks than the CI's 2 cores), and
# --allow-run-as-root as root.
# Under the sanitizer run (ASAN_OPTIONS set), leak checking in the ranks costs most of an MPI
# test's time: LeakSanitizer's suppressions of OpenMPI's one-off allocations (scripts/lsan.supp)
# must see stacks through OpenMPI's plugins, which have no frame pointers and are unloaded by
# exit, so every malloc needs the slow unwinder (test_mpi_mf: 33 s against 7 s). The ranks are
# therefore checked for memory errors (ASan, UBSan) but not for leaks, except with --leaks, which
# test_mpi_online.sh gives: its ranks run the MPI start-up, the merges of online training and the
# shutdown, the code every distributed run shares.
mpirun_cmd() {
    local leaks=0
    if [ "${1:-}" = --leaks ]; then
        leaks=1
        shift
    fi
    MPIRUN=("$@" mpirun --oversubscribe)
    [ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)
    if [ -n "${ASAN_OPTIONS:-}" ]; then
        if [ "$leaks" = 1 ]; then
            MPIRUN=(env "ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0" "${MPIRUN[@]}")
        else
            MPIRUN=(env "ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0" "${MPIRUN[@]}")
        fi
    fi
    return 0
}
