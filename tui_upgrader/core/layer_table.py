"""Image layers as rows: one total, one aggregate per image, the live layers under it.

Finished layers fold into their image's row ("18/30 layers"), and at most
``max_layer_rows`` live layers are listed (the rest counted in one line), so
an image of 30 layers fits an 80x24 terminal. Pure: the widget renders rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tui_upgrader.core.events import LayerEvent
from tui_upgrader.core.i18n import ngettext

RowKind = Literal["total", "image", "layer", "more"]


@dataclass(frozen=True, slots=True)
class Row:
    kind: RowKind
    label: str
    done: int
    total: int | None  # None: unknown
    phase: str = ""
    layers_done: int = 0
    layers: int = 0


@dataclass(slots=True)
class _Image:
    layers: dict[str, LayerEvent] = field(default_factory=dict)

    def finished(self) -> int:
        return sum(1 for e in self.layers.values() if e.finished or e.total == 0)

    def sums(self) -> tuple[int, int | None]:
        done = sum(
            e.done if e.total is None else min(e.done, e.total) for e in self.layers.values()
        )
        if any(e.total is None for e in self.layers.values()):
            return done, None
        return done, sum(e.total or 0 for e in self.layers.values())


@dataclass(slots=True)
class LayerTable:
    images: dict[str, _Image] = field(default_factory=dict)

    def add(self, event: LayerEvent) -> None:
        self.images.setdefault(event.image, _Image()).layers[event.layer] = event

    @property
    def layer_count(self) -> int:
        return sum(len(image.layers) for image in self.images.values())

    def rows(self, max_layer_rows: int = 4) -> list[Row]:
        out: list[Row] = []
        done_all, total_all, known = 0, 0, True
        finished_all = 0
        for image in self.images.values():
            done, total = image.sums()
            done_all += done
            finished_all += image.finished()
            if total is None:
                known = False
            else:
                total_all += total
        images = len(self.images)
        out.append(
            Row(
                "total",
                ngettext("{count} image", "{count} images", images).format(count=images),
                done_all,
                total_all if known else None,
                layers_done=finished_all,
                layers=self.layer_count,
            )
        )
        budget = max_layer_rows
        for name, image in self.images.items():
            done, total = image.sums()
            out.append(
                Row(
                    "image",
                    name,
                    done,
                    total,
                    layers_done=image.finished(),
                    layers=len(image.layers),
                )
            )
            live = [e for e in image.layers.values() if not (e.finished or e.total == 0)]
            shown = live[: max(budget, 0)]
            budget -= len(shown)
            for event in shown:
                out.append(Row("layer", event.layer[:12], event.done, event.total, event.phase))
            if len(live) > len(shown):
                hidden = len(live) - len(shown)
                out.append(
                    Row(
                        "more",
                        ngettext(
                            "{count} more layer waiting", "{count} more layers waiting", hidden
                        ).format(count=hidden),
                        0,
                        None,
                    )
                )
        return out
