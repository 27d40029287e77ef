"""Pulling an image from a registry with per-layer progress."""

from __future__ import annotations

import logging
import threading

import docker

from tui_upgrader.core.errors import CancelledError, DockerError
from tui_upgrader.core.events import Emit
from tui_upgrader.core.i18n import _
from tui_upgrader.core.pull_progress import PullProgress
from tui_upgrader.ops.images.engine import api, docker_errors, event_error, image_id, split_ref

logger = logging.getLogger(__name__)


def pull_image(
    client: docker.DockerClient,
    ref: str,
    emit: Emit,
    cancel: threading.Event | None = None,
) -> str:
    """Pull ``ref`` with per-layer downloading/extracting events; returns its image ID."""
    repo, tag = split_ref(ref)
    if tag is None and "@" not in repo:
        tag = "latest"
    progress = PullProgress(ref)
    logger.info("pulling %s", ref)
    with docker_errors(f"pulling {ref}"):
        for event in api(client).pull(repo, tag=tag, stream=True, decode=True):
            if cancel is not None and cancel.is_set():
                raise CancelledError(_("pull of {ref} cancelled").format(ref=ref))
            message = event_error(event)
            if message is not None:
                raise DockerError(_("pulling {ref}: {message}").format(ref=ref, message=message))
            translated = progress.feed(event)
            for layer_event in translated:
                emit(layer_event)
            if not translated:
                logger.debug("pull %s: %s %s", ref, event.get("id") or "", event.get("status"))
        for layer_event in progress.finish():
            emit(layer_event)
    found = image_id(client, f"{repo}:{tag}" if tag else repo)
    if found is None:
        raise DockerError(
            _("pulling {ref}: the engine reported success but has no such image").format(ref=ref)
        )
    return found
