"""A built image booted in qemu-system-aarch64 (virt, TCG), watched through its serial console.

The image's own Debian kernel and initrd are read out of its root partition with debugfs,
the kernel command line is the image's cmdline.txt with the Pi's consoles swapped for the
virt board's PL011 (ttyAMA0). Lines of the console are collected by a thread; tests wait on
them with timeouts; kill() is a power cut.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

SECTOR = 512


def partitions(image: Path) -> list[dict]:
    out = subprocess.run(["sfdisk", "-J", str(image)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["partitiontable"]["partitions"]


def fat(image: Path) -> str:
    """mtools' name of the image's FAT partition."""
    return f"{image}@@{partitions(image)[0]['start'] * SECTOR}"


def ext(image: Path, number: int) -> str:
    """debugfs' name of the image's ext4 partition ``number`` (1-based)."""
    return f"{image}?offset={partitions(image)[number - 1]['start'] * SECTOR}"


def debugfs(image: Path, number: int, request: str) -> str:
    done = subprocess.run(["debugfs", "-R", request, ext(image, number)], capture_output=True,
                          text=True, check=True)
    return done.stdout


def mtype(image: Path, name: str) -> str:
    """A file of the FAT partition, line ends kept (no universal newlines)."""
    return subprocess.run(["mtype", "-i", fat(image), f"::{name}"], capture_output=True,
                          check=True).stdout.decode("utf-8-sig")


def mcopy_in(image: Path, data: bytes, name: str, tmp: Path) -> None:
    src = tmp / Path(name).name
    src.write_bytes(data)
    if "/" in name:
        subprocess.run(["mmd", "-D", "s", "-i", fat(image), f"::{Path(name).parent}"],
                       capture_output=True, check=False)
    subprocess.run(["mcopy", "-o", "-i", fat(image), str(src), f"::{name}"], check=True)


def extract_kernel(image: Path, dest: Path) -> tuple[Path, Path]:
    names = debugfs(image, 2, "ls -p /boot").splitlines()
    found = {}
    for row in names:
        name = row.strip("/").split("/")[4] if row.count("/") >= 5 else ""
        for prefix in ("vmlinuz-", "initrd.img-"):
            if name.startswith(prefix):
                found[prefix] = dest / name
                debugfs(image, 2, f"dump /boot/{name} {dest / name}")
    return found["vmlinuz-"], found["initrd.img-"]


def qemu_cmdline(image: Path) -> str:
    words = [w for w in mtype(image, "cmdline.txt").split() if not w.startswith("console=")]
    return " ".join(["console=ttyAMA0", *words])


class Machine:
    def __init__(self, image: Path, kernel: Path, initrd: Path, append: str, workdir: Path,
                 screen: bool = False):
        """``screen``: a virtio GPU (a KMS/DRM device for the Kivy roles) and a monitor
        socket for screendump()."""
        self.log = workdir / "console.log"
        self.monitor = workdir / "monitor.sock"
        self.argv = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-smp", "2",
                     "-m", "1024", "-nodefaults", "-no-user-config", "-display", "none",
                     "-kernel", str(kernel), "-initrd", str(initrd), "-append", append,
                     "-drive", f"if=none,file={image},format=raw,id=sd,cache=writeback",
                     "-device", "virtio-blk-pci,drive=sd",
                     "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0,romfile=",
                     "-serial", "stdio"]
        if screen:
            self.argv += ["-device", "virtio-gpu-pci,xres=1280,yres=720",
                          "-monitor", f"unix:{self.monitor},server=on,wait=off"]
        else:
            self.argv += ["-monitor", "none"]
        self.lines: list[tuple[float, str]] = []
        self.cond = threading.Condition()
        self.proc: subprocess.Popen | None = None
        self.reader: threading.Thread | None = None
        self.started = 0.0

    def start(self) -> "Machine":
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self) -> None:
        with self.log.open("a", encoding="utf-8", errors="replace") as log:
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                log.write(line + "\n")
                log.flush()
                with self.cond:
                    self.lines.append((time.monotonic() - self.started, line))
                    self.cond.notify_all()
        self.proc.stdout.close()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern: str, timeout: float, after: int = 0) -> tuple[int, float, str]:
        """(index, seconds since start, line) of the first console line from ``after`` on
        matching ``pattern``; AssertionError with the console's tail on timeout or exit."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(after, len(self.lines)):
                    if regex.search(self.lines[i][1]):
                        return i, self.lines[i][0], self.lines[i][1]
                after = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    tail = "\n".join(t for _, t in self.lines[-40:])
                    raise AssertionError(f"no console line matching {pattern!r} "
                                         f"(qemu {'exited' if left > 0 else 'still running'}); "
                                         f"last lines:\n{tail}")
                self.cond.wait(min(left, 1.0))

    def screendump(self, dest: Path) -> Path:
        """The virtual screen as a PPM file (needs ``screen=True``)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.monitor))
            sock.settimeout(30)
            sock.sendall(f"screendump {dest}\n".encode())
            reply = b""
            # The monitor echoes the command, then prompts again once it is done.
            while reply.count(b"(qemu)") < 2:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return dest

    def poll(self, probe, done, timeout: float, every: float = 2.0):
        """The first ``probe()`` result for which ``done(result)`` holds, or None after
        ``timeout``; waits on the console between probes (a screen has no event to wait on)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = probe()
            if done(result):
                return result
            with self.cond:
                self.cond.wait(every)
        return None

    def count(self, pattern: str) -> int:
        regex = re.compile(pattern)
        with self.cond:
            return sum(1 for _, t in self.lines if regex.search(t))

    def wait_exit(self, timeout: float) -> int:
        code = self.proc.wait(timeout)
        self.reader.join(30)
        return code

    def kill(self) -> None:
        """A power cut: no shutdown, no flush inside the guest."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait(30)
            self.reader.join(30)


def copy_image(image: Path, dest: Path) -> Path:
    """A sparse copy, so each boot starts from the image as flashed."""
    subprocess.run(["cp", "--sparse=always", str(image), str(dest)], check=True)
    return dest


BUILD_TOOLS = ("mmdebstrap", "arch-test", "qemu-system-aarch64", "sfdisk", "mcopy", "debugfs",
               "update-binfmts", "aarch64-linux-gnu-gcc", "swig")


def binfmt_ready() -> bool:
    return os.path.exists("/proc/sys/fs/binfmt_misc/qemu-aarch64")
