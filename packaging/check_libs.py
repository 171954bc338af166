"""Check a folder build's shared libraries: every library an ELF file needs (``DT_NEEDED``) is either in
the bundle or one the system provides (SYSTEM below: glibc, libstdc++, X11/GL/Wayland, fonts, glib,
D-Bus, …, i.e. what packaging/segue.spec leaves out on purpose). Anything else is a library the spec
cut by mistake (or one PyInstaller missed) and would fail on the user's machine, so the build stops.

    python packaging/check_libs.py dist/segue
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from pathlib import Path

SYSTEM = [
    # glibc and the C++/GCC runtime
    "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
    "libresolv.so.2", "libutil.so.1", "libmvec.so.1", "libstdc++.so.6", "libgcc_s.so.1",
    # compression and XML every distribution ships
    "libz.so.1", "libexpat.so.1",
    # display: X11, xcb core, GL/EGL, DRM, Wayland, Vulkan
    "libX11.so.6", "libX11-xcb.so.1", "libxcb.so.1", "libXext.so.6", "libXrender.so.1",
    "libGL.so.1", "libEGL.so.1", "libOpenGL.so.0", "libGLX.so.0", "libdrm.so.2", "libgbm.so.1",
    "libwayland-*.so.*", "libvulkan.so.1",
    # fonts, glib, D-Bus
    "libfontconfig.so.1", "libfreetype.so.6", "libharfbuzz.so.0",
    "libglib-2.0.so.0", "libgthread-2.0.so.0", "libgobject-2.0.so.0", "libgio-2.0.so.0", "libgmodule-2.0.so.0",
    "libdbus-1.so.3",
    # optional backends that load only when present (numba's TBB threading layer)
    "libtbb.so.12",
]  # fmt: skip


def needed(path: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=False).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def problems(folder: Path) -> dict[str, list[str]]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    present = {p.name for p in folder.rglob("*") if p.exists()}  # a dangling symlink is no library
    missing: dict[str, list[str]] = {}
    for f in files:
        for lib in needed(f):
            if lib in present or any(fnmatch.fnmatch(lib, pat) for pat in SYSTEM):
                continue
            missing.setdefault(lib, []).append(f.relative_to(folder).as_posix())
    return missing


def main(argv: list[str]) -> int:
    missing = problems(Path(argv[1]))
    for lib, users in sorted(missing.items()):
        print(f"missing {lib}: needed by {', '.join(users[:5])}{' …' if len(users) > 5 else ''}")
    if missing:
        print(
            f"{len(missing)} needed libraries are neither in the bundle nor system libraries", file=sys.stderr
        )
        return 1
    print("shared libraries: every needed library is in the bundle or a system library")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
