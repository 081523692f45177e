"""Antrean itself in the image: the project's wheel and every dependency for aarch64.

Nothing here runs under emulation but the byte-compilation. The build host's pip installs
wheels for the target (``--platform ... --only-binary=:all:``) into
``/opt/antrean/lib/python3.X/site-packages``; ``/opt/antrean`` is made a venv by hand
(pyvenv.cfg + bin/python -> /usr/bin/python3) so the units' ``/opt/antrean/bin/antrean``
runs the target's own Python with only these packages. lgpio has no aarch64 wheel, so its
pinned sdist is cross-compiled (swig + aarch64-linux-gnu-gcc against the target's headers).
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from antrean.errors import AntreanError
from images.config import REPO, BuildConfig

PREFIX = "opt/antrean"
LAUNCHER = """#!/opt/antrean/bin/python
# Antrean's command (made by images/payload.py).
import sys
from antrean.cli import main
sys.exit(main())
"""


def _run(argv: list[str], **kw) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise AntreanError(f"{argv[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def site_packages(root: Path, cfg: BuildConfig) -> Path:
    return root / PREFIX / f"lib/python{cfg['PYTHON_VERSION']}/site-packages"


def make_venv(root: Path, cfg: BuildConfig) -> None:
    """A venv without running the target's Python: what ``python3 -m venv`` writes."""
    prefix = root / PREFIX
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    site_packages(root, cfg).mkdir(parents=True, exist_ok=True)
    (prefix / "pyvenv.cfg").write_text(
        "home = /usr/bin\ninclude-system-site-packages = false\n"
        f"version = {cfg['PYTHON_VERSION']}\nexecutable = /usr/bin/python{cfg['PYTHON_VERSION']}\n")
    for name in ("python", "python3", f"python{cfg['PYTHON_VERSION']}"):
        link = prefix / "bin" / name
        link.unlink(missing_ok=True)
        link.symlink_to(f"/usr/bin/python{cfg['PYTHON_VERSION']}")
    launcher = prefix / "bin/antrean"
    launcher.write_text(LAUNCHER)
    launcher.chmod(0o755)
    usr_local = root / "usr/local/bin/antrean"
    usr_local.parent.mkdir(parents=True, exist_ok=True)
    usr_local.unlink(missing_ok=True)
    usr_local.symlink_to("/opt/antrean/bin/antrean")


def project_wheel(workdir: Path) -> Path:
    """``pip wheel --no-deps .`` of the repository (pure Python)."""
    out = workdir / "wheel"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
          "-w", str(out), str(REPO)])
    return next(out.glob("antrean-*.whl"))


def install_wheels(root: Path, cfg: BuildConfig, wheel: Path | None) -> None:
    """The pinned requirements (``wheel`` None) or our wheel, for the target, no dependency
    resolution left to chance (``--no-deps``: the requirements file lists every package)."""
    pyver = cfg["PYTHON_VERSION"]
    target = site_packages(root, cfg)
    platforms = [f"--platform={p}" for p in cfg.words("PIP_PLATFORMS")]
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
          "--only-binary=:all:", *platforms, f"--python-version={pyver}",
          "--implementation=cp", "--upgrade", "--target", str(target),
          *(["-r", str(cfg.path("REQUIREMENTS"))] if wheel is None else [str(wheel)])])
    shutil.rmtree(target / "bin", ignore_errors=True)   # scripts with the host's shebang


def extract_sdist(tar: tarfile.TarFile, dest: Path) -> None:
    """Unpack a source archive, refusing members that would land outside ``dest``.

    ``extractall(filter="data")`` does this from Python 3.11.4 on; Debian 12 has 3.11.2."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
    else:
        extract_checked(tar, dest)


def extract_checked(tar: tarfile.TarFile, dest: Path) -> None:
    """``extract_sdist`` for a Python without extraction filters: every member checked first."""
    root = dest.resolve()
    for member in tar.getmembers():
        target = (root / member.name).resolve()
        # A hard link names a member of the archive, a symbolic link a path beside itself.
        base = root if member.islnk() else target.parent
        link = (base / member.linkname).resolve() if member.issym() or member.islnk() else target
        if member.name.startswith("/") or member.isdev() \
                or not (target.is_relative_to(root) and link.is_relative_to(root)):
            raise AntreanError(f"refusing {member.name!r} in {tar.name}: it points outside "
                               f"{dest}")
    tar.extractall(dest)


def build_lgpio(root: Path, cfg: BuildConfig, workdir: Path) -> None:
    """Cross-compile the pinned lgpio sdist into the target's site-packages."""
    src = workdir / "lgpio"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary=:all:",
          "-d", str(src), cfg["LGPIO"]])
    with tarfile.open(next(src.glob("lgpio-*.tar.gz"))) as tar:
        extract_sdist(tar, src)
    tree = next(p for p in src.iterdir() if p.is_dir())
    _run(["swig", "-python", "-Isrc", "lgpio.i"], cwd=tree)
    pyver = cfg["PYTHON_VERSION"]
    # pyconfig.h includes <aarch64-linux-gnu/python3.X/pyconfig.h>: the target's /usr/include
    # is searched, but after the cross compiler's own libc headers.
    includes = [f"-I{root}/usr/include/python{pyver}", f"-idirafter{root}/usr/include"]
    sources = sorted(glob.glob(str(tree / "src/lg*.c"))) + [str(tree / "src/rgpiod.c"),
                                                             str(tree / "lgpio_wrap.c")]
    out = site_packages(root, cfg) / f"_lgpio.cpython-{pyver.replace('.', '')}-aarch64-linux-gnu.so"
    _run(["aarch64-linux-gnu-gcc", "-shared", "-fPIC", "-O2", "-pthread", "-w",
          f"-I{tree}/src", *includes, *sources, "-lrt", "-ldl", "-o", str(out)])
    shutil.copy(tree / "lgpio.py", site_packages(root, cfg) / "lgpio.py")


def compile_bytecode(root: Path, cfg: BuildConfig, folders: list[str]) -> None:
    """.pyc files made by the target's Python (under qemu-user): the root is read-only on
    the device, so anything not compiled here would be compiled again at every start."""
    _run(["chroot", str(root), f"/usr/bin/python{cfg['PYTHON_VERSION']}", "-m", "compileall",
          "-q", "-j", "0", *folders], timeout=900, env=cfg.emulator_env())


def dependencies_key(cfg: BuildConfig, base_key: str) -> str:
    """Everything the compiled dependency tree depends on (not our own code)."""
    digest = hashlib.sha256(cfg.path("REQUIREMENTS").read_bytes())
    for key in ("LGPIO", "PIP_PLATFORMS", "PYTHON_VERSION"):
        digest.update(f"{key}={cfg[key]}".encode())
    digest.update(base_key.encode())
    return digest.hexdigest()[:16]


def install_dependencies(root: Path, cfg: BuildConfig, base_key: str, work: Path, log) -> None:
    """The pinned dependencies, compiled, from the cache (or made once and cached): byte-
    compiling Kivy & co. under qemu-user takes ~100 s, our own code a few seconds."""
    site = site_packages(root, cfg)
    cache = cfg.path("CACHE") / f"python-{dependencies_key(cfg, base_key)}.tar.zst"
    if cache.is_file():
        _run(["tar", "--zstd", "-xpf", str(cache), "-C", str(site)])
        log(f"payload: dependencies from {cache}")
        return
    install_wheels(root, cfg, None)
    build_lgpio(root, cfg, work)
    compile_bytecode(root, cfg, [f"/{site.relative_to(root)}"])
    partial = cache.with_name(cache.name + ".partial")
    _run(["tar", "--zstd", "-cpf", str(partial), "-C", str(site), "."])
    os.replace(partial, cache)
    log(f"payload: dependencies installed, compiled and cached in {cache}")


def install_payload(root: Path, cfg: BuildConfig, base_key: str, log=print) -> None:
    site = site_packages(root, cfg)
    with tempfile.TemporaryDirectory(prefix="antrean-payload-") as tmp:
        work = Path(tmp)
        make_venv(root, cfg)
        install_dependencies(root, cfg, base_key, work, log)
        install_wheels(root, cfg, project_wheel(work))
    info = next(site.glob("antrean-*.dist-info"))
    ours = (info / "top_level.txt").read_text().split()
    compile_bytecode(root, cfg, [f"/{site.relative_to(root)}/{name}" for name in ours])
    log(f"payload: antrean ({', '.join(ours)}) installed and compiled in /{PREFIX}")
