"""Offline Kolla image build (`lokictl images build`): Debian trixie base, PyPI sdists, Debian's archive.

`kolla` reads what the pinned kolla release ships (templates, sources, repositories), `select` chooses the
images a site needs, `inputs` gathers what the build consumes (host pip settings and CA bundle,
upper-constraints, sdists, Ansible collections), `config` generates kolla-build's configuration and the image
tag, `base` builds the trixie base image, `build` runs everything.
"""

#: Docker namespace of the built images (kolla-ansible's ``docker_namespace``).
NAMESPACE = "kolla"
#: Debian release Kolla 22.x builds Debian images for.
DISTRO = "trixie"
#: Python version of the Debian release (picks wheels for the image, e.g. the `ansible` package).
DISTRO_PYTHON = "3.13"
#: Repository of the locally built base image.
BASE_REPOSITORY = "lokictl/kolla-base"
#: Image label holding the hash of a base image's inputs.
LABEL_BASE_KEY = "io.lokictl.kolla-base.key"
#: Default number of images built in parallel.
DEFAULT_THREADS = 2
