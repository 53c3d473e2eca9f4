"""Builds the extension cove._core with CMake (called by pip).

    pip install --no-build-isolation ./python

CMake configures the repository root with -DCOVE_BUILD_PYTHON=ON and builds
the target cove_python_core only. Environment:

    COVE_PYTHON_BUILD_DIR  CMake build directory (default python/build/cmake);
                           an existing build of the repository may be reused:
                           its settings are kept and only the extension (and
                           the libraries it needs) are built.
    COVE_MILVUS_PROTO_DIR  local Milvus .proto files (offline builds); when unset,
                           the copy of an existing build (build/release) is used
                           if there is one, else CMake fetches them with npm.
    COVE_PYTHON_BUILD_TYPE CMake build type of a new build directory (Release).
    COVE_CMAKE_ARGS        extra CMake arguments.
    CMAKE_BUILD_PARALLEL_LEVEL  compile jobs (CMake's own variable).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text()
    m = re.search(r"project\(\s*Cove\s+VERSION\s+([0-9.]+)", text)
    return m.group(1) if m else "0.0.0"


def _proto_dir(build_dir: Path) -> str:
    env = os.environ.get("COVE_MILVUS_PROTO_DIR", "")
    if env:
        return env
    if (build_dir / "CMakeCache.txt").exists():
        return ""  # an existing build keeps its own setting
    candidates = []
    if os.environ.get("COVE_BUILD_DIR"):
        candidates.append(Path(os.environ["COVE_BUILD_DIR"]) / "release")
    candidates.append(ROOT / "build" / "release")
    for c in candidates:
        d = c / "_deps" / "milvus-proto"
        if (d / "milvus.proto").exists() and d.resolve() != (build_dir / "_deps" / "milvus-proto").resolve():
            return str(d)
    return ""


class CMakeExtension(Extension):
    """An extension built by CMake (no sources for setuptools to compile)."""

    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    """Configures the repository root with CMake and builds cove_python_core."""

    def build_extension(self, ext: Extension) -> None:
        if shutil.which("cmake") is None:
            raise RuntimeError("cove: cmake is needed to build the extension "
                               "(Debian: apt-get install cmake; see docs/python.md)")
        build_dir = Path(os.environ.get("COVE_PYTHON_BUILD_DIR") or HERE / "build" / "cmake").resolve()
        build_dir.mkdir(parents=True, exist_ok=True)
        fresh = not (build_dir / "CMakeCache.txt").exists()
        args = [f"-DPython_EXECUTABLE={sys.executable}"]
        args.append("-DCOVE_BUILD_PYTHON=ON")
        if fresh:
            args += [f"-DCMAKE_BUILD_TYPE={os.environ.get('COVE_PYTHON_BUILD_TYPE', 'Release')}",
                     "-DCOVE_BUILD_TESTS=OFF", "-DCOVE_BUILD_EXAMPLES=OFF",
                     "-DCOVE_BUILD_BENCHMARKS=OFF"]
            if shutil.which("ninja"):
                args += ["-G", "Ninja"]
        proto = _proto_dir(build_dir)
        if proto:
            args.append(f"-DCOVE_MILVUS_PROTO_DIR={proto}")
        args += shlex.split(os.environ.get("COVE_CMAKE_ARGS", ""))
        self._run(["cmake", "-S", str(ROOT), "-B", str(build_dir)] + args)
        self._run(["cmake", "--build", str(build_dir), "--target", "cove_python_core"])
        built = sorted((build_dir / "python").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"cove: the build left no _core*.so in {build_dir / 'python'}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], target)
        os.chmod(target, 0o755)

    @staticmethod
    def _run(cmd: list) -> None:
        print("cove:", " ".join(shlex.quote(c) for c in cmd), flush=True)
        subprocess.check_call(cmd)


setup(
    version=_version(),
    ext_modules=[CMakeExtension("cove._core")],
    cmdclass={"build_ext": CMakeBuild},
)
