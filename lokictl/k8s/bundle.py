"""``lokictl bundle k8s``: download every file and image of a pinned version for an air-gapped site.

Run on a connected machine. The bundle directory has the layout of a site mirror (each file at its matrix
``path``), so serving it over HTTP and setting ``kubernetes.artifacts_mirror`` to its URL is all a site needs.
Every file is checked against its pinned SHA-256 while it downloads; a mismatch deletes the partial file and
fails. Files without a pinned checksum are refused unless a checksum is supplied or they are skipped.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lokictl.errors import InputError, RuntimeFailure
from lokictl.fsutil import atomic_writer, write_text_atomic
from lokictl.k8s import matrix

_CHUNK = 1 << 20
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class BundleOptions:
    """What to bundle.

    Attributes:
        version: Kubernetes version (in the matrix).
        arches: architectures to include.
        cni: images of this CNI only (cilium, calico), or both when None.
        openstack: include the OpenStack integration images.
        images: pull the images into ``images/`` (needs skopeo or docker); else only list them.
        source: base URL to download from instead of the upstream URLs (e.g. an existing mirror).
        checksums: SHA-256 per file name, supplied for files the matrix does not pin.
        skip_unverified: leave files without a pinned checksum out instead of failing.
        matrix_path: a version matrix file instead of the packaged one.
    """

    version: str
    arches: tuple[str, ...] = ("amd64",)
    cni: str | None = None
    openstack: bool = True
    images: bool = True
    source: str = ""
    checksums: Mapping[str, str] = field(default_factory=dict)
    skip_unverified: bool = False
    matrix_path: Path | None = None


@dataclass
class BundleReport:
    """What a bundle run did."""

    out_dir: Path
    downloaded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped_unverified: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    images_saved: bool = False
    notes: list[str] = field(default_factory=list)


def _plan(opts: BundleOptions) -> tuple[list[dict[str, object]], list[str], list[str]]:
    entry = matrix.load_matrix(opts.matrix_path).get(opts.version)
    for arch in opts.arches:
        if arch not in matrix.ARCHES:
            raise InputError(f"unknown architecture '{arch}' (choose from: {', '.join(matrix.ARCHES)})")
    for name, sha in opts.checksums.items():
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise InputError(f"--checksum {name}=...: '{sha}' is not a SHA-256 (64 lowercase hex digits)")
    files: dict[str, dict[str, object]] = {}
    missing: list[str] = []
    skipped: list[str] = []
    for arch in opts.arches:
        for f in matrix.resolved_files(entry, arch, opts.cni):
            sha = opts.checksums.get(str(f["name"]), f["sha256"])
            label = f"{f['name']} {f['version']} ({f['path']})"
            if sha is None:
                (skipped if opts.skip_unverified else missing).append(label)
                continue
            files.setdefault(str(f["path"]), {**f, "sha256": sha})
    if missing:
        raise InputError(
            "no SHA-256 is pinned for: "
            + "; ".join(dict.fromkeys(missing))
            + ". Verify the upstream checksums and pass --checksum NAME=SHA256, or --skip-unverified"
        )
    return list(files.values()), list(dict.fromkeys(skipped)), _images(entry, opts)


def _images(entry: matrix.K8sVersion, opts: BundleOptions) -> list[str]:
    cnis = [opts.cni] if opts.cni else ["cilium", "calico"]
    imgs: list[str] = []
    for cni in cnis:
        imgs += matrix.images_for(entry, cni, opts.openstack, kube_vip=True)
    return list(dict.fromkeys(imgs))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def download(url: str, dest: Path, sha256: str, timeout: float = 60) -> None:
    """Download ``url`` to ``dest``, hashing while writing; keep it only when the SHA-256 matches.

    Raises:
        RuntimeFailure: the URL cannot be fetched, or the checksum differs (nothing is left behind).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    try:
        with (
            urllib.request.urlopen(url, timeout=timeout) as resp,
            atomic_writer(dest, 0o666, use_umask=True) as out,
        ):
            while chunk := resp.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
            if h.hexdigest() != sha256:  # raising inside the block discards the download
                raise RuntimeFailure(
                    f"checksum mismatch for {url}: expected sha256 {sha256}, got {h.hexdigest()}; "
                    "nothing was kept"
                )
    except (urllib.error.URLError, OSError, ValueError) as exc:
        if isinstance(exc, urllib.error.HTTPError):
            reason: object = f"HTTP {exc.code} {exc.reason}"
        else:
            reason = getattr(exc, "reason", None) or exc
        raise RuntimeFailure(f"cannot download {url}: {reason}") from None


def _source_url(f: Mapping[str, object], source: str) -> str:
    return f"{source.rstrip('/')}/{f['path']}" if source else str(f["url"])


def build(
    out_dir: Path, opts: BundleOptions, progress: Callable[[str], None] = lambda _: None
) -> BundleReport:
    """Write a bundle for ``opts.version`` into ``out_dir`` (re-running resumes: verified files are kept).

    Raises:
        InputError: unknown version/architecture, or files without a pinned checksum.
        RuntimeFailure: a download or checksum failed, or images cannot be saved.
    """
    files, skipped, images = _plan(opts)
    report = BundleReport(out_dir=out_dir, skipped_unverified=skipped, images=images)
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        dest = out_dir / str(f["path"])
        sha = str(f["sha256"])
        if dest.is_file() and _sha256(dest) == sha:
            report.reused.append(str(f["path"]))
            continue
        url = _source_url(f, opts.source)
        progress(f"downloading {f['name']} {f['version']}: {url}")
        download(url, dest, sha)
        report.downloaded.append(str(f["path"]))
    kubeadm_images = _kubeadm_images(out_dir, files, opts.version, report)
    report.images = list(dict.fromkeys(images + kubeadm_images))
    write_text_atomic(out_dir / "images.txt", "".join(f"{i}\n" for i in report.images), 0o666, use_umask=True)
    if opts.images:
        _save_images(out_dir / "images", report.images, progress)
        report.images_saved = True
    sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in sorted(files, key=lambda f: str(f["path"])))
    write_text_atomic(out_dir / "SHA256SUMS", sums, 0o666, use_umask=True)
    manifest = {
        "kubernetes": opts.version,
        "arches": list(opts.arches),
        "files": {str(f["path"]): f["sha256"] for f in files},
        "skipped_unverified": skipped,
        "images": report.images,
        "images_saved": report.images_saved,
    }
    write_text_atomic(
        out_dir / "bundle.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n", 0o666, use_umask=True
    )
    return report


def _kubeadm_images(
    out_dir: Path, files: list[dict[str, object]], version: str, report: BundleReport
) -> list[str]:
    """Ask the verified kubeadm of this machine's architecture which images (etcd, CoreDNS, pause) it uses."""
    arch = _ARCH.get(platform.machine())
    kubeadm = next(
        (out_dir / str(f["path"]) for f in files if f["name"] == "kubeadm" and f"/{arch}/" in str(f["path"])),
        None,
    )
    if kubeadm is None:
        report.notes.append(
            f"kubeadm for this machine ({platform.machine()}) is not in the bundle: etcd/CoreDNS/pause "
            "images are not listed; add them with `kubeadm config images list` on a node"
        )
        return []
    kubeadm.chmod(0o755)
    try:
        proc = subprocess.run(
            [str(kubeadm), "config", "images", "list", "--kubernetes-version", f"v{version}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        report.notes.append(f"could not run {kubeadm} to list its images: {exc}")
        return []
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()]


def _save_images(dest: Path, images: list[str], progress: Callable[[str], None]) -> None:
    """Save each image as an OCI archive with skopeo, or a docker archive with docker."""
    skopeo, docker = shutil.which("skopeo"), shutil.which("docker")
    if not skopeo and not docker:
        raise RuntimeFailure(
            "saving images needs skopeo or docker on this machine; install one, or rerun with --no-images "
            "and copy the images listed in images.txt into the site's registry mirror"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for image in images:
        archive = dest / (re.sub(r"[^A-Za-z0-9_.-]+", "_", image) + ".tar")
        if archive.is_file():
            continue
        progress(f"saving image {image}")
        if skopeo:
            cmds = [[skopeo, "copy", f"docker://{image}", f"oci-archive:{archive}:{image}"]]
        else:
            assert docker is not None
            cmds = [[docker, "pull", image], [docker, "save", "--output", str(archive), image]]
        for cmd in cmds:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                archive.unlink(missing_ok=True)
                raise RuntimeFailure(
                    f"cannot save image {image}: {proc.stderr.strip() or proc.stdout.strip()}"
                )


def options_from_cli(
    site_file: Path | None,
    version: str | None,
    arches: tuple[str, ...],
    no_images: bool,
    source: str,
    checksums: tuple[str, ...],
    skip_unverified: bool,
) -> BundleOptions:
    """Build `BundleOptions` from the command line (and the site file when one is given).

    Raises:
        InputError: a malformed ``--checksum`` or an invalid site file.
    """
    from lokictl.site import load_site

    pins: dict[str, str] = {}
    for item in checksums:
        name, sep, sha = item.partition("=")
        if not sep or not name:
            raise InputError(f"--checksum '{item}': expected NAME=SHA256 (e.g. cilium-chart=<64 hex digits>)")
        pins[name] = sha.lower()
    cni: str | None = None
    openstack = True
    if site_file is not None:
        model = load_site(site_file).model
        version = version or model.kubernetes.version
        cni = model.kubernetes.cni
        openstack = model.openstack.enabled
    return BundleOptions(
        version=(version or matrix.supported_versions()[-1]).removeprefix("v"),
        arches=arches or ("amd64",),
        cni=cni,
        openstack=openstack,
        images=not no_images,
        source=source,
        checksums=pins,
        skip_unverified=skip_unverified,
    )
