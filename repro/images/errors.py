"""What can go wrong with an image: a malformed reference, an image that
cannot be had, a digest that names another image, a build, a push or a
registry that fails, a wheelhouse that cannot be filled. Each error carries
its fields and says, in one line, what to do."""

from __future__ import annotations

from repro.errors import ReproError, UsageError

__all__ = [
    "ImageBuildError",
    "ImageDigestMismatchError",
    "ImageNotFoundError",
    "ImagePushError",
    "ImageSettingsError",
    "InvalidImageRefError",
    "RegistryUnreachableError",
    "WheelhouseError",
]


class InvalidImageRefError(UsageError, ValueError):
    def __init__(self, text: str, reason: str) -> None:
        self.text, self.reason = text, reason
        super().__init__(
            f"invalid image reference {text!r}: {reason} "
            "(expected [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST])"
        )


class ImageNotFoundError(ReproError, LookupError):
    def __init__(
        self, ref: str, reason: str, remedy: str = "build it with `repro image build`"
    ) -> None:
        self.ref, self.reason, self.remedy = ref, reason, remedy
        super().__init__(
            f"image {ref} is neither local nor pullable ({reason}); {remedy} "
            f"or fetch it with `docker pull {ref}`"
        )


class ImageDigestMismatchError(ReproError, ValueError):
    def __init__(self, ref: str, expected: str, actual: str) -> None:
        self.ref, self.expected, self.actual = ref, expected, actual
        super().__init__(
            f"image {ref}: its tag names {actual}, not the pinned {expected}; "
            "pin the digest you mean (`repro image resolve NAME:TAG` prints the current one) "
            "or retag the image"
        )


class ImageBuildError(ReproError):
    """``lines`` holds the failing step's last lines of output."""

    def __init__(self, step: str, reason: str, lines: tuple[str, ...] = ()) -> None:
        self.step, self.reason, self.lines = step, reason, lines
        where = f" at {step}" if step else ""
        super().__init__(
            f"docker build failed{where}: {reason}; fix it and run `repro image build` again"
        )


class RegistryUnreachableError(ReproError, ConnectionError):
    def __init__(self, registry: str, reason: str) -> None:
        self.registry, self.reason = registry, reason
        super().__init__(
            f"the image registry {registry} does not answer ({reason}); start it, or build "
            "without pushing (`repro image build --no-push`)"
        )


class ImagePushError(ReproError):
    def __init__(self, ref: str, reason: str) -> None:
        self.ref, self.reason = ref, reason
        super().__init__(
            f"pushing {ref} failed: {reason}; check the registry's access, or build without "
            "pushing (`repro image build --no-push`)"
        )


class WheelhouseError(ReproError):
    def __init__(self, what: str, reason: str) -> None:
        self.what, self.reason = what, reason
        super().__init__(
            f"could not gather {what} for the image: {reason}; pin versions that have wheels "
            "for the base image's Python, or write your own Dockerfile (`repro image build -f`)"
        )


class ImageSettingsError(UsageError):
    def __init__(self, path: str, key: str, reason: str) -> None:
        self.path, self.key, self.reason = path, key, reason
        super().__init__(f"{path}: {key}: {reason}")
