"""Builds the `gannet` Python package: the CPython extension gannet._gannet is compiled together
with libgannet's own sources (../src/**/*.c), so no earlier cmake build or installed libgannet is
needed. Build and run dependencies are Debian's: python3-dev, python3-setuptools, python3-numpy,
python3-scipy, python3-sklearn, and the -dev packages of zstd, xxhash, jansson, microhttpd, yaml and
zlib that libgannet itself needs (scripts/install-deps).

    /usr/bin/python3 -m pip install ./python --break-system-packages   # the system python3
    /usr/bin/python3 -m pip install --user ./python --break-system-packages
    cd python && /usr/bin/python3 setup.py build_ext --inplace        # tests, no install

There is deliberately no pyproject.toml: pip then builds with the setuptools already installed
(no build isolation, no network), as `pip install ./python` must work offline."""
import glob
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC = os.path.join(ROOT, "src")
INCLUDE = os.path.join(ROOT, "include")

if not os.path.isdir(SRC) or not os.path.isfile(os.path.join(INCLUDE, "gannet", "gannet.h")):
    sys.exit("gannet: the library sources (../src, ../include) are not next to python/: build from a "
             "gannet checkout (pip builds in place: `pip install ./python`)")

# The library's sources, as CMakeLists.txt globs them; absolute paths keep the object files
# inside build_temp. MPI is left out (GN_HAVE_MPI=0): the extension trains on one machine.
LIB_SOURCES = sorted(glob.glob(os.path.join(SRC, "**", "*.c"), recursive=True))
PKGS = ["libzstd", "libxxhash", "jansson", "libmicrohttpd", "zlib", "yaml-0.1", "openblas", "lapacke"]


def pkg_config(flag):
    """Flags from pkg-config for the library's dependencies, or plain -l flags without it."""
    if shutil.which("pkg-config"):
        try:
            out = subprocess.run(["pkg-config", flag] + PKGS, check=True, capture_output=True, text=True).stdout
            return out.split()
        except subprocess.CalledProcessError as e:
            sys.exit("gannet: pkg-config %s %s failed (install the -dev packages: scripts/install-deps): %s"
                     % (flag, " ".join(PKGS), e.stderr.strip()))
    return {"--cflags": [], "--libs": ["-lzstd", "-lxxhash", "-ljansson", "-lmicrohttpd", "-lz", "-lyaml", "-lopenblas", "-llapacke"]}[flag]


# GANNET_SANITIZE=1 (tests/e2e/test_python.sh in a GN_SANITIZE build): ASan + UBSan, as the C tests.
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer"] \
    if os.environ.get("GANNET_SANITIZE") == "1" else []

ext = Extension(
    "gannet._gannet",
    sources=[os.path.join(HERE, "gannet", "_gannet.c")] + LIB_SOURCES,
    include_dirs=[INCLUDE, SRC],
    define_macros=[("_POSIX_C_SOURCE", "200809L"), ("_DEFAULT_SOURCE", None), ("GN_HAVE_MPI", "0")],
    extra_compile_args=["-std=c11", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    + SANITIZE + pkg_config("--cflags"),
    extra_link_args=pkg_config("--libs") + ["-lpthread", "-lm"] + SANITIZE,
    # a changed header or this file rebuilds the whole extension (setuptools compares times)
    depends=sorted(glob.glob(os.path.join(SRC, "**", "*.h"), recursive=True)
                   + glob.glob(os.path.join(INCLUDE, "gannet", "*.h")) + [os.path.abspath(__file__)]),
)



def _parallel_compile(compiler, jobs):
    """compiler.compile, with the sources compiled on `jobs` threads: setuptools' own parallel
    option runs extensions side by side, and this package is one extension of ~150 C files."""
    def compile(sources, output_dir=None, macros=None, include_dirs=None, debug=0, extra_preargs=None,
                extra_postargs=None, depends=None):
        macros, objects, extra_postargs, pp_opts, build = compiler._setup_compile(
            output_dir, macros, include_dirs, sources, depends, extra_postargs)
        cc_args = compiler._get_cc_args(pp_opts, debug, extra_preargs)

        def one(obj):
            if obj in build:
                src, ext = build[obj]
                compiler._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, objects))  # list(): an error in any raises here
        return objects
    return compile


class ParallelBuildExt(build_ext):
    """build_ext compiling the sources on every core unless -j/--parallel says otherwise: the
    extension is the whole library, a minute on one core."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        jobs = int(self.parallel) if self.parallel is not True else (os.cpu_count() or 1)
        if jobs > 1 and all(hasattr(self.compiler, a) for a in ("_setup_compile", "_get_cc_args", "_compile")):
            self.compiler.compile = _parallel_compile(self.compiler, jobs)
            self.parallel = False  # one extension: nothing for setuptools' own pool to do
        super().build_extensions()


setup(
    name="gannet",
    cmdclass={"build_ext": ParallelBuildExt},
    version="0.1.0",
    description="scikit-learn estimators over libgannet (linear models, out-of-core training)",
    packages=["gannet"],
    package_dir={"gannet": os.path.join("gannet")},
    ext_modules=[ext],
    python_requires=">=3.9",
    install_requires=["numpy", "scipy", "scikit-learn"],
)
