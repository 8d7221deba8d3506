"""Lab hosts on one machine: systemd containers built from Debian packages (`lokictl lab ...`).

`image` builds and caches the host image, `docker` wraps the Docker CLI, `lab` creates, lists and removes the
containers of a lab.
"""

LABEL_LAB = "io.lokictl.lab"
LABEL_HOST = "io.lokictl.host"
LABEL_IMAGE_KEY = "io.lokictl.image.key"
IMAGE_REPOSITORY = "lokictl/host"
DISTROS = ("bookworm", "trixie")
DEFAULT_DISTRO = "bookworm"
