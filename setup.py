"""Builds radial._C with the project's CMake (the same build as a checkout's), for `pip install .`.

Environment: RADIAL_CMAKE_ARGS (extra CMake arguments, e.g. "-DRADIAL_CUDA=OFF"), CMAKE_BUILD_PARALLEL_LEVEL.
"""

import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name: str):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(self.build_temp).resolve() / "cmake"
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            f"-DPython_EXECUTABLE={sys.executable}",
            "-DRADIAL_TOOLS=OFF", "-DRADIAL_TESTS=OFF", "-DRADIAL_BENCHMARKS=OFF",
            *shlex.split(os.environ.get("RADIAL_CMAKE_ARGS", "")),
        ]
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_C"], check=True)
        # CMake puts the module into python/radial/; the wheel takes it from where setuptools expects it.
        built = ROOT / "python" / "radial" / ("_C" + sysconfig.get_config_var("EXT_SUFFIX"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(built), str(target))


setup(ext_modules=[CMakeExtension("radial._C")], cmdclass={"build_ext": CMakeBuild})
