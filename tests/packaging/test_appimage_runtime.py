"""The AppImage runtime (packaging/appimage/runtime.c) on a tiny AppDir: extract-and-run passes the
arguments and AppImage variables through, --appimage-extract restores files, modes and symlinks, and
the exit code is AppRun's. Skipped where the Debian build tools are not installed (``make dist`` installs
them; the smoke test then runs the real AppImage)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from testpaths import ROOT

TOOLS = ("gcc", "mksquashfs")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS) or not os.path.exists("/usr/include/squashfuse/ll.h"),
    reason="needs gcc, squashfs-tools and libsquashfuse-dev/libfuse3-dev (installed by make dist)",
)


@pytest.fixture(scope="module")
def appimage(tmp_path_factory):
    work = tmp_path_factory.mktemp("appimage")
    runtime = work / "runtime"
    subprocess.run([str(ROOT / "packaging" / "appimage" / "build-runtime"), str(runtime)], check=True)
    appdir = work / "AppDir"
    (appdir / "usr" / "bin").mkdir(parents=True)
    (appdir / "usr" / "bin" / "data.txt").write_text("hello\n")
    (appdir / "link").symlink_to("usr/bin/data.txt")
    apprun = appdir / "AppRun"
    apprun.write_text(
        '#!/bin/sh\necho "$APPIMAGE|$(basename "$APPDIR")|$OWD|$*"\ncat "$APPDIR/link"\nexit 7\n'
    )
    apprun.chmod(0o755)
    image = work / "image.squashfs"
    subprocess.run(
        ["mksquashfs", str(appdir), str(image), "-root-owned", "-noappend", "-quiet", "-no-progress"],
        check=True,
        capture_output=True,
    )
    out = work / "Test.AppImage"
    out.write_bytes(runtime.read_bytes() + image.read_bytes())
    out.chmod(0o755)
    return out, runtime.stat().st_size


def test_magic_and_offset(appimage):
    path, runtime_size = appimage
    assert path.read_bytes()[8:11] == b"AI\x02"
    offset = subprocess.run([str(path), "--appimage-offset"], capture_output=True, text=True, check=True)
    assert int(offset.stdout) == runtime_size


def test_extract_and_run_passes_everything_through_and_cleans_up(appimage, tmp_path):
    path, _ = appimage
    env = dict(os.environ, APPIMAGE_EXTRACT_AND_RUN="1", TMPDIR=str(tmp_path))
    out = subprocess.run([str(path), "a", "b c"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 7
    first, second = out.stdout.splitlines()
    assert first.startswith(f"{path}|appimage_extracted_") and first.endswith(f"|{tmp_path}|a b c")
    assert second == "hello"
    assert not list(tmp_path.glob("appimage_extracted_*"))  # removed after the run


def test_extract_restores_files_and_symlinks(appimage, tmp_path):
    path, _ = appimage
    subprocess.run([str(path), "--appimage-extract"], cwd=tmp_path, check=True, capture_output=True)
    root = tmp_path / "squashfs-root"
    assert (root / "usr" / "bin" / "data.txt").read_text() == "hello\n"
    assert os.readlink(root / "link") == "usr/bin/data.txt"
    assert os.access(root / "AppRun", os.X_OK)
