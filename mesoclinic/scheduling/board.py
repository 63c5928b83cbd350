"""Day and week boards as a time grid, in the site's local time.

A column ("lane") is one resource on one day: a practitioner or a room of a site's board
(the ``by`` switch), or the one practitioner or room of their own board. Rows are five
minutes of wall-clock time, so 10:00 sits on the same row either side of a daylight-saving
change. The CSP allows no style attributes: the page places blocks with classes (``gc-N``
column, ``gr-N`` first row, ``gs-N`` rows spanned) from static/css/grid.css, which
``grid_css()`` writes.

A board costs a fixed number of queries whatever the number of appointments: the
appointments as tuples in one, treatment colours in one, the diary in six.
"""

import datetime as dt
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone

from mesoclinic.accounts.models import Site, User
from mesoclinic.scheduling.diary import STEP, Diary, at, days
from mesoclinic.scheduling.freetime import Span, free
from mesoclinic.scheduling.models import (
    FREES_SLOT,
    HOLDS_SLOT,
    Appointment,
    Room,
    Status,
    TreatmentType,
    follow_up_label,
    overlapping,
)

KINDS = ("site", "practitioner", "room")
SPANS = ("day", "week")
BY = ("practitioner", "room")
ROW_MINUTES = 5
FIRST_ROW = 3  # row 1: the days, row 2: the resources
MAX_ROWS = 24 * 60 // ROW_MINUTES
# Rows a block is drawn at least: 44 px of tap area at the grid's row height (grid.css).
TAP_ROWS = 6
MAX_COLUMNS = 200  # lanes a board may have (grid.css has a class for each)
COLOURS = 8
STATUS_LABELS = dict(Status.choices)
# What a block shows, read as tuples: a busy week has ~280 appointments, which as model
# rows with their patient, practitioner, room and site were 1,100 objects.
BLOCK_COLUMNS = (
    "public_id", "status", "starts_at", "ends_at", "patient__first_name", "patient__last_name",
    "practitioner_id", "practitioner__public_id", "practitioner__full_name",
    "room_id", "room__public_id", "room__name", "course_session", "course_areas", "follow_up",
    "treatment_type_id", "treatment_type__name", "arrived_at", "lock_version",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Resource:
    kind: str  # "practitioner" or "room"
    pk: int | None  # None: the appointments of a room board's site without a room
    public_id: uuid.UUID | None
    name: str


@dataclass(frozen=True, slots=True)
class Block:
    """What the board shows of one appointment, and where."""

    public_id: uuid.UUID
    status: str
    starts: dt.datetime  # in the board's zone
    ends: dt.datetime
    patient: str
    practitioner: str
    room: str | None
    course_session: int | None
    course_areas: list[str]
    follow_up: str
    treatment: str
    colour: int
    arrived: bool
    lock_version: int
    column: int
    row: int
    span: int
    # -1: the lane's whole width; 0 or 1: its left or right half, where a short block's
    # tap area would lie under its neighbour's (see _crowded).
    half: int = -1

    @property
    def short(self) -> bool:
        """Shorter than a finger: drawn TAP_ROWS tall (scheduling.css), reaching down."""
        return self.span < TAP_ROWS

    @property
    def drawn_to(self) -> int:
        return self.row + max(self.span, TAP_ROWS)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def follow_up_label(self) -> str:
        return follow_up_label(self.follow_up)

    @property
    def faded(self) -> bool:
        return self.status in FREES_SLOT

    @property
    def movable(self) -> bool:
        return self.status in HOLDS_SLOT and self.status != Status.COMPLETED


@dataclass(frozen=True, slots=True)
class Free:
    resource: Resource
    starts: dt.datetime  # in the board's zone
    ends: dt.datetime
    column: int
    row: int
    span: int


@dataclass
class Lane:
    day: dt.date
    resource: Resource
    column: int
    open: bool
    free: list[Free] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DayHead:
    day: dt.date
    column: int
    width: int
    open: bool


@dataclass
class Grid:
    by: str
    days: list[DayHead]
    lanes: list[Lane]
    blocks: list[Block]
    rows: int
    hours: list[tuple[int, str]]  # (row, "09:00")
    now: tuple[int, int, int] | None  # (row, first column, columns) of today's time line
    legend: list[tuple[int, str]]
    start_minute: int

    @property
    def columns(self) -> int:
        return len(self.lanes)

    @property
    def many(self) -> bool:
        """More resources a day than fit side by side on a tablet: the grid scrolls inside."""
        return self.columns > 4


def first_day(day: dt.date, span: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if span == "week" else day


def _minute(when: dt.datetime, day: dt.date) -> int:
    """Wall-clock minutes since the local midnight of ``day`` (clamped to that day)."""
    if when.date() < day:
        return 0
    if when.date() > day:
        return 24 * 60
    return when.hour * 60 + when.minute


def _resources(
    kind: str, subject: Site | Room | User, by: str, staff: Sequence[User], diary: Diary
) -> list[Resource]:
    if kind == "practitioner" or (kind == "site" and by == "practitioner"):
        return [Resource("practitioner", u.pk, u.public_id, u.full_name) for u in staff]
    rooms = diary.rooms if kind == "site" else [subject]
    return [Resource("room", r.pk, r.public_id, str(r)) for r in rooms]


def _bounds(diary: Diary, shown: list[dt.date], spans: Iterable[tuple[int, int]]) -> range:
    """The wall-clock minutes the grid covers: opening hours and every block, whole hours."""
    edges = [
        (a.hour * 60 + a.minute, b.hour * 60 + b.minute)
        for day in shown
        for a, b in diary.hours[day.weekday()]
    ]
    edges += list(spans)
    if not edges:
        return range(8 * 60, 18 * 60)
    low = min(a for a, _ in edges) // 60 * 60
    high = min(math.ceil(max(b for _, b in edges) / 60) * 60, 24 * 60)
    return range(low, max(high, low + 60))


def build(
    kind: str,
    subject: Site | Room | User,
    site: Site,
    first: dt.date,
    span: str,
    *,
    by: str = "practitioner",
    staff: Sequence[User] = (),
    show_cancelled: bool = False,
) -> Grid:
    zone = site.zone
    last = first + dt.timedelta(days=6 if span == "week" else 0)
    shown = list(days(first, last))
    start, end = at(first, dt.time(), zone), at(last + dt.timedelta(days=1), dt.time(), zone)
    appointments = Appointment.objects.filter(overlapping(start, end), **{kind: subject})
    if not show_cancelled:
        appointments = appointments.filter(status__in=HOLDS_SLOT)
    rows = list(appointments.order_by("starts_at").values_list(*BLOCK_COLUMNS))
    palette = {
        pk: n % COLOURS
        for n, pk in enumerate(TreatmentType.objects.order_by("pk").values_list("pk", flat=True))
    }
    diary = Diary.load(site, first, last, staff=staff)
    resources = _resources(kind, subject, by, staff, diary)
    lane_of = _extend(resources, rows, by if kind == "site" else kind)
    local = [(r, r[2].astimezone(zone), r[3].astimezone(zone)) for r in rows]
    local = [item for item in local if first <= item[1].date() <= last]
    minutes = _bounds(
        diary, shown, ((_minute(a, a.date()), _minute(b, a.date())) for _, a, b in local)
    )
    now = timezone.now()
    lanes: list[Lane] = []
    heads: list[DayHead] = []
    for day in shown:
        is_open = bool(diary.opening(day))
        heads.append(DayHead(day, len(lanes) + 2, len(resources), is_open))
        lanes += [Lane(day, res, len(lanes) + n + 2, is_open) for n, res in enumerate(resources)]
    if len(lanes) > MAX_COLUMNS:
        raise ValueError(f"A board of {len(lanes)} columns; the grid has {MAX_COLUMNS}.")
    place = _Placer(minutes)
    column_of = {(lane.day, lane.resource.pk): lane.column for lane in lanes}
    blocks = _crowded(
        [_block(r, a, b, column_of[(a.date(), lane_of(r))], place, palette) for r, a, b in local]
    )
    taken = _taken(diary)
    for lane in lanes:
        for a, b in free(
            _windows(diary, lane), taken[(lane.resource.kind, lane.resource.pk)],
            not_before=now, shortest=STEP,
        ):  # fmt: skip
            a, b = a.astimezone(zone), b.astimezone(zone)
            row, rows_spanned = place(a, b, lane.day)
            lane.free.append(Free(lane.resource, a, b, lane.column, row, rows_spanned))
    names = {r[15]: r[16] for r in rows if r[15] is not None}
    legend = sorted({(palette.get(pk, 0), name) for pk, name in names.items()}, key=lambda x: x[1])
    return Grid(
        by=by if kind == "site" else kind,
        days=heads,
        lanes=lanes,
        blocks=blocks,
        rows=len(minutes) // ROW_MINUTES,
        hours=[
            (FIRST_ROW + (m - minutes.start) // ROW_MINUTES, f"{m // 60:02d}:00")
            for m in range(minutes.start, minutes.stop, 60)
        ],
        now=_now_line(now.astimezone(zone), heads, minutes),
        legend=legend,
        start_minute=minutes.start,
    )


class _Placer:
    """Rows of a wall-clock span on a day, within the grid's minutes."""

    def __init__(self, minutes: range):
        self.minutes = minutes

    def __call__(self, a: dt.datetime, b: dt.datetime, day: dt.date) -> tuple[int, int]:
        low, high = self.minutes.start, self.minutes.stop
        start = min(max(_minute(a, day), low), high - ROW_MINUTES)
        stop = min(max(_minute(b, day), start + ROW_MINUTES), high)
        row = FIRST_ROW + (start - low) // ROW_MINUTES
        return row, max(1, math.ceil((stop - start) / ROW_MINUTES))


def _extend(resources: list[Resource], rows: list[tuple[Any, ...]], by: str) -> Any:
    """Add a lane for each resource the appointments use that the list lacks (a colleague
    who left, appointments without a room); returns the lane key of a row."""
    pk, public_id, name = (6, 7, 8) if by == "practitioner" else (9, 10, 11)
    known = {r.pk for r in resources}
    for row in rows:
        if row[pk] not in known:
            known.add(row[pk])
            label = row[name] if row[pk] is not None else "No room"
            resources.append(Resource(by, row[pk], row[public_id], label))
    return lambda row: row[pk]


def _block(
    row: tuple[Any, ...],
    starts: dt.datetime,
    ends: dt.datetime,
    column: int,
    place: _Placer,
    palette: dict[int, int],
) -> Block:
    public_id, status, _, _, first_name, last_name, *rest = row
    _, _, practitioner, _, _, room, session, areas, follow_up, treatment_id, *tail = rest
    treatment, arrived_at, lock_version = tail
    first_row, rows_spanned = place(starts, ends, starts.date())
    return Block(
        public_id, status, starts, ends, f"{first_name} {last_name}", practitioner, room,
        session, areas or [], follow_up, treatment or "",
        palette.get(treatment_id, -1) if treatment_id else -1, arrived_at is not None,
        lock_version, column, first_row, rows_spanned,
    )  # fmt: skip


def _taken(diary: Diary) -> dict[tuple[str, int | None], list[Span]]:
    """What holds each practitioner (at any site) and each room of the site."""
    out: dict[tuple[str, int | None], list[Span]] = defaultdict(list)
    for b in diary.busy:
        out[("practitioner", b.practitioner_id)].append((b.starts_at, b.ends_at))
        if b.room_id is not None:
            out[("room", b.room_id)].append((b.starts_at, b.ends_at))
    return out


def _crowded(blocks: list[Block]) -> list[Block]:
    """Side by side where a short block's tap area reaches under the next block of its
    lane (back-to-back 15-minute calls): each gets a half of the lane's width, so every
    block keeps its whole 44 px tap area. Alternating halves, so a chain of three is
    left, right, left. Cancelled blocks (drawn faded, beneath) are left as they are."""
    out: list[Block] = []
    last: dict[int, int] = {}  # per column, the index in `out` of the previous block drawn
    for block in sorted(blocks, key=lambda b: (b.column, b.row)):
        if not block.faded:
            n = last.get(block.column)
            if n is not None and out[n].short and block.row < out[n].drawn_to:
                if out[n].half < 0:
                    out[n] = replace(out[n], half=0)
                block = replace(block, half=1 - out[n].half)
            last[block.column] = len(out)
        out.append(block)
    return out


def _windows(diary: Diary, lane: Lane) -> list[Span]:
    resource = lane.resource
    if resource.pk is None:
        return []
    if resource.kind == "practitioner":
        return diary.working(resource.pk, lane.day)
    return diary.opening(lane.day)


def _now_line(
    now: dt.datetime, heads: list[DayHead], minutes: range
) -> tuple[int, int, int] | None:
    minute = now.hour * 60 + now.minute
    for head in heads:
        if head.day == now.date() and minutes.start <= minute < minutes.stop:
            return FIRST_ROW + (minute - minutes.start) // ROW_MINUTES, head.column, head.width
    return None


def grid_css() -> str:
    """The placement classes the board uses (static/css/grid.css is this text)."""
    lines = ["/* Written by mesoclinic.scheduling.board.grid_css(); do not edit. */"]
    for n in range(1, MAX_COLUMNS + 2):
        lines.append(f".gc-{n}{{grid-column-start:{n}}}")
        lines.append(f".gw-{n}{{grid-column-end:span {n}}}")
        lines.append(
            f".cols-{n}{{grid-template-columns:3.2rem repeat({n},minmax(var(--lane-min),1fr))}}"
        )
    for n in range(1, FIRST_ROW + MAX_ROWS + 1):
        lines.append(f".gr-{n}{{grid-row-start:{n}}}")
        lines.append(f".gs-{n}{{grid-row-end:span {n}}}")
    return "\n".join(lines) + "\n"
